"""appointments tables: the site copy, halls, windows, timetables, slots, bookings (the kit's
outbox and inbox come from the kit's own history)

Revision ID: 0001
Revises:
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sites",
        sa.Column("code", sa.String(6), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False, server_default="0"),
        sa.Column("path", sa.String(64), nullable=False),
    )
    op.create_table(
        "halls",
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
    op.create_table(
        "windows",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("hall_id", sa.String(36), sa.ForeignKey("halls.id"), nullable=False),
        sa.Column("name", sa.String(50), nullable=False),
        sa.Column("department_code", sa.String(64), nullable=True),
        sa.Column("requires_reply", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("active", sa.Boolean(), nullable=False, server_default=sa.true()),
        sa.Column("revision", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("hall_id", "name", name="windows_hall_name"),
    )
    op.create_table(
        "window_matters",
        sa.Column("window_id", sa.String(36), sa.ForeignKey("windows.id"), primary_key=True),
        sa.Column("matter_code", sa.String(36), primary_key=True),
    )
    op.create_index("window_matters_by_matter", "window_matters", ["matter_code"])
    op.create_table(
        "timetables",
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
    )
    op.create_index("timetables_by_hall", "timetables", ["hall_id"])
    op.create_table(
        "slots",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("hall_id", sa.String(36), sa.ForeignKey("halls.id"), nullable=False),
        sa.Column("window_id", sa.String(36), sa.ForeignKey("windows.id"), nullable=False),
        sa.Column("site_code", sa.String(6), nullable=False),
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
    )
    op.create_index("slots_by_hall_day", "slots", ["hall_id", "day"])
    op.create_table(
        "bookings",
        sa.Column("id", sa.String(36), primary_key=True),
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
        sa.Column("owner_kind", sa.String(16), nullable=False),
        sa.Column("owner_subject", sa.String(64), nullable=False),
        sa.Column("agent_subject", sa.String(64), nullable=False, server_default=""),
        sa.Column("contact_name", sa.Text(), nullable=False),
        sa.Column("contact_mobile", sa.Text(), nullable=False),
        sa.Column("contact_mobile_hash", sa.String(64), nullable=False),
        sa.Column("mobile_masked", sa.String(20), nullable=False),
        sa.Column("email", sa.String(100), nullable=False, server_default=""),
        sa.Column("purpose", sa.String(500), nullable=False, server_default=""),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("state_reason", sa.String(200), nullable=False, server_default=""),
        sa.Column("active_key", sa.String(200), nullable=True, unique=True),
        sa.Column("revision", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("checked_in_at", TS, nullable=True),
    )
    op.create_index("bookings_by_owner", "bookings", ["owner_kind", "owner_subject", "starts_at"])
    op.create_index("bookings_by_hall_day", "bookings", ["hall_id", "day"])
    op.create_index("bookings_by_slot", "bookings", ["slot_id"])
    op.create_index("bookings_by_mobile", "bookings", ["contact_mobile_hash"])


def downgrade() -> None:
    for table in ("bookings", "slots", "timetables", "window_matters", "windows", "halls", "sites"):
        op.drop_table(table)
