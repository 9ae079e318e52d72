"""consult letters: letters, their threads, per-site daily numbers, query lock-outs

Revision ID: 0005_letters
Revises: 0004_evaluations
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0005_letters"
down_revision = "0004_evaluations"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "letters",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("number", sa.String(32), nullable=False, unique=True),
        sa.Column("site_code", sa.String(6), nullable=False),
        sa.Column("site_path", sa.String(64), nullable=False),
        sa.Column("department_code", sa.String(64), nullable=False),
        sa.Column("matter_code", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(100), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("agrees_to_publish", sa.Boolean(), nullable=False),
        sa.Column("case_number", sa.String(64), nullable=False),
        sa.Column("reason", sa.String(16), nullable=False),
        sa.Column("writer_kind", sa.String(16), nullable=False),
        sa.Column("writer_subject", sa.String(64), nullable=False),
        sa.Column("writer_name_enc", sa.Text(), nullable=False),
        sa.Column("writer_mobile_enc", sa.Text(), nullable=False),
        sa.Column("query_hash", sa.String(64), nullable=False),
        sa.Column("handler_subject", sa.String(64), nullable=False),
        sa.Column("handler_name", sa.String(64), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("due_date", sa.Date(), nullable=False),
        sa.Column("rating", sa.String(16), nullable=False),
        sa.Column("reopened", sa.Boolean(), nullable=False),
        sa.Column("public_reply", sa.Boolean(), nullable=False),
        sa.Column("warning_level", sa.String(16), nullable=False),
        sa.Column("extension_state", sa.String(16), nullable=False),
        sa.Column("extension_days", sa.SmallInteger(), nullable=False),
        sa.Column("extension_reason", sa.String(500), nullable=False),
        sa.Column("submitted_at", TS, nullable=False),
        sa.Column("replied_at", TS, nullable=True),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index("letters_queue", "letters", ["site_code", "department_code", "state"])
    op.create_index("letters_by_writer", "letters", ["writer_kind", "writer_subject", "submitted_at"])
    op.create_index("letters_public", "letters", ["site_code", "matter_code", "replied_at"])
    op.create_index("letters_clock", "letters", ["state", "due_date"])
    op.create_table(
        "letter_messages",
        sa.Column(
            "letter_id", sa.String(36), sa.ForeignKey("letters.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("seq", sa.Integer(), primary_key=True),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("action", sa.String(24), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("public", sa.Boolean(), nullable=False),
        sa.Column("author_name", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
    )
    op.create_table(
        "letter_counters",
        sa.Column("site_code", sa.String(6), primary_key=True),
        sa.Column("day", sa.String(8), primary_key=True),
        sa.Column("last", sa.Integer(), nullable=False),
    )
    op.create_table(
        "letter_query_locks",
        sa.Column(
            "letter_id", sa.String(36), sa.ForeignKey("letters.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("client", sa.String(64), primary_key=True),
        sa.Column("failures", sa.SmallInteger(), nullable=False),
        sa.Column("locked_until", TS, nullable=True),
    )


def downgrade() -> None:
    op.drop_table("letter_query_locks")
    op.drop_table("letter_counters")
    op.drop_table("letter_messages")
    op.drop_table("letters")
