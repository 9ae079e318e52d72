"""Logging, Prometheus and OpenTelemetry set-up, once per process."""

from __future__ import annotations

import logging
import os
import sys

from prometheus_client import start_http_server

_configured = False


def setup(service: str, level: str = "INFO", metrics_port: int | None = None) -> None:
    global _configured
    if not _configured:
        logging.basicConfig(
            level=level.upper(),
            stream=sys.stderr,
            format=f"%(asctime)s %(levelname)s {service} %(name)s: %(message)s",
        )
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
