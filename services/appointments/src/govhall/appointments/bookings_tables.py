"""The booking area's own tables, on appointments' metadata (migration 0003_booking_rules).

`booking_owners` is one row per person or enterprise that ever booked: a booking locks it first
(`kit.dialect.locked`), so one owner's bookings are decided one at a time and "at most N active"
holds under concurrency on PostgreSQL too (SQLite serialises writers anyway). Counting active
bookings under that lock, rather than keeping a counter, stays right whichever area (the hall
closing a day, the desk's no-show sweep) ends a booking. `booking_cancellations` records the
owner's own cancellations (not the hall's), which the cancellation rule counts.
"""

from __future__ import annotations

import sqlalchemy as sa

from govhall.appointments.tables import TS, metadata

booking_owners = sa.Table(
    "booking_owners",
    metadata,
    sa.Column("owner_kind", sa.String(16), primary_key=True),
    sa.Column("owner_subject", sa.String(64), primary_key=True),
    sa.Column("created_at", TS, nullable=False),
)

booking_cancellations = sa.Table(
    "booking_cancellations",
    metadata,
    sa.Column("booking_id", sa.String(36), primary_key=True),
    sa.Column("owner_kind", sa.String(16), nullable=False),
    sa.Column("owner_subject", sa.String(64), nullable=False),
    sa.Column("cancelled_at", TS, nullable=False),
    sa.Index("booking_cancellations_by_owner", "owner_kind", "owner_subject", "cancelled_at"),
)
