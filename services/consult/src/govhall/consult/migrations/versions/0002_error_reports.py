"""consult tables: error_reports (纠错 on a matter's guide) and error_report_quota (the daily limit)

Revision ID: 0002_error_reports
Revises: 0001
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_error_reports"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "error_reports",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("reporter_kind", sa.String(16), nullable=False),
        sa.Column("reporter_subject", sa.String(64), nullable=False),
        sa.Column("site_code", sa.String(6), nullable=False),
        sa.Column("viewed_site_code", sa.String(6), nullable=False),
        sa.Column("matter_code", sa.String(36), nullable=False),
        sa.Column("matter_name", sa.String(200), nullable=False),
        sa.Column("element", sa.String(16), nullable=False),
        sa.Column("content", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("answer", sa.Text, nullable=False),
        sa.Column("decided_by", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revision", sa.BigInteger, nullable=False),
    )
    op.create_index(
        "error_reports_by_reporter_time",
        "error_reports",
        ["reporter_kind", "reporter_subject", "created_at"],
    )
    op.create_index("error_reports_by_site_state_time", "error_reports", ["site_code", "state", "created_at"])
    op.create_table(
        "error_report_quota",
        sa.Column("reporter_kind", sa.String(16), primary_key=True),
        sa.Column("reporter_subject", sa.String(64), primary_key=True),
        sa.Column("day", sa.Date, primary_key=True),
        sa.Column("filed", sa.Integer, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("error_report_quota")
    op.drop_table("error_reports")
