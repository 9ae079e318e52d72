"""crossprovince outgoing messages (signed once, sent until receipted) and handover links

Revision ID: 0002_outgoing
Revises: 0001
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_outgoing"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "outgoing_messages",
        sa.Column("message_id", sa.String(36), primary_key=True),
        sa.Column("key", sa.String(200), nullable=False, unique=True),
        sa.Column("receiver", sa.String(6), nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("subject_id", sa.String(64), nullable=False),
        sa.Column("request_sha256", sa.String(64), nullable=False),
        sa.Column("envelope", sa.LargeBinary, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("last_error", sa.String(500), nullable=False),
        sa.Column("sent_audited", sa.Boolean, nullable=False),
        sa.Column("receipt", sa.LargeBinary, nullable=True),
        sa.Column("receipted_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("handed_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_outgoing_messages_next_attempt_at", "outgoing_messages", ["next_attempt_at"])
    op.create_index("ix_outgoing_messages_receipted_at", "outgoing_messages", ["receipted_at"])
    op.create_table(
        "handover_links",
        sa.Column("partner", sa.String(6), primary_key=True),
        sa.Column("handover_id", sa.String(64), primary_key=True),
        sa.Column("side", sa.String(10), nullable=False),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("case_number", sa.String(64), nullable=False),
        sa.Column("result_message_id", sa.String(36), nullable=False),
        sa.Column("acknowledged_message_id", sa.String(36), nullable=False),
        sa.Column("delivered_by", sa.String(20), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("handover_links")
    op.drop_index("ix_outgoing_messages_receipted_at", "outgoing_messages")
    op.drop_index("ix_outgoing_messages_next_attempt_at", "outgoing_messages")
    op.drop_table("outgoing_messages")
