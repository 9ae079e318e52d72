"""licences status lists: a bitstring per issuer and purpose (revocation, suspension), and the
expiries the sweep has announced

Revision ID: 0003_status_lists
Revises: 0002_drive
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_status_lists"
down_revision = "0002_drive"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "status_lists",
        sa.Column("issuer_code", sa.String(18), primary_key=True),
        sa.Column("purpose", sa.String(16), primary_key=True),
        sa.Column("bits", sa.LargeBinary(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "licence_expiries",
        sa.Column("licence_id", sa.String(36), sa.ForeignKey("licences.id"), primary_key=True),
        sa.Column("valid_until", sa.Date(), nullable=False),
        sa.Column("swept_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("licence_expiries")
    op.drop_table("status_lists")
