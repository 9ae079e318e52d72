"""Cases tables and queries (SQLAlchemy Core), run inside a kit UnitOfWork.

A case is one `cases` row. The columns are what queues, lists, statistics and the clock sweep
filter and sort on; the rest of the domain value (the process, limits, pauses, the open
supplement notice) is one JSON text, and the matter version the case was filed under is kept as
serialised protobuf, so a later guide edit never changes a running case. The flow (办理过程) is
append-only in `case_flow`; uploaded files are `case_files` rows pointing at content-addressed
blobs on the file volume; issued notices are `case_documents`.

Concurrency: every change loads the row FOR UPDATE and writes it back with ``revision + 1``
only when the revision is still the one loaded, so two clerks pressing "accept" at once produce
one acceptance and one CASE_CHANGED error.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

import sqlalchemy as sa

from govhall.cases import model
from govhall.cases.model import (
    Actor,
    ActorKind,
    Applicant,
    ApplicantKind,
    Case,
    CaseState,
    HistoryEntry,
    LimitUnit,
    Pause,
    PauseKind,
    ResultCode,
    Step,
    SupplementItem,
    SupplementNotice,
    TimeLimit,
)
from govhall.kit.db import UnitOfWork
from govhall.kit.errors import DomainError, ErrorKind
from govhall.kit.outbox import add_kit_tables
from govhall.kit.sitecopy import SiteTable, add_site_table

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
    sa.Index("ix_cases_site_submitted", "site_code", "submitted_at"),
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


# --------------------------------------------------------------------------------------------
# The domain value <-> JSON
# --------------------------------------------------------------------------------------------


def _ts(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _dt(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _limit(value: TimeLimit | None) -> list[Any] | None:
    return [value.value, value.unit.value] if value else None


def _limit_back(value: list[Any] | None) -> TimeLimit | None:
    return TimeLimit(int(value[0]), LimitUnit(value[1])) if value else None


def domain_json(case: Case) -> str:
    """What the columns do not hold, as JSON."""
    notice = case.supplement
    body = {
        "steps": [[s.code, s.name, s.role, s.time_limit_days] for s in case.steps],
        "promised": _limit(case.promised_limit),
        "legal": _limit(case.legal_limit),
        "step_index": case.step_index,
        "evaluated_at": _ts(case.evaluated_at),
        "result_reason": case.result_reason,
        "supplement": None
        if notice is None
        else {
            "items": [[i.material, i.problem, i.field, i.name] for i in notice.items],
            "deadline": notice.deadline.isoformat(),
            "requested_at": _ts(notice.requested_at),
            "phase": notice.phase,
            "baseline": [list(pair) for pair in notice.baseline],
        },
        "supplement_phases": list(case.supplement_phases),
        "pauses": [
            {
                "kind": p.kind.value,
                "started_at": _ts(p.started_at),
                "ended_at": _ts(p.ended_at),
                "reason": p.reason,
                "procedure": p.procedure,
                "planned": _limit(p.planned),
                "result": p.result,
            }
            for p in case.pauses
        ],
        "resume_state": case.resume_state.value if case.resume_state else None,
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def case_from_row(row: Any) -> Case:
    body = json.loads(row.domain)
    notice = body["supplement"]
    created = _dt(_iso(row.created_at))
    updated = _dt(_iso(row.updated_at))
    assert created is not None and updated is not None
    return Case(
        id=row.id,
        site_code=row.site_code,
        department_code=row.department_code,
        matter_code=row.matter_code,
        matter_name=row.matter_name,
        applicant=Applicant(ApplicantKind(row.applicant_kind), row.applicant_subject, row.applicant_name),
        steps=tuple(Step(c, n, r, int(d)) for c, n, r, d in body["steps"]),
        promised_limit=_limit_back(body["promised"]),
        legal_limit=_limit_back(body["legal"]),
        created_at=created,
        updated_at=updated,
        state=CaseState(row.state),
        revision=int(row.revision),
        step_index=int(body["step_index"]),
        case_number=row.case_number or "",
        application_number=row.application_number or "",
        submitted_at=aware(row.submitted_at),
        accepted_at=aware(row.accepted_at),
        ended_at=aware(row.ended_at),
        evaluated_at=_dt(body["evaluated_at"]),
        result_code=None if row.result_code is None else ResultCode(row.result_code),
        result_reason=body["result_reason"],
        supplement=None
        if notice is None
        else SupplementNotice(
            # Items written before form fields could be named are [material, problem].
            tuple(SupplementItem(*item) for item in notice["items"]),
            dt.date.fromisoformat(notice["deadline"]),
            _dt(notice["requested_at"]) or created,
            notice["phase"],
            tuple((f, v) for f, v in notice.get("baseline", [])),
        ),
        supplement_phases=tuple(body["supplement_phases"]),
        pauses=tuple(
            Pause(
                PauseKind(p["kind"]),
                _dt(p["started_at"]) or created,
                _dt(p["ended_at"]),
                p["reason"],
                p["procedure"],
                _limit_back(p["planned"]),
                p["result"],
            )
            for p in body["pauses"]
        ),
        resume_state=CaseState(body["resume_state"]) if body["resume_state"] else None,
    )


def aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes (stored as UTC); PostgreSQL aware ones."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _iso(value: dt.datetime) -> str:
    stamped = aware(value)
    assert stamped is not None
    return stamped.isoformat()


# --------------------------------------------------------------------------------------------
# Rows
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Application:
    """What the applicant filled in: the form, the situation answers, delivery. Personal numbers
    in the form are masked there and kept encrypted in ``sealed`` (see personal.py)."""

    form_json: str = "{}"
    answers: tuple[tuple[str, tuple[str, ...]], ...] = ()
    delivery: dict[str, str] | None = None
    sealed: Mapping[str, tuple[str, ...]] = field(default_factory=dict)

    def to_json(self) -> str:
        return json.dumps(
            {
                "form": self.form_json,
                "answers": [[s, list(o)] for s, o in self.answers],
                "delivery": self.delivery,
                "sealed": {place: list(value) for place, value in self.sealed.items()},
            },
            ensure_ascii=False,
            separators=(",", ":"),
        )

    @classmethod
    def from_json(cls, text: str) -> Application:
        body = json.loads(text)
        sealed = {place: tuple(entry) for place, entry in body.get("sealed", {}).items()}
        return cls(body["form"], tuple((s, tuple(o)) for s, o in body["answers"]), body["delivery"], sealed)


@dataclass(frozen=True)
class CaseRecord:
    """A loaded case: the domain value and what the service keeps beside it."""

    case: Case
    site_code: str
    matter_site_code: str
    matter_version: int
    matter_type: int
    department_name: str
    agent_subject: str
    application: Application
    matter: bytes  # catalogue.v1.Matter, serialised
    warning_level: str
    due_date: dt.date | None
    on_time: bool | None
    working_days_used: int | None
    create_key: str | None
    submit_key: str | None
    create_fingerprint: str | None
    query_hash: str
    query_failures: int
    query_locked_until: dt.datetime | None
    loaded_revision: int


def record_from_row(row: Any) -> CaseRecord:
    return CaseRecord(
        case=case_from_row(row),
        site_code=row.site_code,
        matter_site_code=row.matter_site_code,
        matter_version=row.matter_version,
        matter_type=row.matter_type,
        department_name=row.department_name,
        agent_subject=row.agent_subject,
        application=Application.from_json(row.application),
        matter=bytes(row.matter),
        warning_level=row.warning_level,
        due_date=row.due_date,
        on_time=row.on_time,
        working_days_used=row.working_days_used,
        create_key=row.create_key,
        submit_key=row.submit_key,
        create_fingerprint=row.create_fingerprint,
        query_hash=row.query_hash,
        query_failures=row.query_failures,
        query_locked_until=aware(row.query_locked_until),
        loaded_revision=int(row.revision),
    )


def current_role(case: Case) -> str:
    """Whose queue the case sits in now."""
    if case.state is CaseState.SUBMITTED:
        return model.WINDOW_CLERK
    if case.state in model.IN_REVIEW or case.state is CaseState.SPECIAL_PROCEDURE:
        return case.current_step.role
    return ""


def current_step_name(case: Case) -> str:
    if case.state is CaseState.SUBMITTED:
        return case.steps[0].name if case.review_start == 1 else "预审"
    if case.state in model.IN_REVIEW or case.state is CaseState.SPECIAL_PROCEDURE:
        return case.current_step.name
    return ""


def _values(rec: CaseRecord) -> dict[str, Any]:
    case = rec.case
    return {
        "site_code": rec.site_code,
        "matter_site_code": rec.matter_site_code,
        "matter_code": case.matter_code,
        "matter_version": rec.matter_version,
        "matter_type": rec.matter_type,
        "matter_name": case.matter_name,
        "department_code": case.department_code,
        "department_name": rec.department_name,
        "applicant_kind": case.applicant.kind.value,
        "applicant_subject": case.applicant.subject,
        "applicant_name": case.applicant.name,
        "agent_subject": rec.agent_subject,
        "state": case.state.value,
        "current_role": current_role(case),
        "current_step_name": current_step_name(case),
        "case_number": case.case_number or None,
        "application_number": case.application_number or None,
        "revision": case.revision,
        "created_at": case.created_at,
        "updated_at": case.updated_at,
        "submitted_at": case.submitted_at,
        "accepted_at": case.accepted_at,
        "ended_at": case.ended_at,
        "result_code": None if case.result_code is None else int(case.result_code),
        "due_date": rec.due_date,
        "warning_level": rec.warning_level,
        "on_time": rec.on_time,
        "working_days_used": rec.working_days_used,
        "supplement_deadline": case.supplement.deadline if case.supplement else None,
        "create_key": rec.create_key,
        "submit_key": rec.submit_key,
        "create_fingerprint": rec.create_fingerprint,
        "query_hash": rec.query_hash,
        "query_failures": rec.query_failures,
        "query_locked_until": rec.query_locked_until,
        "domain": domain_json(case),
        "application": rec.application.to_json(),
        "matter": rec.matter,
    }


async def insert_case(uow: UnitOfWork, rec: CaseRecord) -> None:
    await uow.conn.execute(sa.insert(cases).values(id=rec.case.id, **_values(rec)))


def changed_error() -> DomainError:
    return DomainError(
        "CASE_CHANGED",
        "the case was changed by someone else; reload it and try again",
        "办件已被他人更新，请刷新后重试",
        ErrorKind.CONFLICT,
    )


async def update_case(uow: UnitOfWork, rec: CaseRecord) -> None:
    """Write back a record loaded with :func:`load`, if nobody changed it meanwhile."""
    result = await uow.conn.execute(
        sa.update(cases)
        .where(cases.c.id == rec.case.id, cases.c.revision == rec.loaded_revision)
        .values(**_values(rec))
    )
    if result.rowcount != 1:
        raise changed_error()


async def load(uow: UnitOfWork, case_id: str, *, for_update: bool = False) -> CaseRecord | None:
    query = sa.select(cases).where(cases.c.id == case_id)
    if for_update:
        query = query.with_for_update()
    row = (await uow.conn.execute(query)).first()
    return record_from_row(row) if row else None


async def load_by_number(uow: UnitOfWork, number: str, *, for_update: bool = False) -> CaseRecord | None:
    """The case with this case number (办件编号) or application number (申报号)."""
    query = sa.select(cases).where(
        sa.or_(cases.c.case_number == number, cases.c.application_number == number)
    )
    if for_update:
        query = query.with_for_update()
    row = (await uow.conn.execute(query)).first()
    return record_from_row(row) if row else None


async def find_by_create_key(uow: UnitOfWork, subject: str, key: str) -> CaseRecord | None:
    row = (
        await uow.conn.execute(
            sa.select(cases).where(cases.c.applicant_subject == subject, cases.c.create_key == key)
        )
    ).first()
    return record_from_row(row) if row else None


async def find_by_submit_key(uow: UnitOfWork, subject: str, key: str) -> str | None:
    """The id of the applicant's case submitted with this key, if any."""
    row = (
        await uow.conn.execute(
            sa.select(cases.c.id).where(cases.c.applicant_subject == subject, cases.c.submit_key == key)
        )
    ).first()
    return row.id if row else None


