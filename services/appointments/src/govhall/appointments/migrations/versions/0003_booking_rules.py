"""booking area: the owner rows a booking locks, and the owner's own cancellations

Revision ID: 0003_booking_rules
Revises: 0001
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_booking_rules"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "booking_owners",
        sa.Column("owner_kind", sa.String(16), primary_key=True),
        sa.Column("owner_subject", sa.String(64), primary_key=True),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "booking_cancellations",
        sa.Column("booking_id", sa.String(36), primary_key=True),
        sa.Column("owner_kind", sa.String(16), nullable=False),
        sa.Column("owner_subject", sa.String(64), nullable=False),
        sa.Column("cancelled_at", TS, nullable=False),
    )
    op.create_index(
        "booking_cancellations_by_owner",
        "booking_cancellations",
        ["owner_kind", "owner_subject", "cancelled_at"],
    )


def downgrade() -> None:
    op.drop_index("booking_cancellations_by_owner", table_name="booking_cancellations")
    op.drop_table("booking_cancellations")
    op.drop_table("booking_owners")
