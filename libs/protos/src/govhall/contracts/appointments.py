"""The events appointments publishes (see `govhall.contracts` for why the registry lives here).

Every `appointments.booking.*` subject carries one `BookingChanged` with the booking's revision
(consumers apply one booking's changes in order), its owner, and the `common.v1.UserNotice` the
consult inbox turns into a message without calling appointments back. Subjects say what
happened; the streams keep them 14 days (`kit.streams`).

- booked: made, and waiting for a window clerk's reply (halls or windows that require one);
- confirmed: confirmed, by the clerk or, where no reply is required, at once when booked;
- declined: the clerk declined it (reason); cancelled: by the person, or by the hall closing
  the day or the slot (reason);
- reminder: the day before and an hour before (reason `day_before` | `hour_before`);
- checked_in: the person took a queue ticket at the hall; no_show: not checked in by the end
  of the slot and its grace, counted once.
"""

from __future__ import annotations

from typing import Final

from govhall.contracts.registry import EventType, Registry
from govhall.protos.appointments.v1 import events_pb2 as pb

BOOKING_PREFIX: Final = "appointments.booking."

BOOKING_SUBJECTS: Final = [
    EventType(BOOKING_PREFIX + name, pb.BookingChanged)
    for name in "booked confirmed declined cancelled reminder checked_in no_show".split()
]

REGISTRY: Final = Registry("appointments", BOOKING_SUBJECTS)


def booking(name: str) -> EventType[pb.BookingChanged]:
    """The subject `appointments.booking.<name>` (KeyError for one not declared)."""
    return REGISTRY[BOOKING_PREFIX + name]