async def delete_case(uow: UnitOfWork, case_id: str) -> None:
    for table in (case_files, case_flow, case_documents, case_query_locks):
        await uow.conn.execute(sa.delete(table).where(table.c.case_id == case_id))
    await uow.conn.execute(sa.delete(cases).where(cases.c.id == case_id))


def with_case(rec: CaseRecord, case: Case, **changes: Any) -> CaseRecord:
    return replace(rec, case=case, **changes)


# Flow ----------------------------------------------------------------------------------------


def _actor_role(actor: Actor, entry: HistoryEntry) -> str:
    if actor.kind is not ActorKind.STAFF:
        return ""
    if entry.action in (model.Action.TERMINATE,):
        return model.SUPERVISOR
    if entry.action in (model.Action.ACCEPT, model.Action.NOT_ACCEPT) or (
        entry.from_state is CaseState.SUBMITTED
    ):
        return model.WINDOW_CLERK
    for role in model.STEP_ROLES:
        if role in actor.roles:
            return role
    return ""


async def append_flow(uow: UnitOfWork, case_id: str, entry: HistoryEntry, step_role: str = "") -> None:
    actor = entry.actor
    await uow.conn.execute(
        sa.insert(case_flow).values(
            case_id=case_id,
            seq=entry.seq,
            action=entry.action.value,
            from_state=entry.from_state.value,
            to_state=entry.to_state.value,
            actor_kind=actor.kind.value,
            actor_subject=actor.agent_subject or actor.subject,
            actor_name=actor.name,
            actor_role=step_role or _actor_role(actor, entry),
            at=entry.at,
            opinion=entry.opinion,
            outcome=entry.outcome,
            step_code=entry.step_code,
            step_name=entry.step_name,
            result_code=None if entry.result_code is None else int(entry.result_code),
            details=json.dumps(dict(entry.details), ensure_ascii=False),
        )
    )


