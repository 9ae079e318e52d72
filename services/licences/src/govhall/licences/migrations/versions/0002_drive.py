"""the cloud drive: items (folders and files) per owner, each owner's bytes, blob references

Revision ID: 0002_drive
Revises: 0001
Create Date: 2026-12-05
"""

import sqlalchemy as sa
from alembic import op

revision = "0002_drive"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "drive_items",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("owner_kind", sa.String(16), nullable=False),
        sa.Column("owner_subject", sa.String(64), nullable=False),
        sa.Column("parent_key", sa.String(36), nullable=False, server_default=""),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("size", sa.BigInteger(), nullable=False, server_default="0"),
        sa.Column("media_type", sa.String(64), nullable=False, server_default=""),
        sa.Column("sha256", sa.String(64), nullable=True),
        sa.Column("revision", sa.Integer(), nullable=False, server_default="1"),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.UniqueConstraint("owner_kind", "owner_subject", "parent_key", "name", name="drive_items_name"),
    )
    op.create_table(
        "drive_usage",
        sa.Column("owner_kind", sa.String(16), primary_key=True),
        sa.Column("owner_subject", sa.String(64), primary_key=True),
        sa.Column("used", sa.BigInteger(), nullable=False, server_default="0"),
    )
    op.create_table(
        "blob_refs",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("ref", sa.String(48), primary_key=True),
        sa.Column("created_at", TS, nullable=False),
    )


def downgrade() -> None:
    for table in ("blob_refs", "drive_usage", "drive_items"):
        op.drop_table(table)
