"""indexes for the read paths at a province's size (bench/growth.py)

Statistics: ``ix_cases_site_statistics`` replaces ``ix_cases_site_submitted`` (same key, site
and submission time) and carries the columns statistics count by (state, matter type, on time),
so that a site's statistics are an index-only scan of that site's own entries on PostgreSQL
instead of reading every row of the site from the table (SQLite has no INCLUDE: the same key).

Revision ID: 0006_growth
Revises: 0005_handovers
Create Date: 2026-12-05 13:10:00
"""

from __future__ import annotations

from alembic import op

revision = "0006_growth"
down_revision = "0005_handovers"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_index(
        "ix_cases_site_statistics",
        "cases",
        ["site_code", "submitted_at"],
        postgresql_include=["state", "matter_type", "on_time"],
    )
    op.drop_index("ix_cases_site_submitted", "cases")


def downgrade() -> None:
    op.create_index("ix_cases_site_submitted", "cases", ["site_code", "submitted_at"])
    op.drop_index("ix_cases_site_statistics", "cases")