async def flow(uow: UnitOfWork, case_id: str) -> list[Any]:
    return list(
        await uow.conn.execute(
            sa.select(case_flow).where(case_flow.c.case_id == case_id).order_by(case_flow.c.seq)
        )
    )


# Files and documents --------------------------------------------------------------------------


async def add_file(uow: UnitOfWork, values: dict[str, Any]) -> None:
    await uow.conn.execute(sa.insert(case_files).values(**values))


async def files(uow: UnitOfWork, case_id: str) -> list[Any]:
    return list(
        await uow.conn.execute(
            sa.select(case_files)
            .where(case_files.c.case_id == case_id)
            .order_by(case_files.c.uploaded_at, case_files.c.id)
        )
    )


async def remove_file(uow: UnitOfWork, case_id: str, material_code: str, file_id: str) -> bool:
    result = await uow.conn.execute(
        sa.delete(case_files).where(
            case_files.c.case_id == case_id,
            case_files.c.material_code == material_code,
            case_files.c.id == file_id,
        )
    )
    return bool(result.rowcount)


async def add_document(uow: UnitOfWork, values: dict[str, Any]) -> None:
    await uow.conn.execute(sa.insert(case_documents).values(**values))


async def documents(uow: UnitOfWork, case_id: str) -> list[Any]:
    return list(
        await uow.conn.execute(
            sa.select(case_documents)
            .where(case_documents.c.case_id == case_id)
            .order_by(case_documents.c.issued_at)
        )
    )


