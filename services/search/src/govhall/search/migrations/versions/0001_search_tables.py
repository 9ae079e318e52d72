"""search tables: the site tree copy, and the kit's outbox and inbox

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The kit's outbox and inbox, frozen as this revision first made them (from the kit's live
    # definitions then). The kit's own history (libs/kit: kit_migrations) now owns them and runs
    # first, so on a fresh database they exist already; run alone, this history still builds them.
    tables = sa.inspect(op.get_bind()).get_table_names()
    if "outbox" not in tables:
        op.create_table(
            "outbox",
            sa.Column(
                "seq",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                primary_key=True,
                autoincrement=True,
            ),
            sa.Column("event_id", sa.String(36), nullable=False, unique=True),
            sa.Column("subject", sa.String(200), nullable=False),
            sa.Column("payload", sa.LargeBinary(), nullable=False),
            sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        )
        op.create_index(
            "ix_outbox_unpublished",
            "outbox",
            ["seq"],
            postgresql_where=sa.text("published_at IS NULL"),
            sqlite_where=sa.text("published_at IS NULL"),
        )
    if "inbox" not in tables:
        op.create_table(
            "inbox",
            sa.Column("consumer", sa.String(100), primary_key=True),
            sa.Column("event_id", sa.String(36), primary_key=True),
            sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        )
    op.create_table(
        "sites",
        sa.Column("code", sa.String(length=6), primary_key=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("path", sa.String(length=64), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("sites")
    # The outbox and inbox stay: the kit's history owns them now.
