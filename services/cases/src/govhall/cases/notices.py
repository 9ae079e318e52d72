"""Issuing notices (受理/不予受理/补正告知/决定书) without holding the database (issue 13 §5).

Rendering a PDF takes a CPU for 0.1–0.3 s (seconds when cold) and storing it fsyncs the file
volume. Done inside the transition's transaction, that time was spent holding the case row, the
day's case-number counter (every other acceptance at the site waited) and, on SQLite, the
database-wide write lock. So a transition writes its notice row *pending*: ``sha256`` empty
and what it will print in ``pending`` (JSON, fixed at the transition: the case may move on
before it is rendered). After the commit the PDF is rendered and stored with no transaction
open, and a second short transaction fills the row in.

Why not reserve the case number in a transaction of its own and render before the transition?
Case numbers are gap-free per site and day (store.next_case_number): a number reserved by an
acceptance that then fails (a conflicting revision, a crash) would be a hole in the sequence the
e-supervision exchange reads. A pending row keeps the number and the state change in one commit.

Nothing is lost on kill -9 between the commit and the render: :func:`repair` renders every
notice pending for over a minute, at start-up and with every clock sweep, and a reader asking
for a pending notice has it rendered on demand (or, if the renderer fails, NOTICE_PENDING, never
a 500).
"""

from __future__ import annotations

import asyncio
import dataclasses
import datetime as dt
import json
import logging
from typing import TYPE_CHECKING, Any

import sqlalchemy as sa

from govhall.cases import documents, values, views
from govhall.cases.clock import read_clock
from govhall.cases.records import CaseRecord
from govhall.cases.tables import case_documents
from govhall.kit.db import UnitOfWork
from govhall.kit.errors import DomainError, ErrorKind
from govhall.kit.ids import new_id

if TYPE_CHECKING:
    from govhall.cases.workflow import Deps

log = logging.getLogger(__name__)

#: Notices are rendered off the event loop, a few at a time (each takes a CPU for ~0.1–0.3 s).
_RENDER_SLOTS = asyncio.Semaphore(2)
_DATES = ("issued_at", "submitted_at", "accepted_at")


def to_json(data: documents.NoticeData) -> str:
    body = dataclasses.asdict(data)
    body["kind"] = data.kind.value
    for name in _DATES:
        body[name] = body[name].isoformat() if body[name] else None
    return json.dumps(body, ensure_ascii=False)


def from_json(text: str) -> documents.NoticeData:
    body = json.loads(text)
    for name in _DATES:
        body[name] = dt.datetime.fromisoformat(body[name]) if body[name] else None
    body["supplement_items"] = tuple(tuple(pair) for pair in body["supplement_items"])
    return documents.NoticeData(**body)


def pending_error() -> DomainError:
    return DomainError(
        "NOTICE_PENDING",
        "the notice is issued but its PDF is not ready yet; try again in a moment",
        "文书已出具，正在生成PDF，请稍后再试",
        # 409, not 503: the service is up (a gateway must not count it as down); the notice is not.
        ErrorKind.WRONG_STATE,
    )