async def document(uow: UnitOfWork, document_id: str) -> Any:
    return (
        await uow.conn.execute(sa.select(case_documents).where(case_documents.c.id == document_id))
    ).first()


# Case numbers ---------------------------------------------------------------------------------


async def next_case_number(uow: UnitOfWork, site_code: str, day: dt.date) -> str:
    """<site code><yyyymmdd><6-digit sequence>: unique per site and day, gap-free per
    transaction (the counter row is locked until the accepting transaction ends)."""
    return await _next_number(uow, case_numbers, site_code, day, "")


async def next_application_number(uow: UnitOfWork, site_code: str, day: dt.date) -> str:
    """SB<site code><yyyymmdd><6-digit sequence> (申报号): the prefix keeps it apart from every
    case number, so the status query can take either."""
    return await _next_number(uow, application_numbers, site_code, day, "SB")


async def _next_number(uow: UnitOfWork, counters: sa.Table, site_code: str, day: dt.date, prefix: str) -> str:
    key = day.strftime("%Y%m%d")
    updated = await uow.conn.execute(
        sa.update(counters)
        .where(counters.c.site_code == site_code, counters.c.day == key)
        .values(last=counters.c.last + 1)
        .returning(counters.c.last)
    )
    row = updated.first()
    if row is None:
        try:
            async with uow.conn.begin_nested():
                await uow.conn.execute(sa.insert(counters).values(site_code=site_code, day=key, last=1))
            last = 1
        except sa.exc.IntegrityError:
            # Another transaction created today's counter first: take the next value from it.
            row = (
                await uow.conn.execute(
                    sa.update(counters)
                    .where(counters.c.site_code == site_code, counters.c.day == key)
                    .values(last=counters.c.last + 1)
                    .returning(counters.c.last)
                )
            ).first()
            assert row is not None
            last = int(row.last)
    else:
        last = int(row.last)
    return f"{prefix}{site_code}{key}{last:06d}"


