"""The outbox row names the aggregate its event belongs to (ordering_key), so the relay can publish
the events of different aggregates concurrently even when the subject does not name one.

Revision ID: kit_0002
Revises: kit_0001
Create Date: 2026-12-05

Nullable: rows written before this revision, and events whose emitter names no aggregate, are
ordered by their subject alone, as before (one chain per `<service>.<entity>`).
"""

import sqlalchemy as sa
from alembic import op

revision = "kit_0002"
down_revision = "kit_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # An outbox made from today's definition (`kit.eventstore.OUTBOX`, as the kit's tests and
    # kit_0001's adoption allow) has the column already: adopt it, as kit_0001 adopts tables.
    columns = {c["name"] for c in sa.inspect(op.get_bind()).get_columns("outbox")}
    if "ordering_key" in columns:
        return
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("ordering_key", sa.String(200), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("ordering_key")
