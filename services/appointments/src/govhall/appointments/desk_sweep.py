"""The desk's sweep: a confirmed booking not checked in by the end of its slot plus a grace
becomes `no_show` (event `no_show`), and a confirmed booking is reminded on the day before its
day and again shortly before its start (event `reminder`, reason day_before | hour_before).

Each happens once: the change is a conditional UPDATE on what the pass read (the state for a
no-show, the `reminded` level, which only moves up, for a reminder), so two passes, or two
replicas sweeping at once, raise one event each. A reminder does not move the booking's
revision: it changes nothing a clerk or the owner acts on.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

import sqlalchemy as sa

from govhall.appointments import desk_common as common
from govhall.appointments import events, metrics
from govhall.appointments.settings import AppointmentsSettings
from govhall.appointments.tables import bookings
from govhall.kit.db import Database

log = logging.getLogger(__name__)
ORDER = {"none": 0, "day_before": 1, "hour_before": 2}


def _aware(value: dt.datetime) -> dt.datetime:
    return value if value.tzinfo is not None else value.replace(tzinfo=dt.UTC)


class DeskSweep:
    def __init__(self, db: Database, settings: AppointmentsSettings) -> None:
        self.db = db
        self.grace = dt.timedelta(minutes=settings.no_show_grace_minutes)
        self.before = dt.timedelta(minutes=settings.reminder_before_minutes)

    def reminder_due(self, starts: dt.datetime, now: dt.datetime) -> str:
        if starts - self.before <= now < starts:
            return "hour_before"
        # The day before the slot's (China) day; a booking made on its own day has no such day.
        if common.china_day(now) == common.china_day(starts) - dt.timedelta(days=1):
            return "day_before"
        return "none"

    async def sweep(self, now: dt.datetime | None = None) -> int:
        """One pass; returns how many events it raised."""
        now = now or dt.datetime.now(dt.UTC)
        raised = await self.no_shows(now) + await self.reminders(now)
        await metrics.refresh_slot_fill(self.db, now)  # the gauge moves with the sweep's timer
        return raised

    async def no_shows(self, now: dt.datetime) -> int:
        b = bookings.c
        async with self.db.reader() as uow:
            ids = (
                (
                    await uow.conn.execute(
                        sa.select(b.id)
                        .where(b.state == "confirmed", b.ends_at < now - self.grace)
                        .order_by(b.ends_at)
                    )
                )
                .scalars()
                .all()
            )
        raised = 0
        for booking_id in ids:
            async with self.db.uow() as uow:
                done = await uow.conn.execute(
                    sa.update(bookings)
                    .where(b.id == booking_id, b.state == "confirmed")
                    .values(
                        state="no_show",
                        state_reason="not checked in",
                        active_key=None,
                        revision=b.revision + 1,
                        updated_at=now,
                    )
                )
                if done.rowcount != 1:
                    continue  # checked in or cancelled meanwhile
                await self._emit(uow, booking_id, "no_show", "confirmed", "")
                await uow.commit()
                raised += 1
        return raised

    async def reminders(self, now: dt.datetime) -> int:
        b = bookings.c
        async with self.db.reader() as uow:
            rows = (
                await uow.conn.execute(
                    sa.select(b.id, b.starts_at, b.reminded).where(
                        b.state == "confirmed",
                        b.reminded != "hour_before",
                        b.starts_at > now,
                        b.starts_at <= now + dt.timedelta(days=2),
                    )
                )
            ).all()
        raised = 0
        for row in rows:
            level = self.reminder_due(_aware(row.starts_at), now)
            if ORDER[level] <= ORDER[row.reminded]:
                continue
            async with self.db.uow() as uow:
                done = await uow.conn.execute(
                    sa.update(bookings)
                    .where(b.id == row.id, b.state == "confirmed", b.reminded == row.reminded)
                    .values(reminded=level)
                )
                if done.rowcount != 1:
                    continue  # another pass reminded it, or it changed state
                await self._emit(uow, row.id, "reminder", "confirmed", level)
                await uow.commit()
                raised += 1
        return raised

    async def _emit(self, uow: Any, booking_id: str, name: str, from_state: str, reason: str) -> None:
        row = (await uow.conn.execute(sa.select(bookings).where(bookings.c.id == booking_id))).one()
        names = await common.event_names(uow, row)
        uow.emit(events.booking_event(name, row, from_state=from_state, reason=reason, **names))

    async def run(self, interval: float) -> None:
        while True:
            try:
                await self.sweep()
            except Exception:  # the next pass tries again
                log.exception("appointments desk sweep failed")
            await asyncio.sleep(interval)