# Lists ----------------------------------------------------------------------------------------


def applicant_filter(subject: str) -> Any:
    return cases.c.applicant_subject == subject


async def page_of(
    uow: UnitOfWork, where: Sequence[Any], order: Sequence[Any], page: int, size: int
) -> tuple[list[Any], int]:
    total = (await uow.conn.execute(sa.select(sa.func.count()).select_from(cases).where(*where))).scalar_one()
    rows = await uow.conn.execute(
        sa.select(*[c for c in cases.c if c.name not in ("matter", "application")])
        .where(*where)
        .order_by(*order)
        .limit(size)
        .offset((page - 1) * size)
    )
    return list(rows), int(total)


async def count_by(uow: UnitOfWork, column: Any, where: Sequence[Any]) -> dict[Any, int]:
    rows = await uow.conn.execute(
        sa.select(column, sa.func.count()).select_from(cases).where(*where).group_by(column)
    )
    return {r[0]: int(r[1]) for r in rows}


async def open_cases_for_sweep(uow: UnitOfWork, after_id: str, limit: int) -> list[Any]:
    """Accepted, not ended cases (the ones with a running or paused clock), in id order."""
    states = [
        s.value
        for s in (
            CaseState.ACCEPTED,
            CaseState.UNDER_REVIEW,
            CaseState.SPECIAL_PROCEDURE,
            CaseState.SUPPLEMENT_REQUESTED,
        )
    ]
    rows = await uow.conn.execute(
        sa.select(cases.c.id)
        .where(cases.c.state.in_(states), cases.c.id > after_id)
        .order_by(cases.c.id)
        .limit(limit)
    )
    return [r.id for r in rows]


async def overdue_supplements(uow: UnitOfWork, today: dt.date, limit: int) -> list[str]:
    rows = await uow.conn.execute(
        sa.select(cases.c.id)
        .where(cases.c.state == CaseState.SUPPLEMENT_REQUESTED.value, cases.c.supplement_deadline < today)
        .order_by(cases.c.id)
        .limit(limit)
    )
    return [r.id for r in rows]


async def set_query_hash(uow: UnitOfWork, case_id: str, digest: str) -> None:
    """A new query password's hash; not a change of the case (no revision)."""
    await uow.conn.execute(sa.update(cases).where(cases.c.id == case_id).values(query_hash=digest))


async def query_lock(uow: UnitOfWork, case_id: str, client: str) -> tuple[int, dt.datetime | None]:
    """The wrong guesses of one client at one case's status query, and its lock."""
    t = case_query_locks
    row = (
        await uow.conn.execute(
            sa.select(t.c.failures, t.c.locked_until).where(t.c.case_id == case_id, t.c.client == client)
        )
    ).first()
    return (int(row.failures), aware(row.locked_until)) if row else (0, None)


async def set_query_lock(
    uow: UnitOfWork, case_id: str, client: str, failures: int, locked_until: dt.datetime | None
) -> None:
    """Not a change of the case (no revision). No failures and no lock: the row goes."""
    t = case_query_locks
    await uow.conn.execute(sa.delete(t).where(t.c.case_id == case_id, t.c.client == client))
    if failures or locked_until:
        await uow.conn.execute(
            sa.insert(t).values(case_id=case_id, client=client, failures=failures, locked_until=locked_until)
        )


async def set_clock(uow: UnitOfWork, case_id: str, revision: int, level: str, values: dict[str, Any]) -> bool:
    """The sweep's clock columns (level raised, due date), if neither the case nor its level
    changed meanwhile: of two replicas sweeping at once, one raises the level's events."""
    result = await uow.conn.execute(
        sa.update(cases)
        .where(cases.c.id == case_id, cases.c.revision == revision, cases.c.warning_level == level)
        .values(**values)
    )
    return bool(result.rowcount)
