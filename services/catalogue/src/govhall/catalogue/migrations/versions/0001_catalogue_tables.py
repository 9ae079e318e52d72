"""catalogue tables

Revision ID: 0001
Revises:
Create Date: 2026-11-22 22:26:56.119778
"""

import sqlalchemy as sa
from alembic import op

from govhall.kit.migrations import create_kit_tables, drop_kit_tables

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_kit_tables()
    op.create_table(
        "sites",
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("parent_code", sa.String(length=6), nullable=True),
        sa.Column("path", sa.String(length=64), nullable=False),
        sa.ForeignKeyConstraint(
            ["parent_code"],
            ["sites.code"],
        ),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "departments",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("site_code", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.ForeignKeyConstraint(
            ["site_code"],
            ["sites.code"],
        ),
        sa.PrimaryKeyConstraint("code"),
    )
    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_departments_site_code"), ["site_code"], unique=False)

    op.create_table(
        "matters",
        sa.Column("code", sa.String(length=36), nullable=False),
        sa.Column("site_code", sa.String(length=6), nullable=False),
        sa.Column("department_code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("type", sa.SmallInteger(), nullable=False),
        sa.Column("audiences", sa.String(length=16), nullable=False),
        sa.Column("online_application", sa.Boolean(), nullable=False),
        sa.Column("draft", sa.JSON(), nullable=False),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["department_code"],
            ["departments.code"],
        ),
        sa.ForeignKeyConstraint(
            ["site_code"],
            ["sites.code"],
        ),
        sa.PrimaryKeyConstraint("code"),
    )
    with op.batch_alter_table("matters", schema=None) as batch_op:
        batch_op.create_index("ix_matters_department", ["department_code"], unique=False)
        batch_op.create_index("ix_matters_site_status", ["site_code", "status"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("matters", schema=None) as batch_op:
        batch_op.drop_index("ix_matters_site_status")
        batch_op.drop_index("ix_matters_department")

    op.drop_table("matters")
    with op.batch_alter_table("departments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_departments_site_code"))

    op.drop_table("departments")
    op.drop_table("sites")
    drop_kit_tables()
