"""notices rendered after the transaction: what a pending notice will print

A notice row is written with its transition and ``sha256`` empty; what it prints is kept in
``pending`` (JSON) until the PDF is rendered and stored after the commit, then cleared.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-05 00:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("case_documents", schema=None) as batch_op:
        batch_op.add_column(sa.Column("pending", sa.Text(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("case_documents", schema=None) as batch_op:
        batch_op.drop_column("pending")
