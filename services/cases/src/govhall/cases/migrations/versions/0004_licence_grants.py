"""materials taken from the applicant's licences (用证授权): the grant reference per material

Revision ID: 0004_licence_grants
Revises: 0003
Create Date: 2026-12-05 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0004_licence_grants"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_licences",
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("material_code", sa.String(40), nullable=False),
        sa.Column("grant_id", sa.String(64), nullable=False),
        sa.Column("licence_id", sa.String(64), nullable=False),
        sa.Column("identifier", sa.String(120), nullable=False),
        sa.Column("type_code", sa.String(40), nullable=False),
        sa.Column("type_name", sa.String(200), nullable=False),
        sa.Column("level", sa.String(1), nullable=False),
        sa.Column("granted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["case_id"], ["cases.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("case_id", "material_code"),
    )


def downgrade() -> None:
    op.drop_table("case_licences")
