"""catalogue tables

Revision ID: 0001
Revises:
Create Date: 2026-11-22 22:26:56.119778
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The kit's outbox and inbox, frozen as this revision first made them (from the kit's live
    # definitions then). The kit's own history (libs/kit: kit_migrations) now owns them and runs
    # first, so on a fresh database they exist already; run alone, this history still builds them.
    tables = sa.inspect(op.get_bind()).get_table_names()
    if "outbox" not in tables:
        op.create_table(
            "outbox",
            sa.Column(
                "seq",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                primary_key=True,
                autoincrement=True,
            ),
            sa.Column("event_id", sa.String(36), nullable=False, unique=True),
            sa.Column("subject", sa.String(200), nullable=False),
            sa.Column("payload", sa.LargeBinary(), nullable=False),
            sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        )
        op.create_index(
            "ix_outbox_unpublished",
            "outbox",
            ["seq"],
            postgresql_where=sa.text("published_at IS NULL"),
            sqlite_where=sa.text("published_at IS NULL"),
        )
    if "inbox" not in tables:
        op.create_table(
            "inbox",
            sa.Column("consumer", sa.String(100), primary_key=True),
            sa.Column("event_id", sa.String(36), primary_key=True),
            sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        )
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
    # The outbox and inbox stay: the kit's history owns them now.
