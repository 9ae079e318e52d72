"""Logging, Prometheus and OpenTelemetry set-up, once per process.

Logs leave the process (to files, to a log platform, to whoever debugs), so no full resident
ID number or mobile number may reach one: the handler `setup` installs formats each record with
`RedactingFormatter`, which masks both in the whole line, exception tracebacks included.
"""

from __future__ import annotations

import logging
import os
import re
import sys

from prometheus_client import start_http_server

from govhall.kit.validators import mask_id_number, mask_mobile

_configured = False

# 18-character resident ID numbers: 17 digits and a check character (a digit or X), not part of
# a longer run of digits. Neither the region, the date nor the checksum is checked: a mistyped
# ID number is still somebody's ID number.
_ID_NUMBER = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
# Mainland mobile numbers: 11 digits starting with 1, not part of a longer run of digits;
# also written +86/0086/86 first and grouped 3-4-4 with spaces or hyphens.
_MOBILE = re.compile(r"(?<!\d)((?:\+|00)?86[ -]?)?(1\d{2}([ -]?)\d{4}\3\d{4})(?!\d)")


def redact(text: str) -> str:
    """``text`` with every ID number and mobile number in it masked (first 4 and last 4
    characters of an ID number kept, first 3 and last 4 digits of a mobile)."""
    text = _ID_NUMBER.sub(lambda m: mask_id_number(m.group(0)), text)
    return _MOBILE.sub(lambda m: (m.group(1) or "") + mask_mobile(m.group(2)), text)


class RedactingFormatter(logging.Formatter):
    """A `logging.Formatter` whose output, tracebacks and stack included, goes through `redact`."""

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(record))


def setup(service: str, level: str = "INFO", metrics_port: int | None = None) -> None:
    global _configured
    if not _configured:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(RedactingFormatter(f"%(asctime)s %(levelname)s {service} %(name)s: %(message)s"))
        logging.basicConfig(level=level.upper(), handlers=[handler])
        # OpenTelemetry is configured from the standard OTEL_* environment variables when an
        # SDK is wanted; without them the API's no-op tracer keeps spans free.
        if os.environ.get("OTEL_EXPORTER_OTLP_ENDPOINT") or os.environ.get("OTEL_TRACES_EXPORTER"):
            from opentelemetry import trace
            from opentelemetry.sdk.resources import Resource
            from opentelemetry.sdk.trace import TracerProvider

            trace.set_tracer_provider(TracerProvider(resource=Resource.create({"service.name": service})))
        _configured = True
    if metrics_port is not None:
        start_http_server(
            metrics_port, addr="127.0.0.1" if os.environ.get("GOVHALL_METRICS_LOOPBACK") else "0.0.0.0"
        )
