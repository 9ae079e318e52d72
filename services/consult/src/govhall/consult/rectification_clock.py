"""The rectification clock: a sweep raises `consult.rectification.overdue_warning` when 80 % of
the working days allowed have passed, and `overdue` after the due day, each once per
rectification (the level is stored and only moves up). Only open items run: a rectified one is
done, an appealed one waits for the supervisor."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math

import sqlalchemy as sa

from govhall.consult.evaluation_tables import evaluations, rectifications
from govhall.consult.rectifications import _event, china_day
from govhall.kit.db import Database
from govhall.kit.workdays import WorkingCalendar

log = logging.getLogger(__name__)
ORDER = {"none": 0, "warning": 1, "overdue": 2}


def level_on(today: dt.date, created: dt.date, due: dt.date, days: int, calendar: WorkingCalendar) -> str:
    if today > due:
        return "overdue"
    warn_after = max(1, math.ceil(days * 0.8))
    if calendar.working_days_between(created, today) >= warn_after:
        return "warning"
    return "none"


async def sweep(db: Database, calendar: WorkingCalendar, days: int, now: dt.datetime | None = None) -> int:
    """One pass; returns how many events it raised."""
    now = now or dt.datetime.now(dt.UTC)
    today = china_day(now)
    r = rectifications.c
    raised = 0
    async with db.reader() as uow:
        rows = list(
            await uow.conn.execute(
                sa.select(r.rectification_id, r.created_at, r.due, r.overdue_level).where(
                    r.state == "open", r.overdue_level != "overdue"
                )
            )
        )
    for row in rows:
        level = level_on(today, china_day(row.created_at), dt.date.fromisoformat(row.due), days, calendar)
        if ORDER[level] <= ORDER[row.overdue_level]:
            continue
        async with db.uow() as uow:
            done = await uow.conn.execute(
                sa.update(rectifications)
                .where(
                    r.rectification_id == row.rectification_id,
                    r.overdue_level == row.overdue_level,
                    r.state == "open",
                )
                .values(overdue_level=level, revision=r.revision + 1, updated_at=now)
            )
            if done.rowcount != 1:
                continue  # moved meanwhile: the next pass sees it as it is now
            new = (
                await uow.conn.execute(
                    sa.select(rectifications).where(r.rectification_id == row.rectification_id)
                )
            ).one()
            ev = (
                await uow.conn.execute(
                    sa.select(evaluations).where(evaluations.c.evaluation_id == new.evaluation_id)
                )
            ).one()
            uow.emit(
                _event(
                    "overdue_warning" if level == "warning" else "overdue", new._asdict(), ev, "open", level
                )
            )
            await uow.commit()
            raised += 1
    return raised


async def run(db: Database, calendar: WorkingCalendar, days: int, interval: float) -> None:
    while True:
        try:
            await sweep(db, calendar, days)
        except Exception:  # the next pass tries again
            log.exception("rectification sweep failed")
        await asyncio.sleep(interval)
