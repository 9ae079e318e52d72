"""search tables: the site tree copy, and the kit's outbox and inbox

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

from govhall.kit.migrations import create_kit_tables, drop_kit_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_kit_tables()
    op.create_table(
        "sites",
        sa.Column("code", sa.String(length=6), primary_key=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("path", sa.String(length=64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sites")
    drop_kit_tables()
