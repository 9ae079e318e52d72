"""consult tables: favourites (the kit's outbox and inbox come from the kit's own history)

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


def upgrade() -> None:
    op.create_table(
        "favourites",
        sa.Column("owner_kind", sa.String(16), primary_key=True),
        sa.Column("owner_subject", sa.String(64), primary_key=True),
        sa.Column("site_code", sa.String(6), primary_key=True),
        sa.Column("matter_code", sa.String(36), primary_key=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("favourites_by_owner_time", "favourites", ["owner_kind", "owner_subject", "created_at"])


def downgrade() -> None:
    op.drop_table("favourites")
