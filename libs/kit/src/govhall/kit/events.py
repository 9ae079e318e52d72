"""Events: a protobuf message in an envelope, published on a NATS subject.

The subject is `<service>.<entity>.<what>` (catalogue.matter.published); the first word names
the JetStream stream. The event id goes out as the Nats-Msg-Id header, so JetStream drops a
duplicate publish, and consumers remember it, so a redelivery is applied once.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime

from google.protobuf.message import Message
from google.protobuf.timestamp_pb2 import Timestamp

from govhall.kit.ids import new_id
from govhall.protos.common.v1 import common_pb2


@dataclass(frozen=True)
class Event:
    subject: str
    payload: bytes
    event_id: str = field(default_factory=new_id)
    occurred_at: datetime = field(default_factory=lambda: datetime.now(UTC))

    @property
    def stream_stem(self) -> str:
        return self.subject.split(".", 1)[0]


def make_event(subject: str, message: Message, site_code: str = "") -> Event:
    """Fill message.meta (a common.v1.EventMeta) and wrap the message for the outbox."""
    event_id = new_id()
    occurred = datetime.now(UTC)
    meta: common_pb2.EventMeta = message.meta  # type: ignore[attr-defined]
    meta.event_id = event_id
    meta.event_type = subject
    meta.site_code = site_code
    ts = Timestamp()
    ts.FromDatetime(occurred)
    meta.occurred_at.CopyFrom(ts)
    return Event(
        subject=subject, payload=message.SerializeToString(), event_id=event_id, occurred_at=occurred
    )


@dataclass(frozen=True)
class Delivery:
    """A message as a consumer receives it."""

    subject: str
    payload: bytes
    event_id: str
    attempt: int = 1
