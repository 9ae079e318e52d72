"""Events: a protobuf message in an envelope, published on a NATS subject.

The subject is `<service>.<entity>.<what>` (cases.case.accepted), and for a state event (the
current state of one entity) `<service>.<entity>.<what>.<key>` (catalogue.site.upserted.420000;
the registry's EventType builds it, see `govhall.contracts.registry`); the first word names the
JetStream stream, whose retention `govhall.kit.streams` declares. The event id goes out as the Nats-Msg-Id header, so JetStream drops a
duplicate publish, and consumers remember it, so a redelivery is applied once.

Each service declares its subjects once, with the message each carries and its schema
version, in its contract's registry (`govhall.contracts.<service>`; the kit knows only the
generic `EventType`/`Registry` and is handed registries, so it depends on no service's
contract). `make_event` stamps the envelope (EventMeta, field 1 of every event message) with
the message's full proto name, the schema version and the current trace; `decode` reads the
envelope first and gives back the message only when the type is the subject's and the version
is one this consumer understands. Anything else is logged, counted in
`govhall_events_skipped_total` and skipped (the handler returns, so the message is acked): an
event is never read as a message it is not.

Events published before types were stamped (EventMeta.message_type empty, schema_version 0)
are still in the streams for their retention: `decode` reads such an event as what its subject
carried then (the registry entry's `legacy` message, else its message). That shim may go once
every stream has turned over since the first stamped publish.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import UTC, datetime

from google.protobuf.message import DecodeError, Message
from google.protobuf.timestamp_pb2 import Timestamp
from opentelemetry.trace.propagation.tracecontext import TraceContextTextMapPropagator
from prometheus_client import Counter

from govhall.contracts.registry import EventType, M, Registry
from govhall.kit.ids import new_id
from govhall.protos.common.v1 import common_pb2

log = logging.getLogger(__name__)

SKIPPED = Counter(
    "govhall_events_skipped_total",
    "Events a consumer skipped (acked unread): a type it does not know or a newer schema version",
    ["consumer", "subject", "reason"],
)

_TRACE = TraceContextTextMapPropagator()
_legacy_seen: set[tuple[str, str]] = set()


@dataclass(frozen=True)
class Event:
    subject: str
    payload: bytes
    event_id: str = field(default_factory=new_id)
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    # The aggregate the event is about (a case id) when its subject does not name it: the outbox
    # relay keeps the order of one aggregate's events and publishes different ones concurrently.
    ordering_key: str | None = None

    @property
    def stream_stem(self) -> str:
        return self.subject.split(".", 1)[0]


def current_traceparent() -> str:
    """The W3C traceparent of the current OpenTelemetry span, or "" outside a recorded one."""
    carrier: dict[str, str] = {}
    _TRACE.inject(carrier)
    return carrier.get("traceparent", "")


def make_event(
    kind: EventType[M], message: M, site_code: str = "", *, ordering_key: str | None = None
) -> Event:
    """Stamp message.meta (a common.v1.EventMeta) for `kind` and wrap the message for the outbox;
    ordering_key names the aggregate (see Event) when the subject does not."""
    if type(message) is not kind.message:
        raise TypeError(f"{kind.subject} carries {kind.name}, not {message.DESCRIPTOR.full_name}")
    event_id = new_id()
    occurred = datetime.now(UTC)
    meta: common_pb2.EventMeta = message.meta  # type: ignore[attr-defined]
    meta.event_id = event_id
    meta.event_type = kind.subject
    meta.message_type = kind.name
    meta.schema_version = kind.version
    meta.site_code = site_code
    meta.traceparent = current_traceparent()
    ts = Timestamp()
    ts.FromDatetime(occurred)
    meta.occurred_at.CopyFrom(ts)
    return Event(
        subject=kind.subject_of(message),
        payload=message.SerializeToString(),
        event_id=event_id,
        occurred_at=occurred,
        ordering_key=ordering_key,
    )


@dataclass(frozen=True)
class Delivery:
    """A message as a consumer receives it."""

    subject: str
    payload: bytes
    event_id: str
    attempt: int = 1


def _skip(consumer: str, delivery: Delivery, reason: str, detail: str) -> None:
    SKIPPED.labels(consumer, delivery.subject, reason).inc()
    log.warning("consumer %s skips %s on %s: %s", consumer, delivery.event_id, delivery.subject, detail)


def decode(delivery: Delivery, registry: Registry, consumer: str) -> Message | None:
    """The delivered event as its message, or None (counted and logged) when this consumer must
    not read it: a subject or message type its registry does not know, a type other than the
    subject's, or a schema version newer than the registry's."""
    kind = registry.get(delivery.subject)
    if kind is None:
        _skip(consumer, delivery, "unknown_type", "a subject this consumer does not know")
        return None
    try:
        meta = common_pb2.EventEnvelope.FromString(delivery.payload).meta
    except DecodeError:
        _skip(consumer, delivery, "unknown_type", "not an event envelope")
        return None
    if not meta.message_type:
        # Published before types were stamped: the subject says what it was then.
        cls: type[Message] = kind.legacy or kind.message
        if (consumer, delivery.subject) not in _legacy_seen:
            _legacy_seen.add((consumer, delivery.subject))
            log.info("consumer %s reads untyped events on %s as %s", consumer, delivery.subject, cls.__name__)
        return cls.FromString(delivery.payload)
    if meta.message_type != kind.name:
        _skip(consumer, delivery, "unknown_type", f"{meta.message_type} where {kind.name} was expected")
        return None
    if meta.schema_version > kind.version:
        _skip(
            consumer,
            delivery,
            "newer_version",
            f"{kind.name} version {meta.schema_version}, this consumer reads up to {kind.version}",
        )
        return None
    return kind.message.FromString(delivery.payload)
