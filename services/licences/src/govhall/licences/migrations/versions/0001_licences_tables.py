"""licences tables: the site copy, licence types, the matters they are issued on, licences (the
kit's outbox and inbox come from the kit's own history)

Revision ID: 0001
Revises:
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "sites",
        sa.Column("code", sa.String(6), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False, server_default="0"),
        sa.Column("path", sa.String(64), nullable=False),
    )
    op.create_table(
        "licence_types",
        sa.Column("code", sa.String(40), primary_key=True),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("issuer_department_code", sa.String(64), nullable=False),
        sa.Column("issuer_name", sa.String(200), nullable=False),
        sa.Column("issuer_code", sa.String(18), nullable=False),
        sa.Column("holder_kind", sa.String(16), nullable=False),
        sa.Column("validity_years", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("fields", sa.Text(), nullable=False),
        sa.Column("holder_maintained", sa.Boolean(), nullable=False, server_default=sa.false()),
        sa.Column("revision", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "type_matters",
        sa.Column("matter_code", sa.String(36), primary_key=True),
        sa.Column("type_code", sa.String(40), sa.ForeignKey("licence_types.code"), nullable=False),
    )
    op.create_table(
        "licences",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("identifier", sa.String(120), nullable=True, unique=True),
        sa.Column("verify_code", sa.String(64), nullable=True, unique=True),
        sa.Column("level", sa.String(1), nullable=False),
        sa.Column("type_code", sa.String(40), sa.ForeignKey("licence_types.code"), nullable=False),
        sa.Column("number", sa.String(100), nullable=False),
        sa.Column("holder_kind", sa.String(16), nullable=False),
        sa.Column("holder_subject", sa.String(64), nullable=False),
        sa.Column("holder_name", sa.String(200), nullable=False),
        sa.Column("holder_code", sa.Text(), nullable=False, server_default=""),
        sa.Column("holder_code_masked", sa.String(32), nullable=False, server_default=""),
        sa.Column("issuer_department_code", sa.String(64), nullable=False, server_default=""),
        sa.Column("issuer_name", sa.String(200), nullable=False, server_default=""),
        sa.Column("issuer_code", sa.String(18), nullable=False, server_default=""),
        sa.Column("site_code", sa.String(6), nullable=False, server_default=""),
        sa.Column("issued_on", sa.Date(), nullable=True),
        sa.Column("valid_until", sa.Date(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("state_reason", sa.String(200), nullable=False, server_default=""),
        sa.Column("metadata", sa.Text(), nullable=False, server_default="{}"),
        sa.Column("file_hash", sa.String(64), nullable=True),
        sa.Column("case_id", sa.String(36), nullable=True, unique=True),
        sa.Column("status_index", sa.Integer(), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("issuer_code", "status_index", name="licences_status_place"),
    )
    op.create_index("licences_by_holder", "licences", ["holder_kind", "holder_subject", "created_at"])
    op.create_index("licences_by_type", "licences", ["type_code"])


def downgrade() -> None:
    for table in ("licences", "type_matters", "licence_types", "sites"):
        op.drop_table(table)
