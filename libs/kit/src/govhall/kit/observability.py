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

from govhall.kit import tracing
from govhall.kit.validators import mask_id_number, mask_mobile

_configured = False

# 18-character resident ID numbers: 17 digits and a check character (a digit or X), not part of
# a longer run of digits. Neither the region, the date nor the checksum is checked: a mistyped
# ID number is still somebody's ID number.
_ID_NUMBER = re.compile(r"(?<!\d)\d{17}[\dXx](?!\d)")
# Mainland mobile numbers: 11 digits starting with 1, not part of a longer run of digits;
# also written +86/0086/86 first and grouped 3-4-4 with spaces or hyphens.
_MOBILE = re.compile(r"(?<!\d)((?:\+|00)?86[ -]?)?(1\d{2}([ -]?)\d{4}\3\d{4})(?!\d)")


# What a log line may carry encoded: percent-escapes (a URL's path and query; `+` is a space in a
# query), JSON's \\uXXXX escapes and Python's \\xNN (a bytes repr). Each is matched as the text
# it stands for: 号 percent-encoded is %E5%8F%B7, which ends in a digit and would otherwise hide
# the number after it from the "no digit precedes" rule.
_ENCODED = re.compile(
    r"(?P<pct>(?:%[0-9A-Fa-f]{2})+)|(?P<hex>(?:\\x[0-9A-Fa-f]{2})+)|(?P<u>(?:\\u[0-9A-Fa-f]{4})+)|(?P<plus>\+)"
)
# Decoding is repeated for text encoded twice (%2534 is %34 is 4), a bounded number of times.
_DECODE_ROUNDS = 3
# Stands in for what does not decode (a stray byte, a lone surrogate): not a digit, so it
# separates runs of digits as the raw escape did.
_UNDECODABLE = "\ufffd"


def _utf8_chars(data: bytes, width: int) -> list[tuple[str, int]]:
    """The characters of UTF-8 bytes written `width` characters per byte, each with how many
    characters of the original it spans; bytes that do not decode become _UNDECODABLE."""
    out = []
    for char in data.decode("utf-8", errors="surrogateescape"):
        if "\udc80" <= char <= "\udcff":
            out.append((_UNDECODABLE, width))
        else:
            out.append((char, width * len(char.encode("utf-8"))))
    return out


def _json_chars(escapes: str) -> list[tuple[str, int]]:
    """\\uXXXX escapes as characters (surrogate pairs joined), each with its length in the original."""
    units = [int(escapes[i + 2 : i + 6], 16) for i in range(0, len(escapes), 6)]
    out, i = [], 0
    while i < len(units):
        unit = units[i]
        if 0xD800 <= unit < 0xDC00 and i + 1 < len(units) and 0xDC00 <= units[i + 1] < 0xE000:
            out.append((chr(0x10000 + ((unit - 0xD800) << 10) + (units[i + 1] - 0xDC00)), 12))
            i += 2
            continue
        out.append((_UNDECODABLE if 0xD800 <= unit < 0xE000 else chr(unit), 6))
        i += 1
    return out


def _decode_once(text: str) -> tuple[str, list[int], list[int]] | None:
    """``text`` with its escapes decoded, and for each decoded character where it starts and ends
    in ``text``; None if there is nothing to decode."""
    chars: list[str] = []
    starts: list[int] = []
    ends: list[int] = []
    at = 0
    for m in _ENCODED.finditer(text):
        for i in range(at, m.start()):
            chars.append(text[i])
            starts.append(i)
            ends.append(i + 1)
        if m.group("plus"):
            pieces = [(" ", 1)]
        elif m.group("u"):
            pieces = _json_chars(m.group(0))
        else:
            escaped = m.group(0)
            width = 3 if m.group("pct") else 4  # %E5 or \\xe5 per byte
            pieces = _utf8_chars(bytes.fromhex(escaped.replace("%", "").replace("\\x", "")), width)
        pos = m.start()
        for char, span in pieces:
            chars.append(char)
            starts.append(pos)
            ends.append(pos + span)
            pos += span
        at = m.end()
    if not starts:
        return None
    for i in range(at, len(text)):
        chars.append(text[i])
        starts.append(i)
        ends.append(i + 1)
    return "".join(chars), starts, ends


def _matches(text: str) -> list[tuple[int, int, str]]:
    """Where ``text`` holds an ID or mobile number: (start, end, masked) without overlaps."""
    found = [(m.start(), m.end(), mask_id_number(m.group(0))) for m in _ID_NUMBER.finditer(text)]
    if found:
        # Mobiles are looked for with the ID numbers already out of the way, as `*`.
        chars = list(text)
        for start, end, _ in found:
            chars[start:end] = "*" * (end - start)
        text = "".join(chars)
    found += [
        (m.start(), m.end(), (m.group(1) or "") + mask_mobile(m.group(2))) for m in _MOBILE.finditer(text)
    ]
    return sorted(found)


def redact(text: str) -> str:
    """``text`` with every ID number and mobile number in it masked (first 4 and last 4
    characters of an ID number kept, first 3 and last 4 digits of a mobile), however the line
    encodes them: percent-escaped, `+` for a space, JSON or Python escapes, up to three times over.
    A masked number is written decoded; everything else in the line stays as it was."""
    view, starts, ends = text, list(range(len(text))), list(range(1, len(text) + 1))
    for _ in range(_DECODE_ROUNDS):
        decoded = _decode_once(view)
        if decoded is None:
            break
        view, inner_starts, inner_ends = decoded
        # Compose: a character of the new view spans these characters of the original.
        starts = [starts[i] for i in inner_starts]
        ends = [ends[j - 1] for j in inner_ends]
    out, at = [], 0
    for start, end, masked in _matches(view):
        out.append(text[at : starts[start]])
        out.append(masked)
        at = ends[end - 1]
    out.append(text[at:])
    return "".join(out)


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
        # exporter is wanted; without them the API's no-op tracer keeps spans free.
        provider = tracing.provider_from_env(service, os.environ)
        if provider is not None:
            from opentelemetry import trace

            trace.set_tracer_provider(provider)
        _configured = True
    if metrics_port is not None:
        serve_metrics(metrics_port)


def serve_metrics(port: int, host: str | None = None) -> None:
    """Prometheus /metrics of this process on its own port (never on a public API's): on host, or
    on every address unless GOVHALL_METRICS_LOOPBACK asks for loopback only."""
    if host is None:
        host = "127.0.0.1" if os.environ.get("GOVHALL_METRICS_LOOPBACK") else "0.0.0.0"
    start_http_server(port, addr=host)
