"""Appointments' Prometheus metrics (issue 18's metric contract): bookings by what happened to
them, no-shows, and how full the coming week's slots are."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from prometheus_client import Counter, Gauge

from govhall.appointments.tables import slots
from govhall.kit.db import Database

BOOKINGS = Counter(
    "govhall_appointments_bookings_total",
    "Bookings by action: booked, cancelled, checked_in, refused_full (the slot was full)",
    ["action"],
)
NO_SHOWS = Counter("govhall_appointments_no_shows_total", "Bookings marked no-show")
SLOT_FILL = Gauge(
    "govhall_appointments_slot_fill_ratio",
    "Booked over capacity of today's and the coming 7 days' open slots",
)

CHINA = dt.timezone(dt.timedelta(hours=8))
FILL_DAYS = 7
# The booking events that are an action of the counter (a new booking is the one with no state before).
_ACTIONS = {"cancelled": "cancelled", "checked_in": "checked_in"}


def count_event(name: str, from_state: str) -> None:
    """Count a booking's change as its event is written (in the change's own transaction)."""
    if not from_state and name in ("booked", "confirmed"):
        BOOKINGS.labels("booked").inc()
    elif name in _ACTIONS:
        BOOKINGS.labels(_ACTIONS[name]).inc()
    elif name == "no_show":
        NO_SHOWS.inc()


def refused_full() -> None:
    BOOKINGS.labels("refused_full").inc()


async def refresh_slot_fill(db: Database, now: dt.datetime) -> float:
    """Set the fill gauge from the slots of today (China) and the next FILL_DAYS days; return it."""
    today = now.astimezone(CHINA).date()
    c = slots.c
    query = sa.select(sa.func.sum(c.booked), sa.func.sum(c.capacity)).where(
        sa.not_(c.closed), c.day >= today, c.day <= today + dt.timedelta(days=FILL_DAYS)
    )
    async with db.reader() as uow:
        booked, capacity = (await uow.conn.execute(query)).one()
    ratio = int(booked or 0) / int(capacity) if capacity else 0.0
    SLOT_FILL.set(ratio)
    return ratio
