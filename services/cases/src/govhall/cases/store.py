"""Cases queries (SQLAlchemy Core) on the tables of tables.py, run inside a kit UnitOfWork.

Concurrency: every change loads the row FOR UPDATE and writes it back with ``revision + 1``
only when the revision is still the one loaded, so two clerks pressing "accept" at once produce
one acceptance and one CASE_CHANGED error.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from govhall.cases import (
    handovers_tables,  # noqa: F401  (跨省通办's tables on cases' metadata)
    vocabulary,
)
from govhall.cases.records import (
    CaseRecord,
    aware,
    current_role,
    current_step_name,
    domain_json,
    record_from_row,
)
from govhall.cases.tables import (
    application_numbers,
    case_documents,
    case_files,
    case_flow,
    case_licences,
    case_numbers,
    case_query_locks,
    cases,
)
from govhall.cases.values import Actor, ActorKind, HistoryEntry
from govhall.cases.vocabulary import CaseState
from govhall.kit.db import UnitOfWork
from govhall.kit.dialect import is_postgres, locked
from govhall.kit.errors import DomainError, ErrorKind


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


# The submission path's statements, built once with named parameters (issue 20: a statement
# built per call was built again and its cache key computed again on every call, a tenth of
# cases' CPU in the profile; one built once keeps its key, and SQLAlchemy's compiled cache does
# the rest). The parameters are prefixed: an UPDATE may not name a parameter after its column.
_WRITTEN = [c.name for c in cases.c if c.name != "id"]
_INSERT_CASE = sa.insert(cases).values(
    {"id": sa.bindparam("p_id"), **{n: sa.bindparam(f"p_{n}") for n in _WRITTEN}}
)
_UPDATE_CASE = (
    sa.update(cases)
    .where(cases.c.id == sa.bindparam("p_id"), cases.c.revision == sa.bindparam("p_loaded_revision"))
    .values({n: sa.bindparam(f"p_{n}") for n in _WRITTEN})
)
_LOAD = sa.select(cases).where(cases.c.id == sa.bindparam("case_id"))
_LOAD_LOCKED = _LOAD.with_for_update()


def _params(rec: CaseRecord) -> dict[str, Any]:
    return {"p_id": rec.case.id, **{f"p_{n}": v for n, v in _values(rec).items()}}


async def insert_case(uow: UnitOfWork, rec: CaseRecord) -> None:
    await uow.conn.execute(_INSERT_CASE, _params(rec))


def changed_error() -> DomainError:
    return DomainError(
        "CASE_CHANGED",
        "the case was changed by someone else; reload it and try again",
        "办件已被他人更新，请刷新后重试",
        ErrorKind.CONFLICT,
    )


async def update_case(uow: UnitOfWork, rec: CaseRecord) -> None:
    """Write back a record loaded with :func:`load`, if nobody changed it meanwhile."""
    params = _params(rec)
    params["p_loaded_revision"] = rec.loaded_revision
    result = await uow.conn.execute(_UPDATE_CASE, params)
    if result.rowcount != 1:
        raise changed_error()


_TOUCH_CASE = (
    sa.update(cases)
    .where(cases.c.id == sa.bindparam("p_id"), cases.c.revision == sa.bindparam("p_loaded_revision"))
    .values(revision=sa.bindparam("p_revision"), updated_at=sa.bindparam("p_updated_at"))
)


async def touch_case(uow: UnitOfWork, rec: CaseRecord) -> None:
    """Write back only the revision and update time of a record loaded with :func:`load`, if
    nobody changed it meanwhile: for a change beside the row (a file attached or removed), where
    writing every column again sent the matter's copy and the application each time."""
    params = {
        "p_id": rec.case.id,
        "p_loaded_revision": rec.loaded_revision,
        "p_revision": rec.case.revision,
        "p_updated_at": rec.case.updated_at,
    }
    if (await uow.conn.execute(_TOUCH_CASE, params)).rowcount != 1:
        raise changed_error()


async def load(uow: UnitOfWork, case_id: str, *, for_update: bool = False) -> CaseRecord | None:
    # FOR UPDATE on PostgreSQL only (kit.dialect.locked says why).
    query = _LOAD_LOCKED if for_update and is_postgres(uow) else _LOAD
    row = (await uow.conn.execute(query, {"case_id": case_id})).first()
    return record_from_row(row) if row else None


async def load_by_number(uow: UnitOfWork, number: str, *, for_update: bool = False) -> CaseRecord | None:
    """The case with this case number (办件编号) or application number (申报号)."""
    query = sa.select(cases).where(
        sa.or_(cases.c.case_number == number, cases.c.application_number == number)
    )
    if for_update:
        query = locked(uow, query)
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
    for table in (case_files, case_licences, case_flow, case_documents, case_query_locks):
        await uow.conn.execute(sa.delete(table).where(table.c.case_id == case_id))
    await uow.conn.execute(sa.delete(cases).where(cases.c.id == case_id))


# Flow ----------------------------------------------------------------------------------------


def _actor_role(actor: Actor, entry: HistoryEntry) -> str:
    if actor.kind is not ActorKind.STAFF:
        return ""
    if entry.action in (vocabulary.Action.TERMINATE,):
        return vocabulary.SUPERVISOR
    if entry.action in (vocabulary.Action.ACCEPT, vocabulary.Action.NOT_ACCEPT) or (
        entry.from_state is CaseState.SUBMITTED
    ):
        return vocabulary.WINDOW_CLERK
    for role in vocabulary.STEP_ROLES:
        if role in actor.roles:
            return role
    return ""


