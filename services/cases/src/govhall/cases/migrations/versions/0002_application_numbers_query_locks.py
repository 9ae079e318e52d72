"""application numbers (申报号), idempotency fingerprints, status-query locks per client

Cases submitted before this revision get an application number made from their id ("SB" and
the id), so that every submitted case has one and the status query accepts it.

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 19:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.add_column(sa.Column("application_number", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("create_fingerprint", sa.String(length=64), nullable=True))
        batch_op.create_index("ix_cases_application_number", ["application_number"], unique=True)
        batch_op.create_index("ix_cases_submit_key", ["applicant_subject", "submit_key"], unique=False)
    op.execute(
        "UPDATE cases SET application_number = 'SB' || id "
        "WHERE submitted_at IS NOT NULL AND application_number IS NULL"
    )
    op.create_table(
        "application_numbers",
        sa.Column("site_code", sa.String(length=6), nullable=False),
        sa.Column("day", sa.String(length=8), nullable=False),
        sa.Column("last", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("site_code", "day"),
    )
    op.create_table(
        "case_query_locks",
        sa.Column("case_id", sa.String(length=36), nullable=False),
        sa.Column("client", sa.String(length=64), nullable=False),
        sa.Column("failures", sa.SmallInteger(), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("case_id", "client"),
    )


def downgrade() -> None:
    op.drop_table("case_query_locks")
    op.drop_table("application_numbers")
    with op.batch_alter_table("cases", schema=None) as batch_op:
        batch_op.drop_index("ix_cases_submit_key")
        batch_op.drop_index("ix_cases_application_number")
        batch_op.drop_column("create_fingerprint")
        batch_op.drop_column("application_number")
