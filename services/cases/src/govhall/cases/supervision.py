"""Supervision (电子监察): the clock sweep, warning lists, per-department performance and the
statistics behind the charts and the Prometheus gauges."""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
from typing import Any

import sqlalchemy as sa
from prometheus_client import Gauge

from govhall.cases import (
    commands,
    evaluations,
    events,
    notices,
    rollup,
    store,
    tables,
    views,
    vocabulary,
)
from govhall.cases.applying import paging
from govhall.cases.clock import WarningLevel, read_clock, warning_event
from govhall.cases.values import Actor, ActorKind
from govhall.cases.vocabulary import CaseState
from govhall.cases.workflow import Deps, actor_for, perform, record
from govhall.contracts.labels import MATTER_TYPE_LABELS
from govhall.kit.dialect import month_bucket
from govhall.kit.errors import DomainError, ErrorKind, invalid
from govhall.kit.labels import enum_name
from govhall.protos.cases.v1 import cases_pb2 as pb
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.common.v1 import common_pb2

log = logging.getLogger(__name__)

SWEEPER = Actor.system("clock-sweep")
SWEEP_BATCH = 500

CASES_BY_STATE = Gauge("govhall_cases", "Cases by state (all sites this instance holds)", ["state"])
CASES_WARNED = Gauge("govhall_cases_warnings", "Open cases with a yellow or red card", ["level"])
ON_TIME_RATE = Gauge("govhall_cases_on_time_ratio", "Concluded cases concluded by their due date")
OVERDUE = Gauge(
    "govhall_cases_overdue", "Open cases past their legal due date (as the last clock sweep read them)"
)

SUPERVISORY_ROLES = frozenset({vocabulary.SUPERVISOR, vocabulary.SITE_ADMIN})


def _supervisor(actor: Actor) -> Actor:
    if actor.kind is ActorKind.SYSTEM:
        return actor
    if actor.kind is not ActorKind.STAFF or not (actor.roles & SUPERVISORY_ROLES):
        raise DomainError(
            "SUPERVISOR_REQUIRED",
            "supervisors and site administrators only",
            "仅限监察人员和站点管理员",
            ErrorKind.FORBIDDEN,
        )
    return actor


def _day(value: str, field: str) -> dt.date | None:
    if not value.strip():
        return None
    try:
        return dt.date.fromisoformat(value.strip())
    except ValueError:
        raise invalid(
            "DATE_INVALID", f"{field} must be YYYY-MM-DD", "日期格式应为YYYY-MM-DD", field
        ) from None


def _bounds(column: Any, start: dt.date | None, end: dt.date | None) -> list[Any]:
    out = []
    if start:
        out.append(column >= dt.datetime.combine(start, dt.time(), vocabulary.CHINA))
    if end:
        out.append(column < dt.datetime.combine(end + dt.timedelta(days=1), dt.time(), vocabulary.CHINA))
    return out


# The sweep ------------------------------------------------------------------------------------


async def sweep(deps: Deps, today: dt.date | None = None) -> pb.SweepClockResponse:
    """Overdue supplements become 退件; cases whose clock reached a higher card raise
    overdue_warning (and overdue on red). Each case in its own transaction; a case changed
    meanwhile is left for the next sweep."""
    now = deps.now()
    if today is not None and today > views.today_in_china(now):
        # A sweep "as of" a later day (an operator catching up, or a test): the transitions it
        # makes are stamped on that day, so the state machine's deadline checks agree with it.
        now = dt.datetime.combine(today, dt.time(12), vocabulary.CHINA)
    today = today or views.today_in_china(now)
    returned = warned = 0
    async with deps.db.reader() as uow:
        overdue = await store.overdue_supplements(uow, today, 10_000)
    for case_id in overdue:
        async with deps.db.uow() as uow:
            rec = await store.load(uow, case_id, for_update=True)
            if (
                rec is None
                or rec.case.state is not CaseState.SUPPLEMENT_REQUESTED
                or rec.case.supplement is None
            ):
                continue
            if rec.case.supplement.deadline >= today:
                continue
            transition = perform(rec, commands.SupplementOverdue(), SWEEPER, now)
            await record(deps, uow, rec, transition, now=now)
            await uow.commit()
            returned += 1
    after = ""
    overdue = 0  # past the legal due date: the sweep reads every running clock anyway
    while True:
        async with deps.db.reader() as uow:
            ids = await store.open_cases_for_sweep(uow, after, SWEEP_BATCH)
        if not ids:
            break
        after = ids[-1]
        for case_id in ids:
            async with deps.db.uow() as uow:
                rec = await store.load(uow, case_id)
                if rec is None:
                    continue
                reading = read_clock(rec.case, today, calendar=deps.calendar)
                if reading is None:
                    continue
                overdue += bool(reading.legal and reading.legal.overdue)
                before = WarningLevel(rec.warning_level)
                raised = warning_event(before, reading.warning)
                deciding = reading.promised or reading.legal
                level = max(before, reading.warning, key=lambda w: w.rank).value
                # A level never falls in the column while the case runs: a pause that moved the
                # due date must not make the next rise raise its events twice.
                values = {
                    "warning_level": level,
                    "due_date": deciding.due if deciding else None,
                    "working_days_used": deciding.used if deciding else None,
                }
                if not await store.set_clock(uow, case_id, rec.case.revision, before.value, values):
                    continue
                for subject in raised:
                    uow.emit(
                        events.clock_event(
                            subject,
                            rec,
                            views.LEVEL_PB[reading.warning],
                            deciding.due.isoformat() if deciding else "",
                        )
                    )
                await uow.commit()
                warned += bool(raised)
    ended = await evaluations.end_periods(deps, today, now)
    # After end_periods: the cases it settled are counted by the next day's roll-up.
    await rollup.roll_up(deps.db, deps.now())
    OVERDUE.set(overdue)
    await refresh_gauges(deps)
    return pb.SweepClockResponse(
        supplements_returned=returned, warnings_raised=warned, evaluation_periods_ended=ended
    )