async def issue(
    deps: Deps,
    uow: UnitOfWork,
    rec: CaseRecord,
    kind: documents.DocumentKind,
    entry: values.HistoryEntry,
    now: dt.datetime,
    code: str,
) -> None:
    """Write the notice row, pending, in the transition's transaction: cheap, no rendering."""
    case = rec.case
    matter = views.matter_of(rec)
    document_id = new_id()
    reading = read_clock(case, views.today_in_china(now), calendar=deps.calendar)
    data = documents.NoticeData(
        kind=kind,
        document_id=document_id,
        verification_code=code,
        verify_url=deps.settings.verify_url_template.format(document_id=document_id, code=code),
        case_number=case.case_number,
        case_id=case.id,
        application_number=case.application_number,
        matter_name=case.matter_name,
        department_name=rec.department_name,
        site_name=matter.site_name,
        applicant_name=case.applicant.name,
        issued_at=now,
        submitted_at=case.submitted_at,
        accepted_at=case.accepted_at,
        promised_due=reading.promised.due.isoformat() if reading and reading.promised else "",
        legal_due=reading.legal.due.isoformat() if reading and reading.legal else "",
        opinion=entry.opinion,
        supplement_items=tuple((i.name or i.target, i.problem) for i in case.supplement.items)
        if case.supplement
        else (),
        supplement_deadline=case.supplement.deadline.isoformat() if case.supplement else "",
        result_name=matter.draft.result_name,
        legal_basis=matter.draft.guide.legal_basis,
    )
    await uow.conn.execute(
        sa.insert(case_documents).values(
            id=document_id,
            case_id=case.id,
            kind=kind.value,
            title=kind.title_zh,
            sha256="",
            size=0,
            issued_at=now,
            verification_code=code,
            pending=to_json(data),
        )
    )


async def render(data: documents.NoticeData) -> bytes:
    """The PDF, off the event loop. Never called with a transaction open (tests check)."""
    async with _RENDER_SLOTS:
        return await asyncio.to_thread(documents.render_pdf, data)


async def _pending_rows(deps: Deps, *where: Any) -> list[Any]:
    async with deps.db.reader() as uow:
        query = sa.select(case_documents.c.id, case_documents.c.pending).where(
            case_documents.c.pending.is_not(None), *where
        )
        return list(await uow.conn.execute(query.order_by(case_documents.c.issued_at)))


async def _complete(deps: Deps, document_id: str, text: str) -> bool:
    """Render and store one pending notice, then fill its row in a short transaction. Two
    replicas may race on the same notice: the first to fill the row wins; the loser's blob is
    the same content-addressed kind of file and harmless."""
    pdf = await render(from_json(text))
    digest = await deps.files.aput(pdf)
    async with deps.db.uow() as uow:
        done = await uow.conn.execute(
            sa.update(case_documents)
            .where(case_documents.c.id == document_id, case_documents.c.pending.is_not(None))
            .values(sha256=digest, size=len(pdf), pending=None)
        )
        await uow.commit()
    return bool(done.rowcount)


async def _complete_all(deps: Deps, rows: list[Any]) -> int:
    rendered = 0
    for row in rows:
        try:
            rendered += await _complete(deps, row.id, row.pending)
        except Exception:  # left pending: the next sweep or a reader tries again
            log.exception("notice %s could not be rendered; it stays pending", row.id)
    return rendered


async def finish(deps: Deps, case_id: str) -> int:
    """Render the case's pending notices, after the transition committed."""
    return await _complete_all(deps, await _pending_rows(deps, case_documents.c.case_id == case_id))


#: A notice pending for less than this is its own request's to render: the repair leaves it be,
#: so that a sweep running beside a request does not render the same notice twice.
REPAIR_GRACE = dt.timedelta(minutes=1)


async def repair(deps: Deps, grace: dt.timedelta = REPAIR_GRACE) -> int:
    """Render every notice pending for longer than ``grace`` (a process killed between a commit
    and its render); a reader meanwhile has it rendered on demand (:func:`ready`)."""
    issued_before = dt.datetime.now(dt.UTC) - grace
    return await _complete_all(deps, await _pending_rows(deps, case_documents.c.issued_at <= issued_before))


async def ready(deps: Deps, row: Any) -> Any:
    """``row`` with its PDF: a pending notice is rendered on demand; NOTICE_PENDING if that fails."""
    if row.pending is None:
        return row
    try:
        await _complete(deps, row.id, row.pending)
    except Exception:
        log.exception("notice %s could not be rendered on demand", row.id)
        raise pending_error() from None
    async with deps.db.reader() as uow:
        return (
            await uow.conn.execute(sa.select(case_documents).where(case_documents.c.id == row.id))
        ).first()
