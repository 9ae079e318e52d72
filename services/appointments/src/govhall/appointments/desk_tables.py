"""The hall desk's tables: queue tickets per window and day, the counter that numbers them, and
the reminder level a booking has reached (a column added to `bookings`).

A ticket number comes from `queue_counters` by one conditional UPDATE (`last_number + 1`) in the
check-in's transaction, so two check-ins at one window never draw the same number; UNIQUE
(window_id, day, number) holds it anyway. A ticket changes state only by a conditional UPDATE on
its state (and revision), so two clerks calling next at once never call the same ticket.
"""

from __future__ import annotations

import sqlalchemy as sa

from govhall.appointments.tables import TS, bookings, metadata

# none | day_before | hour_before: the reminders sent, only ever moving up (each sent once).
bookings.append_column(sa.Column("reminded", sa.String(16), nullable=False, server_default="none"))
# The sweeps read active bookings by state and start.
sa.Index("bookings_by_state_start", bookings.c.state, bookings.c.starts_at)

queue_counters = sa.Table(
    "queue_counters",
    metadata,
    sa.Column("window_id", sa.String(36), primary_key=True),
    sa.Column("day", sa.Date(), primary_key=True),
    sa.Column("last_number", sa.Integer(), nullable=False, server_default="0"),
)

queue_tickets = sa.Table(
    "queue_tickets",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    # One ticket per booking: checking in twice gives the same one.
    sa.Column("booking_id", sa.String(36), sa.ForeignKey("bookings.id"), nullable=False, unique=True),
    sa.Column("hall_id", sa.String(36), nullable=False),
    sa.Column("window_id", sa.String(36), nullable=False),
    sa.Column("day", sa.Date(), nullable=False),
    sa.Column("number", sa.Integer(), nullable=False),
    # waiting | called | skipped | done
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("called_by", sa.String(64), nullable=False, server_default=""),
    sa.Column("checked_in_at", TS, nullable=False),
    sa.Column("called_at", TS, nullable=True),
    sa.Column("finished_at", TS, nullable=True),
    sa.Column("revision", sa.Integer(), nullable=False, server_default="1"),
    sa.UniqueConstraint("window_id", "day", "number", name="queue_tickets_window_day_number"),
    sa.Index("queue_tickets_by_window_state", "window_id", "day", "state", "number"),
)
