"""each site's lexicon (synonyms and intent words its administrators maintain) and its audit

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 10:45:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "lexicon_entries",
        sa.Column("site_code", sa.String(length=6), primary_key=True),
        sa.Column("kind", sa.String(length=10), primary_key=True),
        sa.Column("word", sa.String(length=20), primary_key=True),
        sa.Column("terms", sa.Text(), nullable=False),
        sa.Column("removed", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_by", sa.String(length=100), nullable=False),
        sa.Column("updated_by_name", sa.String(length=100), nullable=False, server_default=""),
    )
    op.create_table(
        "lexicon_changes",
        sa.Column(
            "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
        ),
        sa.Column("site_code", sa.String(length=6), nullable=False),
        sa.Column("kind", sa.String(length=10), nullable=False),
        sa.Column("word", sa.String(length=20), nullable=False),
        sa.Column("change", sa.String(length=10), nullable=False),
        sa.Column("before", sa.Text(), nullable=True),
        sa.Column("after", sa.Text(), nullable=True),
        sa.Column("changed_by", sa.String(length=100), nullable=False),
        sa.Column("changed_by_name", sa.String(length=100), nullable=False, server_default=""),
        sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_lexicon_changes_site", "lexicon_changes", ["site_code", "id"])


def downgrade() -> None:
    op.drop_index("ix_lexicon_changes_site", table_name="lexicon_changes")
    op.drop_table("lexicon_changes")
    op.drop_table("lexicon_entries")