def flow_values(case_id: str, entry: HistoryEntry, step_role: str = "") -> dict[str, Any]:
    """The flow row of one transition, as :func:`append_flow` writes it."""
    actor = entry.actor
    return {
        "case_id": case_id,
        "seq": entry.seq,
        "action": entry.action.value,
        "from_state": entry.from_state.value,
        "to_state": entry.to_state.value,
        "actor_kind": actor.kind.value,
        "actor_subject": actor.agent_subject or actor.subject,
        "actor_name": actor.name,
        "actor_role": step_role or _actor_role(actor, entry),
        "at": entry.at,
        "opinion": entry.opinion,
        "outcome": entry.outcome,
        "step_code": entry.step_code,
        "step_name": entry.step_name,
        "result_code": None if entry.result_code is None else int(entry.result_code),
        "details": json.dumps(dict(entry.details), ensure_ascii=False),
    }


_INSERT_FLOW = sa.insert(case_flow)
_FLOW = sa.select(case_flow).where(case_flow.c.case_id == sa.bindparam("case_id")).order_by(case_flow.c.seq)


async def append_flow(uow: UnitOfWork, case_id: str, entry: HistoryEntry, step_role: str = "") -> None:
    await uow.conn.execute(_INSERT_FLOW, [flow_values(case_id, entry, step_role)])


async def flow(uow: UnitOfWork, case_id: str) -> list[Any]:
    return list(await uow.conn.execute(_FLOW, {"case_id": case_id}))


# Files and documents --------------------------------------------------------------------------


_INSERT_FILE = sa.insert(case_files)
_FILES = (
    sa.select(case_files)
    .where(case_files.c.case_id == sa.bindparam("case_id"))
    .order_by(case_files.c.uploaded_at, case_files.c.id)
)
_LICENCE_REFS = (
    sa.select(case_licences)
    .where(case_licences.c.case_id == sa.bindparam("case_id"))
    .order_by(case_licences.c.material_code)
)
_DOCUMENTS = (
    sa.select(case_documents)
    .where(case_documents.c.case_id == sa.bindparam("case_id"))
    .order_by(case_documents.c.issued_at)
)


async def add_file(uow: UnitOfWork, values: dict[str, Any]) -> None:
    await uow.conn.execute(_INSERT_FILE, [values])


# PostgreSQL: the file row and the case's new revision in one statement (a data-modifying CTE the
# UPDATE carries), one round trip instead of two on every upload; SQLite has no such CTEs (and
# no round trips to save) and writes them one after the other.
_ATTACH_FILE = _TOUCH_CASE.add_cte(
    sa.insert(case_files)
    .values({column.name: sa.bindparam(f"f_{column.name}") for column in case_files.columns})
    .cte("attached_file")
)


async def attach_file(uow: UnitOfWork, rec: CaseRecord, values: dict[str, Any]) -> None:
    """Add the file row ``values`` (every column of case_files) and write back the revision and
    update time of ``rec`` (as :func:`touch_case`, checked against the revision it was loaded at)."""
    if not is_postgres(uow):
        await add_file(uow, values)
        await touch_case(uow, rec)
        return
    params = {
        "p_id": rec.case.id,
        "p_loaded_revision": rec.loaded_revision,
        "p_revision": rec.case.revision,
        "p_updated_at": rec.case.updated_at,
        **{f"f_{name}": value for name, value in values.items()},
    }
    if (await uow.conn.execute(_ATTACH_FILE, params)).rowcount != 1:
        raise changed_error()  # the transaction rolls back, the file row with it


async def files(uow: UnitOfWork, case_id: str) -> list[Any]:
    return list(await uow.conn.execute(_FILES, {"case_id": case_id}))


async def licence_refs(uow: UnitOfWork, case_id: str) -> list[Any]:
    """The materials taken from the applicant's licences (用证授权, licence_materials.py)."""
    return list(await uow.conn.execute(_LICENCE_REFS, {"case_id": case_id}))


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
    return list(await uow.conn.execute(_DOCUMENTS, {"case_id": case_id}))


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
    return await page_rows(uow, where, order, page, size), int(total)


async def page_rows(
    uow: UnitOfWork, where: Sequence[Any], order: Sequence[Any], page: int, size: int
) -> list[Any]:
    """One page of list rows, without counting them (for lists whose totals come from a tally)."""
    rows = await uow.conn.execute(
        sa.select(*[c for c in cases.c if c.name not in ("matter", "application")])
        .where(*where)
        .order_by(*order)
        .limit(size)
        .offset((page - 1) * size)
    )
    return list(rows)


async def tally(uow: UnitOfWork, columns: Sequence[Any], where: Sequence[Any]) -> dict[tuple[Any, ...], int]:
    """Rows counted by several columns at once: one pass over the rows instead of one per column."""
    rows = await uow.conn.execute(
        sa.select(*columns, sa.func.count()).select_from(cases).where(*where).group_by(*columns)
    )
    return {tuple(r[:-1]): int(r[-1]) for r in rows}


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