async def refresh_gauges(deps: Deps) -> None:
    c = tables.cases.c
    async with deps.db.reader() as uow:
        by_state = await store.count_by(uow, c.state, [])
        open_states = [s.value for s in vocabulary.OPEN_STATES]
        by_level = await store.count_by(uow, c.warning_level, [c.state.in_(open_states)])
        on_time = await store.count_by(uow, c.on_time, [c.state.in_(_concluded())])
    for state in CaseState:
        CASES_BY_STATE.labels(state=state.value).set(by_state.get(state.value, 0))
    for level in ("yellow", "red"):
        CASES_WARNED.labels(level=level).set(by_level.get(level, 0))
    done = sum(on_time.values())
    ON_TIME_RATE.set(on_time.get(True, 0) / done if done else 0)


def _concluded() -> list[str]:
    return [s.value for s in (*vocabulary.CONCLUDED, CaseState.EVALUATED)]


async def run_sweeps(deps: Deps, interval: float) -> None:
    """The timer: every ``interval`` seconds, for as long as the service runs."""
    while True:
        try:
            await sweep(deps)
        except Exception:  # the next round tries again; a failed round must not stop the timer
            log.exception("clock sweep failed")
        try:
            await notices.repair(deps)  # notices a killed process left pending
        except Exception:
            log.exception("pending notices could not be repaired")
        await asyncio.sleep(interval)


async def sweep_rpc(deps: Deps, req: pb.SweepClockRequest) -> pb.SweepClockResponse:
    actor = await actor_for(deps)
    if actor.kind is not ActorKind.SYSTEM:
        raise DomainError("SERVICE_ONLY", "services only", "仅限系统服务调用", ErrorKind.FORBIDDEN)
    return await sweep(deps, _day(req.today, "today"))


# Lists and figures ----------------------------------------------------------------------------


async def site_and_below(uow: Any, actor: Actor, site: str) -> Any:
    """The condition on cases of :func:`subtree`."""
    return tables.cases.c.site_code.in_(await subtree(uow, actor, site))


async def subtree(uow: Any, actor: Actor, site: str) -> list[str]:
    """The cases of a site and every site below it: what a supervisor or site administrator of a
    city sees of its counties (warnings, performance, statistics alike). Staff may ask for their own
    site or one below it."""
    if actor.kind is ActorKind.STAFF and site != actor.site_code:
        target = await tables.sites.get(uow, site)
        if target is None or actor.site_code not in target.path:
            raise DomainError(
                "CASE_WRONG_SITE",
                "only your site and the sites below it",
                "仅可查看本站点及下级站点的数据",
                ErrorKind.FORBIDDEN,
            )
    # The subtree's codes are read first and given as a list: "site_code = X OR site_code IN
    # (subquery)" cannot use an index on site_code, so every statistic, warning list and
    # performance table read the whole cases table (all sites') however small the site was.
    t = tables.sites.t
    below = await uow.conn.execute(sa.select(t.c.code).where(t.c.path.like(f"%{site}%")))
    return sorted({site, *(r.code for r in below)})


async def warnings(deps: Deps, req: pb.ListWarningsRequest) -> pb.ListWarningsResponse:
    actor = _supervisor(await actor_for(deps))
    number, size = paging(req.page)
    c = tables.cases.c
    levels = [views.PB_LEVEL[req.level].value] if req.level else ["yellow", "red"]
    now = deps.now()
    async with deps.db.reader() as uow:
        where = [
            await site_and_below(uow, actor, actor.site_code),
            c.state.in_([s.value for s in vocabulary.OPEN_STATES]),
            c.warning_level.in_(levels),
        ]
        if req.department_code:
            where.append(c.department_code == req.department_code)
        rows, total = await store.page_of(
            uow, where, [c.warning_level.desc(), c.due_date, c.id], number, size
        )
    out = []
    for r in rows:
        summary = views.summary_message(r, now=now, calendar=deps.calendar)
        out.append(
            pb.WarningRow(
                case=summary,
                level=views.LEVEL_PB[WarningLevel(r.warning_level)],
                due=r.due_date.isoformat() if r.due_date else "",
                days_left=summary.clock.days_left,
            )
        )
    return pb.ListWarningsResponse(
        warnings=out, page=common_pb2.PageInfo(page=number, page_size=size, total=total)
    )


