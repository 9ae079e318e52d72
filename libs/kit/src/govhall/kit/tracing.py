"""OpenTelemetry traces across the platform's hops: HTTP -> gRPC -> outbox -> NATS -> consumers.

The W3C trace context (`traceparent`, `tracestate`) rides along each hop: in gRPC metadata
(`grpcclient` injects, `grpcserver` extracts), in the event envelope (`events.make_event` stamps
meta.traceparent, so it is stored with the outbox row and survives a restart of the relay), and
in the NATS message headers (the relay's producer span, `producer_span`; each consumer's span,
`consumer_span`, is its child). So one trace shows a submission from the gateway through to
every consumer of its events.

Without an SDK tracer provider (no OTEL_EXPORTER_OTLP_ENDPOINT, see `observability.setup`) every
helper here returns at once: no context is parsed, injected or extracted, and no span is made,
so the hot paths pay one check of the global provider.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable, Iterator, Mapping
from typing import Any

from google.protobuf.message import DecodeError
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.sdk.trace import SpanProcessor
from opentelemetry.trace import NoOpTracerProvider, ProxyTracerProvider, SpanKind
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator

from govhall.protos.common.v1 import common_pb2

# The W3C propagator itself, not the global one: what goes on the wire is fixed here, whatever
# OTEL_PROPAGATORS says.
_W3C = TraceContextTextMapPropagator()
_KEYS = ("traceparent", "tracestate")
tracer = trace.get_tracer("govhall.kit.tracing")


def enabled() -> bool:
    """Whether a real (SDK) tracer provider is installed; until one is, the API's is a no-op."""
    return not isinstance(trace.get_tracer_provider(), ProxyTracerProvider | NoOpTracerProvider)


def inject(carrier: dict[str, str]) -> dict[str, str]:
    """``carrier`` with the current span's context added (`traceparent`, `tracestate`)."""
    if enabled():
        _W3C.inject(carrier)
    return carrier


def grpc_metadata() -> list[tuple[str, str]]:
    """The current span's context as gRPC metadata pairs (none without a recorded span)."""
    return list(inject({}).items()) if enabled() else []


def extract(carrier: Mapping[str, str] | Iterable[tuple[str, str]] | None) -> Context | None:
    """The remote parent named by a carrier (NATS headers, or gRPC metadata pairs), as a context
    to start a span in: an empty context (a new trace) when the carrier names none, so a span
    never takes a parent from whatever happened to be current; None when tracing is off."""
    if not enabled():
        return None
    pairs = carrier.items() if isinstance(carrier, Mapping) else (carrier or ())
    found = {str(k).lower(): v for k, v in pairs if str(k).lower() in _KEYS and isinstance(v, str)}
    return _W3C.extract(found, context=Context())


def event_context(payload: bytes) -> Context | None:
    """The context of the span that raised an event, from its envelope's meta.traceparent (the
    relay runs in a task of its own, long after the request: the row is what remembers it)."""
    try:
        traceparent = common_pb2.EventEnvelope.FromString(payload).meta.traceparent
    except DecodeError:
        return None
    if not traceparent:
        return None
    return _W3C.extract({"traceparent": traceparent}, context=Context())


@contextlib.contextmanager
def producer_span(subject: str, event_id: str, payload: bytes) -> Iterator[None]:
    """A PRODUCER span around publishing one event, child of the span that raised it; the bus
    injects it (the current span) into the message headers."""
    if not enabled():
        yield
        return
    with tracer.start_as_current_span(
        f"{subject} publish",
        context=event_context(payload),
        kind=SpanKind.PRODUCER,
        attributes=_messaging(subject, event_id),
    ):
        yield


@contextlib.contextmanager
def consumer_span(
    consumer: str,
    subject: str,
    event_id: str,
    carrier: Mapping[str, str] | None,
    attempt: int = 1,
) -> Iterator[None]:
    """A CONSUMER span around one handler call, child of the producer span named in ``carrier``
    (the message headers); what the handler does, events it raises included, is under it."""
    if not enabled():
        yield
        return
    attributes = _messaging(subject, event_id)
    attributes["messaging.consumer.group.name"] = consumer
    attributes["messaging.message.delivery_attempt"] = attempt
    with tracer.start_as_current_span(
        f"{subject} process", context=extract(carrier), kind=SpanKind.CONSUMER, attributes=attributes
    ):
        yield


def _messaging(subject: str, event_id: str) -> dict[str, Any]:
    return {
        "messaging.system": "nats",
        "messaging.destination.name": subject,
        "messaging.message.id": event_id,
    }


# Attributes that carry what a citizen typed (a path, a query string): traces leave the process as
# logs do, so they are masked the same way (observability.redact). Set when an HTTP span starts.
_REDACTED = ("url.path", "url.query", "url.full", "http.target")


class RedactingProcessor(SpanProcessor):
    """Masks ID and mobile numbers in a span's URL attributes before any exporter sees them:
    the first processor of the provider, as the logs' RedactingFormatter is of their handler."""

    def on_start(self, span: Any, parent_context: Context | None = None) -> None:
        from govhall.kit.observability import redact

        for key in _REDACTED:
            value = (span.attributes or {}).get(key)
            if isinstance(value, str):
                masked = redact(value)
                if masked != value:
                    span.set_attribute(key, masked)


def provider_from_env(service: str, environ: Mapping[str, str]) -> Any:
    """The SDK tracer provider the OTEL_* variables ask for, or None for none (tracing stays a
    no-op): OTLP over HTTP to OTEL_EXPORTER_OTLP_ENDPOINT (a collector's base URL, port 4318;
    the exporter adds /v1/traces) through a BatchSpanProcessor, so a request never waits on
    the collector; OTEL_TRACES_EXPORTER=console prints them instead, =none turns them off.
    service.name is OTEL_SERVICE_NAME (the chart sets govhall-<service>), else ``service``;
    OTEL_RESOURCE_ATTRIBUTES adds the site's labels."""
    # A traces endpoint is the whole URL; the general one is a base the signal's path goes under.
    endpoint = environ.get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT") or (
        environ["OTEL_EXPORTER_OTLP_ENDPOINT"].rstrip("/") + "/v1/traces"
        if environ.get("OTEL_EXPORTER_OTLP_ENDPOINT")
        else ""
    )
    kind = environ.get("OTEL_TRACES_EXPORTER", "otlp" if endpoint else "none").strip().lower()
    if kind == "none" or (kind == "otlp" and not endpoint):
        return None
    from opentelemetry.sdk.resources import Resource
    from opentelemetry.sdk.trace import TracerProvider
    from opentelemetry.sdk.trace.export import BatchSpanProcessor, ConsoleSpanExporter, SpanExporter

    attributes = {} if environ.get("OTEL_SERVICE_NAME") else {"service.name": service}
    provider = TracerProvider(resource=Resource.create(attributes))
    provider.add_span_processor(RedactingProcessor())
    exporter: SpanExporter
    if kind == "console":
        exporter = ConsoleSpanExporter()
    else:
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter

        # The other OTLP variables (headers, timeout, compression) the exporter reads itself.
        exporter = OTLPSpanExporter(endpoint=endpoint)
    provider.add_span_processor(BatchSpanProcessor(exporter))
    return provider
