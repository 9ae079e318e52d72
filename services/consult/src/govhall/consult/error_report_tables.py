"""纠错 tables: one row per error report on a matter's guide."""

from __future__ import annotations

import sqlalchemy as sa

from govhall.consult.store import metadata

# A report is routed to the site admins of the matter's own site (`site_code`, the catalogue's),
# kept beside the site it was viewed from. `revision` guards the decision: two admins deciding at
# once both saw revision 1, and the conditional UPDATE lets only one of them through.
error_reports = sa.Table(
    "error_reports",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("reporter_kind", sa.String(16), nullable=False),
    sa.Column("reporter_subject", sa.String(64), nullable=False),
    sa.Column("site_code", sa.String(6), nullable=False),
    sa.Column("viewed_site_code", sa.String(6), nullable=False),
    sa.Column("matter_code", sa.String(36), nullable=False),
    sa.Column("matter_name", sa.String(200), nullable=False),
    sa.Column("element", sa.String(16), nullable=False),
    sa.Column("content", sa.Text, nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("answer", sa.Text, nullable=False),
    sa.Column("decided_by", sa.String(64), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("revision", sa.BigInteger, nullable=False),
    sa.Index("error_reports_by_reporter_time", "reporter_kind", "reporter_subject", "created_at"),
    sa.Index("error_reports_by_site_state_time", "site_code", "state", "created_at"),
)

# How many reports one reporter filed on one day (China time): the daily limit is a conditional
# increment of this row (`WHERE filed < limit`), so reports filed at once cannot all slip under
# it as counting and then inserting would let them.
error_report_quota = sa.Table(
    "error_report_quota",
    metadata,
    sa.Column("reporter_kind", sa.String(16), primary_key=True),
    sa.Column("reporter_subject", sa.String(64), primary_key=True),
    sa.Column("day", sa.Date, primary_key=True),
    sa.Column("filed", sa.Integer, nullable=False),
)