async def performance(deps: Deps, req: pb.GetPerformanceRequest) -> pb.Performance:
    actor = _supervisor(await actor_for(deps))
    site = req.site_code or actor.site_code
    c = tables.cases.c
    bounds = _bounds(c.accepted_at, _day(req.__getattribute__("from"), "from"), _day(req.to, "to"))
    concluded = c.state.in_(_concluded())
    open_ = c.state.in_([s.value for s in vocabulary.OPEN_STATES])
    query = (
        sa.select(
            c.department_code,
            sa.func.max(c.department_name),
            sa.func.count(),
            sa.func.sum(sa.case((concluded, 1), else_=0)),
            sa.func.sum(sa.case((sa.and_(concluded, c.on_time.is_(True)), 1), else_=0)),
            sa.func.avg(sa.case((concluded, c.working_days_used), else_=None)),
            sa.func.sum(sa.case((sa.and_(open_, c.warning_level == "yellow"), 1), else_=0)),
            sa.func.sum(sa.case((sa.and_(open_, c.warning_level == "red"), 1), else_=0)),
        )
        .where(c.accepted_at.is_not(None), *bounds)
        .group_by(c.department_code)
        .order_by(c.department_code)
    )
    async with deps.db.reader() as uow:
        rows = list(await uow.conn.execute(query.where(await site_and_below(uow, actor, site))))
    return pb.Performance(
        site_code=site,
        departments=[
            pb.DepartmentPerformance(
                department_code=code,
                department_name=name,
                accepted=int(accepted),
                concluded=int(done or 0),
                on_time=int(in_time or 0),
                on_time_rate=round(int(in_time or 0) / int(done), 4) if done else 0.0,
                average_days=round(float(avg), 2) if avg is not None else 0.0,
                open_yellow=int(yellow or 0),
                open_red=int(red or 0),
            )
            for code, name, accepted, done, in_time, avg, yellow, red in rows
        ],
    )


def statistics_query(bind: Any, where: list[Any]) -> sa.Select[Any]:
    """One pass over the site's cases (an index-only scan of ix_cases_site_statistics on
    PostgreSQL), grouped by everything statistics count by: the four tallies are folded from its
    few groups. Four queries, one per tally, read the same rows four times."""
    c = tables.cases.c
    month = month_bucket(bind, c.submitted_at)
    return (
        sa.select(c.state, c.matter_type, month, c.on_time, sa.func.count())
        .where(*where)
        .group_by(c.state, c.matter_type, month, c.on_time)
    )


async def statistics(deps: Deps, req: pb.GetStatisticsRequest) -> pb.Statistics:
    actor = await actor_for(deps)
    if actor.kind not in (ActorKind.STAFF, ActorKind.SYSTEM):
        raise DomainError("STAFF_REQUIRED", "staff only", "仅限工作人员", ErrorKind.FORBIDDEN)
    site = req.site_code or actor.site_code
    c = tables.cases.c
    bounds = _bounds(c.submitted_at, _day(req.__getattribute__("from"), "from"), _day(req.to, "to"))
    async with deps.db.reader() as uow:
        codes = await subtree(uow, actor, site)
        if bounds:
            # A date range reads its own cases (the roll-up counts by month, not by day).
            where = [c.site_code.in_(codes), c.submitted_at.is_not(None), *bounds]
            rows = list(await uow.conn.execute(statistics_query(uow, where)))
        else:
            rows = await rollup.counted(uow, codes)
    by_state: dict[str, int] = {}
    by_type: dict[int, int] = {}
    by_month: dict[str, int] = {}
    on_time: dict[bool | None, int] = {}
    concluded_states = set(_concluded())
    for state, matter_type, bucket, in_time_flag, n in rows:
        by_state[state] = by_state.get(state, 0) + n
        by_type[matter_type] = by_type.get(matter_type, 0) + n
        by_month[bucket] = by_month.get(bucket, 0) + n
        if state in concluded_states:
            on_time[in_time_flag] = on_time.get(in_time_flag, 0) + n
    total = sum(by_state.values())
    concluded = sum(on_time.values())
    in_time = on_time.get(True, 0)
    return pb.Statistics(
        site_code=site,
        by_state=[pb.CountRow(key=s, label=CaseState(s).zh, count=n) for s, n in sorted(by_state.items())],
        by_matter_type=[
            # Keyed as the catalogue's filters spell a matter type ("licensing"), not by number.
            pb.CountRow(
                key=enum_name(cat.MatterType.DESCRIPTOR, t) or str(t),
                label=MATTER_TYPE_LABELS.get(t, "其他"),
                count=n,
            )
            for t, n in sorted(by_type.items())
        ],
        by_month=[pb.CountRow(key=m, label=m, count=n) for m, n in sorted(by_month.items()) if m],
        total=total,
        concluded=concluded,
        on_time=in_time,
        on_time_rate=round(in_time / concluded, 4) if concluded else 0.0,
    )
