"""consult tables: evaluations (好差评), their rectifications and consult's copy of cases

Revision ID: 0004_evaluations
Revises: 0003_inbox
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_evaluations"
down_revision = "0003_inbox"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "case_copies",
        sa.Column("case_id", sa.String(64), primary_key=True),
        sa.Column("case_number", sa.String(64), nullable=False),
        sa.Column("site_code", sa.String(6), nullable=False),
        sa.Column("department_code", sa.String(64), nullable=False),
        sa.Column("matter_code", sa.String(36), nullable=False),
        sa.Column("matter_name", sa.String(200), nullable=False),
        sa.Column("applicant_kind", sa.String(16), nullable=False),
        sa.Column("applicant_subject", sa.String(64), nullable=False),
        sa.Column("state", sa.String(32), nullable=False),
        sa.Column("concluded_at", TS, nullable=True),
        sa.Column("revision", sa.BigInteger, nullable=False),
    )
    op.create_table(
        "evaluations",
        sa.Column("evaluation_id", sa.String(64), primary_key=True),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("case_number", sa.String(64), nullable=False),
        sa.Column("site_code", sa.String(6), nullable=False),
        sa.Column("department_code", sa.String(64), nullable=False),
        sa.Column("matter_code", sa.String(36), nullable=False),
        sa.Column("matter_name", sa.String(200), nullable=False),
        sa.Column("rater_kind", sa.String(16), nullable=False),
        sa.Column("rater_subject", sa.String(64), nullable=False),
        sa.Column("level", sa.Integer, nullable=False),
        sa.Column("indicators", sa.Text, nullable=False),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("channel", sa.String(16), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("case_id", name="evaluations_one_per_case"),
    )
    op.create_index("evaluations_by_site_time", "evaluations", ["site_code", "created_at"])
    op.create_table(
        "rectifications",
        sa.Column("rectification_id", sa.String(64), primary_key=True),
        sa.Column("evaluation_id", sa.String(64), nullable=False),
        sa.Column("site_code", sa.String(6), nullable=False),
        sa.Column("department_code", sa.String(64), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("due", sa.String(10), nullable=False),
        sa.Column("rectification", sa.Text, nullable=False),
        sa.Column("callback", sa.Text, nullable=False),
        sa.Column("appeal_reason", sa.Text, nullable=False),
        sa.Column("decision", sa.String(16), nullable=False),
        sa.Column("decision_reason", sa.Text, nullable=False),
        sa.Column("overdue_level", sa.String(16), nullable=False),
        sa.Column("revision", sa.BigInteger, nullable=False),
        sa.Column("rectified_at", TS, nullable=True),
        sa.Column("called_back_at", TS, nullable=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("evaluation_id", name="rectifications_one_per_evaluation"),
    )
    op.create_index(
        "rectifications_by_department", "rectifications", ["site_code", "department_code", "state"]
    )


def downgrade() -> None:
    op.drop_table("rectifications")
    op.drop_table("evaluations")
    op.drop_table("case_copies")
