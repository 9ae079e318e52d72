"""Evaluation (好差评) tables: consult's copy of the cases it may be asked to rate, the
evaluations (one per case: a UNIQUE case id is 一事一评 even under concurrent submissions), and
the rectifications 不满意/非常不满意 open (one per evaluation)."""

from __future__ import annotations

import sqlalchemy as sa

from govhall.consult.store import metadata

TS = sa.DateTime(timezone=True)

# What consult knows of a case, from `cases.case.*` (CaseChanged): enough to decide who may rate
# it and when, and to file the evaluation under the case's site, department and matter.
case_copies = sa.Table(
    "case_copies",
    metadata,
    sa.Column("case_id", sa.String(64), primary_key=True),
    sa.Column("case_number", sa.String(64), nullable=False),
    sa.Column("site_code", sa.String(6), nullable=False),
    sa.Column("department_code", sa.String(64), nullable=False),
    sa.Column("matter_code", sa.String(36), nullable=False),
    sa.Column("matter_name", sa.String(200), nullable=False),
    sa.Column("applicant_kind", sa.String(16), nullable=False),
    sa.Column("applicant_subject", sa.String(64), nullable=False),
    sa.Column("state", sa.String(32), nullable=False),
    sa.Column("concluded_at", TS, nullable=True),
    sa.Column("revision", sa.BigInteger, nullable=False),
)

evaluations = sa.Table(
    "evaluations",
    metadata,
    sa.Column("evaluation_id", sa.String(64), primary_key=True),
    sa.Column("case_id", sa.String(64), nullable=False),
    sa.Column("case_number", sa.String(64), nullable=False),
    sa.Column("site_code", sa.String(6), nullable=False),
    sa.Column("department_code", sa.String(64), nullable=False),
    sa.Column("matter_code", sa.String(36), nullable=False),
    sa.Column("matter_name", sa.String(200), nullable=False),
    # The rater: kept for the rater's own views and the inbox, never put in a staff view.
    sa.Column("rater_kind", sa.String(16), nullable=False),
    sa.Column("rater_subject", sa.String(64), nullable=False),
    sa.Column("level", sa.Integer, nullable=False),
    # JSON list of {"indicator", "score"}.
    sa.Column("indicators", sa.Text, nullable=False),
    sa.Column("text", sa.Text, nullable=False),
    sa.Column("channel", sa.String(16), nullable=False),
    # valid | voided (a supervisor voided it on appeal; statistics leave it out)
    sa.Column("status", sa.String(16), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.UniqueConstraint("case_id", name="evaluations_one_per_case"),
    sa.Index("evaluations_by_site_time", "site_code", "created_at"),
)

rectifications = sa.Table(
    "rectifications",
    metadata,
    sa.Column("rectification_id", sa.String(64), primary_key=True),
    sa.Column("evaluation_id", sa.String(64), nullable=False),
    sa.Column("site_code", sa.String(6), nullable=False),
    sa.Column("department_code", sa.String(64), nullable=False),
    # open | rectified | called_back | appealed | voided
    sa.Column("state", sa.String(16), nullable=False),
    # The last working day to rectify (YYYY-MM-DD, China time).
    sa.Column("due", sa.String(10), nullable=False),
    sa.Column("rectification", sa.Text, nullable=False),
    sa.Column("callback", sa.Text, nullable=False),
    sa.Column("appeal_reason", sa.Text, nullable=False),
    sa.Column("decision", sa.String(16), nullable=False),
    sa.Column("decision_reason", sa.Text, nullable=False),
    # none | warning | overdue: the sweep raises each level once.
    sa.Column("overdue_level", sa.String(16), nullable=False),
    sa.Column("revision", sa.BigInteger, nullable=False),
    sa.Column("rectified_at", TS, nullable=True),
    sa.Column("called_back_at", TS, nullable=True),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.UniqueConstraint("evaluation_id", name="rectifications_one_per_evaluation"),
    sa.Index("rectifications_by_department", "site_code", "department_code", "state"),
)
