"""the staff queue read in its own order through an index (bench/growth.py)

``ix_cases_queue`` was (site, role, state): a queue's page read every queued row of the site from
the table and sorted them all for twenty, and its tally read them all again for the department
and warning level. The index is now keyed in the queue's order within a site and role (due date,
nulls last, then submission time and id), so that a page reads its rows in order and stops, and
carries what the tally counts by (department, state, warning level), so that the tally is an
index-only scan on PostgreSQL. It replaces the old index: the writes keep the same number.

Revision ID: 0007_queue_order
Revises: 0006_growth
Create Date: 2026-12-05 21:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_queue_order"
down_revision = "0006_growth"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.drop_index("ix_cases_queue", "cases")
    op.create_index(
        "ix_cases_queue",
        "cases",
        ["site_code", "current_role", sa.text("(due_date IS NULL)"), "due_date", "submitted_at", "id"],
        postgresql_include=["department_code", "state", "warning_level"],
    )


def downgrade() -> None:
    op.drop_index("ix_cases_queue", "cases")
    op.create_index("ix_cases_queue", "cases", ["site_code", "current_role", "state"])
