"""The kit's outbox and inbox, as every service's first migration made them until the kit migrated
itself.

Revision ID: kit_0001
Revises:
Create Date: 2026-12-04

Every database that exists already has both tables (its service's 0001 made them, from the same
definition written out below); this revision creates what is missing and adopts what is there.
Why idempotent here rather than the runner stamping `kit_0001` when it sees the tables: the
decision stays in the history, so any way of running it (the runner, `alembic upgrade` by hand, a
test on a copy of the folder) gets it right, and it is per table, not all or nothing. What it
adopts can only have today's shape: the services' first migrations are frozen on this same DDL,
and any later change to the kit's tables is a later kit revision, which does run everywhere.
"""

import sqlalchemy as sa
from alembic import op

revision = "kit_0001"
down_revision = None
branch_labels = None
depends_on = None


def _missing(name: str) -> bool:
    return name not in sa.inspect(op.get_bind()).get_table_names()


def upgrade() -> None:
    if _missing("outbox"):
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
    if _missing("inbox"):
        op.create_table(
            "inbox",
            sa.Column("consumer", sa.String(100), primary_key=True),
            sa.Column("event_id", sa.String(36), primary_key=True),
            sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        )


def downgrade() -> None:
    op.drop_table("inbox")
    op.drop_index("ix_outbox_unpublished", table_name="outbox")
    op.drop_table("outbox")
