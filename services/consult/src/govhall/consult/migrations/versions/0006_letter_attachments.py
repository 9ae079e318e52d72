"""consult letter attachments: up to three files per writer's message

Revision ID: 0006_letter_attachments
Revises: 0005_letters
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0006_letter_attachments"
down_revision = "0005_letters"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "letter_attachments",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "letter_id", sa.String(36), sa.ForeignKey("letters.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("slot", sa.SmallInteger(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("file_name", sa.String(255), nullable=False),
        sa.Column("media_type", sa.String(64), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("letter_id", "seq", "slot", name="letter_attachments_slot"),
    )


def downgrade() -> None:
    op.drop_table("letter_attachments")
