"""statistics rolled up: settled cases counted once, in the background

``case_statistics`` holds the counts of the submitted cases that reached a state they never
leave (not accepted, terminated, withdrawn, evaluated), by site, month, state, matter type and
on time, for those updated before ``case_statistics_through.through``; statistics add to them
the cases still moving (an index range per state). ``ix_cases_site_statistics`` is keyed by
site, state and update time (the same columns carried) so that those are ranges of the index.

Revision ID: 0007_statistics_rollup
Revises: 0006_growth
Create Date: 2026-12-05 21:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_statistics_rollup"
down_revision = "0006_growth"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "case_statistics",
        sa.Column("site_code", sa.String(6), primary_key=True),
        sa.Column("month", sa.String(7), primary_key=True),
        sa.Column("state", sa.String(32), primary_key=True),
        sa.Column("matter_type", sa.SmallInteger(), primary_key=True),
        sa.Column("on_time", sa.SmallInteger(), primary_key=True),
        sa.Column("cases", sa.Integer(), nullable=False),
    )
    through = op.create_table(
        "case_statistics_through",
        sa.Column("id", sa.SmallInteger(), primary_key=True),
        sa.Column("through", sa.DateTime(timezone=True), nullable=True),
    )
    # The one row exists from the start: two first roll-ups lock it rather than race to insert it.
    op.bulk_insert(through, [{"id": 1, "through": None}])
    op.drop_index("ix_cases_site_statistics", "cases")
    op.create_index(
        "ix_cases_site_statistics",
        "cases",
        ["site_code", "state", "updated_at"],
        postgresql_include=["submitted_at", "matter_type", "on_time"],
    )


def downgrade() -> None:
    op.drop_index("ix_cases_site_statistics", "cases")
    op.create_index(
        "ix_cases_site_statistics",
        "cases",
        ["site_code", "submitted_at"],
        postgresql_include=["state", "matter_type", "on_time"],
    )
    op.drop_table("case_statistics_through")
    op.drop_table("case_statistics")
