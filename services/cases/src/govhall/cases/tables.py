"""Cases tables (SQLAlchemy Core); store.py queries them, migrations/ creates them.

A case is one `cases` row. The columns are what queues, lists, statistics and the clock sweep
filter and sort on; the rest of the domain value (the process, limits, pauses, the open
supplement notice) is one JSON text, and the matter version the case was filed under is kept as
serialised protobuf, so a later guide edit never changes a running case. The flow (办理过程) is
append-only in `case_flow`; uploaded files are `case_files` rows pointing at content-addressed
blobs on the file volume; issued notices are `case_documents`.
"""

from __future__ import annotations

import sqlalchemy as sa

from govhall.kit.eventstore import add_kit_tables
from govhall.sitecopy import SiteTable, add_site_table

metadata = sa.MetaData()
add_kit_tables(metadata)
sites = SiteTable(add_site_table(metadata))

TS = sa.DateTime(timezone=True)

cases = sa.Table(
    "cases",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("site_code", sa.String(6), nullable=False),
    sa.Column("matter_site_code", sa.String(6), nullable=False),
    sa.Column("matter_code", sa.String(36), nullable=False),
    sa.Column("matter_version", sa.Integer(), nullable=False),
    sa.Column("matter_type", sa.SmallInteger(), nullable=False),
    sa.Column("matter_name", sa.String(200), nullable=False),
    sa.Column("department_code", sa.String(40), nullable=False),
    sa.Column("department_name", sa.String(200), nullable=False),
    sa.Column("applicant_kind", sa.String(16), nullable=False),
    sa.Column("applicant_subject", sa.String(64), nullable=False),
    sa.Column("applicant_name", sa.String(100), nullable=False),
    sa.Column("agent_subject", sa.String(64), nullable=False),
    sa.Column("state", sa.String(32), nullable=False),
    # The role whose queue holds the case now ("" when no staff member has to act).
    sa.Column("current_role", sa.String(20), nullable=False),
    sa.Column("current_step_name", sa.String(100), nullable=False),
    sa.Column("case_number", sa.String(64), nullable=True, unique=True),
    # 申报号: issued on submission, so that the status query works before acceptance.
    sa.Column("application_number", sa.String(64), nullable=True),
    sa.Column("revision", sa.BigInteger(), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.Column("submitted_at", TS, nullable=True),
    sa.Column("accepted_at", TS, nullable=True),
    sa.Column("ended_at", TS, nullable=True),
    sa.Column("result_code", sa.SmallInteger(), nullable=True),
    # The clock as last read: the due date that decides, and the warning level last raised
    # (the sweep raises an event only when a case enters a higher level).
    sa.Column("due_date", sa.Date(), nullable=True),
    sa.Column("warning_level", sa.String(8), nullable=False),
    sa.Column("on_time", sa.Boolean(), nullable=True),
    sa.Column("working_days_used", sa.Integer(), nullable=True),
    # The last day to resubmit while a supplement is open (the sweep's 退件 query).
    sa.Column("supplement_deadline", sa.Date(), nullable=True),
    # Idempotency: the key a draft was created with, and the one it was submitted with.
    sa.Column("create_key", sa.String(64), nullable=True),
    sa.Column("submit_key", sa.String(64), nullable=True),
    # A digest of the create request, to tell a retry from a key reused for another request.
    sa.Column("create_fingerprint", sa.String(64), nullable=True),
    # 办件查询: a salted hash of the query password. The two counter columns are no longer
    # used (wrong guesses are counted per case and client in case_query_locks).
    sa.Column("query_hash", sa.String(64), nullable=False),
    sa.Column("query_failures", sa.SmallInteger(), nullable=False),
    sa.Column("query_locked_until", TS, nullable=True),
    sa.Column("domain", sa.Text(), nullable=False),
    sa.Column("application", sa.Text(), nullable=False),
    sa.Column("matter", sa.LargeBinary(), nullable=False),
    sa.Index("ix_cases_queue", "site_code", "current_role", "state"),
    sa.Index("ix_cases_applicant", "applicant_subject", "state"),
    # Statistics: an index-only scan of one site's entries on PostgreSQL (migration 0006), by
    # state and update time, so that the cases not yet rolled up into case_statistics are index
    # ranges of their own (migration 0007).
    sa.Index(
        "ix_cases_site_statistics",
        "site_code",
        "state",
        "updated_at",
        postgresql_include=["submitted_at", "matter_type", "on_time"],
    ),
    sa.Index("ix_cases_create_key", "applicant_subject", "create_key", unique=True),
    sa.Index("ix_cases_application_number", "application_number", unique=True),
    sa.Index("ix_cases_submit_key", "applicant_subject", "submit_key"),
)

case_flow = sa.Table(
    "case_flow",
    metadata,
    sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("seq", sa.Integer(), primary_key=True),
    sa.Column("action", sa.String(32), nullable=False),
    sa.Column("from_state", sa.String(32), nullable=False),
    sa.Column("to_state", sa.String(32), nullable=False),
    sa.Column("actor_kind", sa.String(16), nullable=False),
    sa.Column("actor_subject", sa.String(64), nullable=False),
    sa.Column("actor_name", sa.String(100), nullable=False),
    sa.Column("actor_role", sa.String(20), nullable=False),
    sa.Column("at", TS, nullable=False),
    sa.Column("opinion", sa.Text(), nullable=False),
    sa.Column("outcome", sa.String(16), nullable=False),
    sa.Column("step_code", sa.String(40), nullable=False),
    sa.Column("step_name", sa.String(100), nullable=False),
    sa.Column("result_code", sa.SmallInteger(), nullable=True),
    sa.Column("details", sa.Text(), nullable=False),
)

case_files = sa.Table(
    "case_files",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column(
        "case_id", sa.String(36), sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    sa.Column("material_code", sa.String(40), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("file_name", sa.String(200), nullable=False),
    sa.Column("media_type", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger(), nullable=False),
    sa.Column("uploaded_at", TS, nullable=False),
)

# 用证授权: a material taken from the applicant's licence, by the grant they made at licences
# (one per case and material; what it shows was confirmed with licences when it was used).
case_licences = sa.Table(
    "case_licences",
    metadata,
    sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("material_code", sa.String(40), primary_key=True),
    sa.Column("grant_id", sa.String(64), nullable=False),
    sa.Column("licence_id", sa.String(64), nullable=False),
    sa.Column("identifier", sa.String(120), nullable=False),
    sa.Column("type_code", sa.String(40), nullable=False),
    sa.Column("type_name", sa.String(200), nullable=False),
    sa.Column("level", sa.String(1), nullable=False),
    sa.Column("granted_at", TS, nullable=False),
)

case_documents = sa.Table(
    "case_documents",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column(
        "case_id", sa.String(36), sa.ForeignKey("cases.id", ondelete="CASCADE"), nullable=False, index=True
    ),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("title", sa.String(40), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger(), nullable=False),
    sa.Column("issued_at", TS, nullable=False),
    sa.Column("verification_code", sa.String(16), nullable=False),
    # What the notice prints, as JSON, until its PDF is rendered after the commit (sha256 "" till then).
    sa.Column("pending", sa.Text(), nullable=True),
)

# Case numbers: one counter per site and acceptance day.
case_numbers = sa.Table(
    "case_numbers",
    metadata,
    sa.Column("site_code", sa.String(6), primary_key=True),
    sa.Column("day", sa.String(8), primary_key=True),
    sa.Column("last", sa.Integer(), nullable=False),
)
# Application numbers (申报号): one counter per site and submission day.
application_numbers = sa.Table(
    "application_numbers",
    metadata,
    sa.Column("site_code", sa.String(6), primary_key=True),
    sa.Column("day", sa.String(8), primary_key=True),
    sa.Column("last", sa.Integer(), nullable=False),
)
# Wrong status-query passwords per case and client: one client's guesses lock that client only.
case_query_locks = sa.Table(
    "case_query_locks",
    metadata,
    sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("client", sa.String(64), primary_key=True),
    sa.Column("failures", sa.SmallInteger(), nullable=False),
    sa.Column("locked_until", TS, nullable=True),
)

# Statistics rolled up (statistics.py): the submitted cases of a site that reached a state they
# never leave, counted by what statistics count by, through `case_statistics_through.through`
# (their update time before it). The background roll-up writes them; no submission does.
case_statistics = sa.Table(
    "case_statistics",
    metadata,
    sa.Column("site_code", sa.String(6), primary_key=True),
    sa.Column("month", sa.String(7), primary_key=True),
    sa.Column("state", sa.String(32), primary_key=True),
    sa.Column("matter_type", sa.SmallInteger(), primary_key=True),
    # 1 on time, 0 late, -1 not known (a key column cannot be NULL).
    sa.Column("on_time", sa.SmallInteger(), primary_key=True),
    sa.Column("cases", sa.Integer(), nullable=False),
)
# One row (id 1): the update time the roll-up has counted settled cases up to (NULL: none yet).
case_statistics_through = sa.Table(
    "case_statistics_through",
    metadata,
    sa.Column("id", sa.SmallInteger(), primary_key=True),
    sa.Column("through", TS, nullable=True),
)
