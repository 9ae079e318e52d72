"""Letters' clock and supervision: the sweep that raises the warning (80 % of the working days
used) and overdue once per level, the timer that runs it, extensions (延期: the department asks
before the deadline, a supervisor decides) and the supervisors' lists of their subtree."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from govhall.consult import access, letter_clock, metrics
from govhall.consult import letters_store as ls
from govhall.consult.letters import text
from govhall.consult.letters_staff import handles, staff
from govhall.consult.letters_tables import letters
from govhall.contracts import consult as contract
from govhall.kit.caller import current_caller
from govhall.kit.db import Database, UnitOfWork
from govhall.kit.errors import DomainError, ErrorKind, invalid
from govhall.kit.events import make_event
from govhall.kit.fieldcipher import FieldCipher
from govhall.kit.workdays import WorkingCalendar, default_calendar
from govhall.protos.common.v1 import common_pb2
from govhall.protos.consult.v1 import letters_pb2 as pb

log = logging.getLogger(__name__)
LEVELS = ("", "warning", "overdue")
SUBJECT = {"warning": "overdue_warning", "overdue": "overdue"}
BATCH = 500
MAX_EXTENSION_DAYS = 30


def supervisor() -> common_pb2.CallerIdentity:
    caller = staff()
    if "supervisor" not in caller.roles:
        raise DomainError(
            "SUPERVISOR_ONLY", "only a supervisor does this", "仅监督人员可进行此操作", ErrorKind.FORBIDDEN
        )
    return caller


def subtree(site: str) -> Any:
    return letters.c.site_path.like(f"%/{site}/%")


def level_on(row: Any, today: dt.date, calendar: WorkingCalendar) -> str:
    """Overdue after the due date; a warning once 80 % of the working days are used."""
    if today > row.due_date:
        return "overdue"
    start = letter_clock.china_day(ls.aware(row.submitted_at))  # type: ignore[arg-type]
    total = calendar.working_days_between(start, row.due_date)
    used = calendar.working_days_between(start, today)
    return "warning" if total > 0 and used * 5 >= total * 4 else ""


@dataclass
class Supervision:
    db: Database
    cipher: FieldCipher
    calendar: WorkingCalendar = field(default_factory=default_calendar)
    clock: Any = field(default=ls.now)

    # The clock ------------------------------------------------------------------------------

    async def sweep(self, today: dt.date | None = None) -> pb.SweepLettersResponse:
        """Raise each open letter's new level once. Safe with several replicas: the UPDATE names
        the level it read, so of two sweepers only one raises it (and tells it)."""
        today = today or letter_clock.china_day(self.clock())
        counts = {"warning": 0, "overdue": 0}
        c = letters.c
        after = ""
        while True:
            async with self.db.reader() as uow:
                rows = list(
                    await uow.conn.execute(
                        sa.select(letters)
                        .where(c.state.in_(ls.OPEN_STATES), c.warning_level != "overdue", c.id > after)
                        .order_by(c.id)
                        .limit(BATCH)
                    )
                )
            for row in rows:
                level = level_on(row, today, self.calendar)
                if LEVELS.index(level) > LEVELS.index(row.warning_level):
                    async with self.db.uow() as uow:
                        if await self._raise(uow, row, level):
                            counts[level] += 1
                        await uow.commit()
            if len(rows) < BATCH:
                break
            after = rows[-1].id
        await metrics.refresh_letters(self.db, today)
        return pb.SweepLettersResponse(warned=counts["warning"], overdue=counts["overdue"])

    async def _raise(self, uow: UnitOfWork, row: Any, level: str) -> bool:
        c = letters.c
        result = await uow.conn.execute(
            sa.update(letters)
            .where(c.id == row.id, c.warning_level == row.warning_level, c.state.in_(ls.OPEN_STATES))
            .values(warning_level=level)
        )
        if result.rowcount != 1:
            return False
        # A letter that skipped the warning (the timer was off) still tells each level once.
        for each in LEVELS[LEVELS.index(row.warning_level) + 1 : LEVELS.index(level) + 1]:
            message = ls.changed(row, row.state, "clock")
            message.level = each
            uow.emit(make_event(contract.letter(SUBJECT[each]), message, row.site_code))
        return True

    async def run(self, interval: float) -> None:
        """The timer: every ``interval`` seconds for as long as the service runs."""
        while True:
            try:
                await self.sweep()
            except Exception:  # the next round tries again; a failed round must not stop the timer
                log.exception("letters' clock sweep failed")
            await asyncio.sleep(interval)

    async def sweep_rpc(self, r: pb.SweepLettersRequest) -> pb.SweepLettersResponse:
        caller = current_caller()
        if caller.kind not in (common_pb2.CALLER_KIND_SERVICE, common_pb2.CALLER_KIND_ADMIN):
            raise DomainError("SERVICE_ONLY", "services only", "仅限系统服务调用", ErrorKind.FORBIDDEN)
        today = None
        if r.today:
            try:
                today = dt.date.fromisoformat(r.today)
            except ValueError:
                raise invalid(
                    "TODAY_INVALID", "today is YYYY-MM-DD", "日期格式应为YYYY-MM-DD", "today"
                ) from None
        return await self.sweep(today)

    # Supervisors ----------------------------------------------------------------------------

    async def supervised(self, r: pb.ListSupervisedRequest) -> pb.ListLettersResponse:
        caller = supervisor()
        number, size = access.paging(r.page)
        c = letters.c
        where = [subtree(caller.site_code), c.state.in_(ls.OPEN_STATES)]
        if r.overdue_only:
            where.append(c.due_date < letter_clock.china_day(self.clock()))
        return await ls.page_of(self.db, self.cipher, sa.and_(*where), c.due_date, number, size)

    # Extensions (延期) -------------------------------------------------------------------------

    async def request_extension(self, r: pb.RequestExtensionRequest) -> pb.Letter:
        caller = staff()
        if not 1 <= r.days <= MAX_EXTENSION_DAYS:
            raise invalid(
                "DAYS_INVALID",
                f"an extension is 1 to {MAX_EXTENSION_DAYS} working days",
                f"延期应为1至{MAX_EXTENSION_DAYS}个工作日",
                "days",
            )
        reason = text(r.reason, "reason", 500, "延期理由")
        async with self.db.uow() as uow:
            row = await ls.load(uow, r.letter_id)
            if not handles(row, caller):
                raise ls.not_found()
            if row.revision != r.revision:
                raise ls.stale()
            at = self.clock()
            if row.state not in ls.OPEN_STATES or letter_clock.china_day(at) > row.due_date:
                raise ls.wrong_state(
                    "an open letter asks for an extension before its deadline", "仅可在办理期限届满前申请延期"
                )
            if row.extension_state in ("requested", "approved"):
                raise ls.wrong_state("an extension was already asked for", "已申请过延期")
            note = ls.Note(
                "system", "extension_requested", f"申请延期{r.days}个工作日：{reason}", False, caller.name
            )
            row = await ls.change(
                uow,
                row,
                r.revision,
                "extension_requested",
                "request_extension",
                note,
                extension_state="requested",
                extension_days=r.days,
                extension_reason=reason,
                updated_at=at,
            )
            messages = await ls.thread(uow, row.id)
            await uow.commit()
        return ls.view(row, messages, self.cipher)

    async def decide_extension(self, r: pb.DecideExtensionRequest) -> pb.Letter:
        caller = supervisor()
        reason = (r.reason or "").strip()[:500]
        if not r.approve and not reason:
            reason = text(r.reason, "reason", 500, "不同意延期的理由")
        async with self.db.uow() as uow:
            row = await ls.load(uow, r.letter_id)
            if f"/{caller.site_code}/" not in row.site_path:
                raise ls.not_found()
            if row.revision != r.revision:
                raise ls.stale()
            if row.extension_state != "requested":
                raise ls.wrong_state("no extension is waiting for a decision", "没有待审批的延期申请")
            at = self.clock()
            if r.approve:
                due = self.calendar.add_working_days(row.due_date, row.extension_days).date
                note = ls.Note("system", "extended", f"同意延期，期限至{due.isoformat()}", False, caller.name)
                # The clock starts over against the new date: its levels may be raised again.
                values: dict[str, Any] = {"extension_state": "approved", "due_date": due, "warning_level": ""}
                subject = "extended"
            else:
                note = ls.Note("system", "extension_refused", f"不同意延期：{reason}", False, caller.name)
                values = {"extension_state": "refused"}
                subject = "extension_refused"
            row = await ls.change(
                uow, row, r.revision, subject, "decide_extension", note, updated_at=at, **values
            )
            messages = await ls.thread(uow, row.id)
            await uow.commit()
        return ls.view(row, messages, self.cipher)
