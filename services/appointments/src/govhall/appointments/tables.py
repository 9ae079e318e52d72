"""Appointments tables (SQLAlchemy Core); migrations/ creates them.

A hall has windows; a window serves a set of matters (or a department's). Timetables say, per
hall, window or matter, the weekly sessions, the slot length and the capacity per slot; slots
exist only for the booking horizon. A slot counts its bookings itself (`booked`), and the
database holds `booked <= capacity`: a booking takes a place by one conditional UPDATE, never by
reading a count and inserting (the open-source peers overbook exactly there). A booking's
contact name and mobile are encrypted; `contact_mobile_hash` finds one by mobile without
decrypting. `active_key` is set while a booking is active and NULL after: its UNIQUE constraint
is "one active booking per person, matter and day" on both back ends.
"""

from __future__ import annotations

import sqlalchemy as sa

from govhall.kit.eventstore import add_kit_tables
from govhall.sitecopy import SiteTable, add_site_table

metadata = sa.MetaData()
add_kit_tables(metadata)
sites = SiteTable(add_site_table(metadata))

TS = sa.DateTime(timezone=True)

halls = sa.Table(
    "halls",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("site_code", sa.String(6), nullable=False),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("address", sa.String(200), nullable=False, server_default=""),
    sa.Column("hours", sa.String(200), nullable=False, server_default=""),
    sa.Column("phone", sa.String(40), nullable=False, server_default=""),
    sa.Column("longitude", sa.Float(), nullable=True),
    sa.Column("latitude", sa.Float(), nullable=True),
    sa.Column("requires_reply", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("revision", sa.Integer(), nullable=False, server_default="1"),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.UniqueConstraint("site_code", "name", name="halls_site_name"),
)

windows = sa.Table(
    "windows",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("hall_id", sa.String(36), sa.ForeignKey("halls.id"), nullable=False),
    sa.Column("name", sa.String(50), nullable=False),
    # Serves every matter of this department when set, besides those in window_matters.
    sa.Column("department_code", sa.String(64), nullable=True),
    sa.Column("requires_reply", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
    sa.Column("revision", sa.Integer(), nullable=False, server_default="1"),
    sa.Column("created_at", TS, nullable=False),
    sa.UniqueConstraint("hall_id", "name", name="windows_hall_name"),
)

window_matters = sa.Table(
    "window_matters",
    metadata,
    sa.Column("window_id", sa.String(36), sa.ForeignKey("windows.id"), primary_key=True),
    sa.Column("matter_code", sa.String(36), primary_key=True),
    sa.Index("window_matters_by_matter", "matter_code"),
)

# Weekly sessions as data: [{"weekday": 1-7, "start": "09:00", "end": "12:00"}, ...] (China
# time). The most specific timetable of a window wins: its matter's, then the window's, then the
# hall's (window_id and matter_code NULL).
timetables = sa.Table(
    "timetables",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("hall_id", sa.String(36), sa.ForeignKey("halls.id"), nullable=False),
    sa.Column("window_id", sa.String(36), sa.ForeignKey("windows.id"), nullable=True),
    sa.Column("matter_code", sa.String(36), nullable=True),
    sa.Column("sessions", sa.Text(), nullable=False),
    sa.Column("slot_minutes", sa.Integer(), nullable=False),
    sa.Column("capacity", sa.Integer(), nullable=False),
    sa.Column("revision", sa.Integer(), nullable=False, server_default="1"),
    sa.Column("updated_at", TS, nullable=False),
    sa.CheckConstraint("slot_minutes > 0 AND capacity > 0", name="timetables_positive"),
    sa.Index("timetables_by_hall", "hall_id"),
)

slots = sa.Table(
    "slots",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("hall_id", sa.String(36), sa.ForeignKey("halls.id"), nullable=False),
    sa.Column("window_id", sa.String(36), sa.ForeignKey("windows.id"), nullable=False),
    sa.Column("site_code", sa.String(6), nullable=False),
    # The China-time date the slot is on (what a day view and a closed day select by).
    sa.Column("day", sa.Date(), nullable=False),
    sa.Column("starts_at", TS, nullable=False),
    sa.Column("ends_at", TS, nullable=False),
    sa.Column("capacity", sa.Integer(), nullable=False),
    sa.Column("booked", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("closed", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("close_reason", sa.String(200), nullable=False, server_default=""),
    sa.Column("revision", sa.Integer(), nullable=False, server_default="1"),
    sa.CheckConstraint("booked >= 0 AND booked <= capacity", name="slots_never_overbooked"),
    sa.UniqueConstraint("window_id", "starts_at", name="slots_window_start"),
    sa.Index("slots_by_hall_day", "hall_id", "day"),
)

bookings = sa.Table(
    "bookings",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    # 预约号: shown at the hall and checked in by.
    sa.Column("code", sa.String(16), nullable=False, unique=True),
    sa.Column("slot_id", sa.String(36), sa.ForeignKey("slots.id"), nullable=False),
    sa.Column("hall_id", sa.String(36), nullable=False),
    sa.Column("window_id", sa.String(36), nullable=False),
    sa.Column("site_code", sa.String(6), nullable=False),
    sa.Column("matter_code", sa.String(36), nullable=False),
    sa.Column("matter_name", sa.String(200), nullable=False),
    sa.Column("situation", sa.String(200), nullable=False, server_default=""),
    sa.Column("day", sa.Date(), nullable=False),
    sa.Column("starts_at", TS, nullable=False),
    sa.Column("ends_at", TS, nullable=False),
    # Whose booking: a person, or an enterprise (owner) booked by its agent (a person).
    sa.Column("owner_kind", sa.String(16), nullable=False),
    sa.Column("owner_subject", sa.String(64), nullable=False),
    sa.Column("agent_subject", sa.String(64), nullable=False, server_default=""),
    sa.Column("contact_name", sa.Text(), nullable=False),  # encrypted
    sa.Column("contact_mobile", sa.Text(), nullable=False),  # encrypted
    sa.Column("contact_mobile_hash", sa.String(64), nullable=False),
    sa.Column("mobile_masked", sa.String(20), nullable=False),
    sa.Column("email", sa.String(100), nullable=False, server_default=""),
    sa.Column("purpose", sa.String(500), nullable=False, server_default=""),
    # pending_reply | confirmed | declined | cancelled | checked_in | no_show
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("state_reason", sa.String(200), nullable=False, server_default=""),
    sa.Column("active_key", sa.String(200), nullable=True, unique=True),
    sa.Column("revision", sa.Integer(), nullable=False, server_default="1"),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Column("checked_in_at", TS, nullable=True),
    sa.Index("bookings_by_owner", "owner_kind", "owner_subject", "starts_at"),
    sa.Index("bookings_by_hall_day", "hall_id", "day"),
    sa.Index("bookings_by_slot", "slot_id"),
    sa.Index("bookings_by_mobile", "contact_mobile_hash"),
)
