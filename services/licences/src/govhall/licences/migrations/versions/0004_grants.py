"""licences grants: a holder's grant of a licence to a case's handling staff, and every read

Revision ID: 0004_grants
Revises: 0003_status_lists
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0004_grants"
down_revision = "0003_status_lists"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "licence_grants",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("licence_id", sa.String(36), sa.ForeignKey("licences.id"), nullable=False),
        sa.Column("case_id", sa.String(36), nullable=False),
        sa.Column("material_code", sa.String(40), nullable=False),
        sa.Column("purpose", sa.String(200), nullable=False),
        sa.Column("department_code", sa.String(64), nullable=False),
        sa.Column("site_code", sa.String(6), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("expires_at", TS, nullable=False),
        sa.Column("revoked_at", TS, nullable=True),
    )
    op.create_index("licence_grants_by_licence", "licence_grants", ["licence_id", "created_at"])
    op.create_index("licence_grants_by_case", "licence_grants", ["case_id", "licence_id"])
    op.create_table(
        "licence_accesses",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("grant_id", sa.String(36), sa.ForeignKey("licence_grants.id"), nullable=False),
        sa.Column("licence_id", sa.String(36), sa.ForeignKey("licences.id"), nullable=False),
        sa.Column("reader_subject", sa.String(64), nullable=False),
        sa.Column("reader_name", sa.String(200), nullable=False),
        sa.Column("department_code", sa.String(64), nullable=False),
        sa.Column("site_code", sa.String(6), nullable=False),
        sa.Column("what", sa.String(16), nullable=False),
        sa.Column("at", TS, nullable=False),
    )
    op.create_index("licence_accesses_by_licence", "licence_accesses", ["licence_id", "at"])


def downgrade() -> None:
    op.drop_table("licence_accesses")
    op.drop_table("licence_grants")
