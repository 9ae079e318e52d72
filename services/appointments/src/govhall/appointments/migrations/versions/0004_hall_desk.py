"""hall desk: queue tickets and their counter per window and day, the reminder level of a booking

Revision ID: 0004_hall_desk
Revises: 0003_booking_rules
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_hall_desk"
down_revision = "0003_booking_rules"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.add_column("bookings", sa.Column("reminded", sa.String(16), nullable=False, server_default="none"))
    op.create_index("bookings_by_state_start", "bookings", ["state", "starts_at"])
    op.create_table(
        "queue_counters",
        sa.Column("window_id", sa.String(36), primary_key=True),
        sa.Column("day", sa.Date(), primary_key=True),
        sa.Column("last_number", sa.Integer(), nullable=False, server_default="0"),
    )
    op.create_table(
        "queue_tickets",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("booking_id", sa.String(36), sa.ForeignKey("bookings.id"), nullable=False, unique=True),
        sa.Column("hall_id", sa.String(36), nullable=False),
        sa.Column("window_id", sa.String(36), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("called_by", sa.String(64), nullable=False, server_default=""),
        sa.Column("checked_in_at", TS, nullable=False),
        sa.Column("called_at", TS, nullable=True),
        sa.Column("finished_at", TS, nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False, server_default="1"),
        sa.UniqueConstraint("window_id", "day", "number", name="queue_tickets_window_day_number"),
    )
    op.create_index("queue_tickets_by_window_state", "queue_tickets", ["window_id", "day", "state", "number"])


def downgrade() -> None:
    op.drop_index("queue_tickets_by_window_state", "queue_tickets")
    op.drop_table("queue_tickets")
    op.drop_table("queue_counters")
    op.drop_index("bookings_by_state_start", "bookings")
    with op.batch_alter_table("bookings") as batch:
        batch.drop_column("reminded")
