"""the inbox (我的消息): messages (one per owner and source event) and the SMS outbox

Revision ID: 0003_inbox
Revises: 0002_error_reports
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0003_inbox"
down_revision = "0002_error_reports"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "messages",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("owner_kind", sa.String(16), nullable=False),
        sa.Column("owner_subject", sa.String(64), nullable=False),
        sa.Column("source_event_id", sa.String(64), nullable=False),
        sa.Column("subject", sa.String(100), nullable=False),
        sa.Column("title", sa.String(200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("link_kind", sa.String(20), nullable=False),
        sa.Column("link_id", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("read_at", TS, nullable=True),
        sa.Column("deleted", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.UniqueConstraint("owner_kind", "owner_subject", "source_event_id", name="uq_messages_owner_event"),
    )
    op.create_index("messages_by_owner_time", "messages", ["owner_kind", "owner_subject", "created_at"])
    op.create_table(
        "sms_outbox",
        sa.Column("message_id", sa.String(36), primary_key=True),
        sa.Column("owner_kind", sa.String(16), nullable=False),
        sa.Column("owner_subject", sa.String(64), nullable=False),
        sa.Column("text", sa.String(500), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("claimed_until", TS, nullable=True),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("outcome", sa.String(16), nullable=True),
        sa.Column("done_at", TS, nullable=True),
    )
    op.create_index("sms_outbox_pending", "sms_outbox", ["done_at", "created_at"])


def downgrade() -> None:
    op.drop_table("sms_outbox")
    op.drop_table("messages")
