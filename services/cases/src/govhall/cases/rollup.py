"""Statistics rolled up (汇总): a site's settled cases counted once, in the background.

A settled case is a submitted one in a state it never leaves (not accepted, terminated, withdrawn,
evaluated): nothing statistics count it by (site, month of submission, state, matter type, on
time) changes again. The roll-up adds the cases that settled before a cut-off to
``case_statistics`` and moves ``case_statistics_through`` to that cut-off, in one transaction:
a roll-up that dies leaves both as they were, and one run again (or by a second replica, which
waits on the same locked row) finds nothing new to add. Statistics then read the roll-up's rows
and, from the index, only the cases still moving and those settled since the cut-off: a county's
statistics no longer read all its years of concluded cases.

Why not a counter per site updated by every transition: that row would be written by every
submission of the county, serialising them (the submission path's concurrency); the roll-up
writes only in the background, and the cases' own rows stay the truth.

What it relies on: a case's update time is the time of its last write (the workflow stamps it),
so no case settles behind the watermark once the day's margin has passed. Cases loaded with older
update times (an import, a restore) are counted by :func:`rebuild`.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from govhall.cases import tables, vocabulary
from govhall.cases.vocabulary import CaseState
from govhall.kit.dialect import month_bucket

SETTLED = frozenset(vocabulary.FINAL_STATES - vocabulary.CONCLUDED)
SETTLED_VALUES = sorted(s.value for s in SETTLED)
MOVING_VALUES = sorted(s.value for s in CaseState if s not in SETTLED)
ON_TIME_CODE = {True: 1, False: 0, None: -1}
ON_TIME_OF = {v: k for k, v in ON_TIME_CODE.items()}

#: Cases that settled before the start of yesterday (China time) are rolled up: a day's margin
#: so that no transaction stamped before the cut-off is still to commit when the roll-up reads.
MARGIN = dt.timedelta(days=1)


def cut_off(now: dt.datetime) -> dt.datetime:
    local = dt.datetime.combine(vocabulary.local_date(now) - MARGIN, dt.time(), vocabulary.CHINA)
    return local.astimezone(dt.UTC)  # as the update times are written


async def through(uow: Any, *, for_update: bool = False) -> dt.datetime | None:
    t = tables.case_statistics_through
    query = sa.select(t.c.through).where(t.c.id == 1)
    value = (await uow.conn.execute(query.with_for_update() if for_update else query)).scalar_one()
    return value.replace(tzinfo=dt.UTC) if value is not None and value.tzinfo is None else value


def _grouped(bind: Any, where: list[Any]) -> sa.Select[Any]:
    c = tables.cases.c
    month = month_bucket(bind, c.submitted_at)
    return (
        sa.select(c.site_code, c.state, c.matter_type, month, c.on_time, sa.func.count())
        .where(c.submitted_at.is_not(None), *where)
        .group_by(c.site_code, c.state, c.matter_type, month, c.on_time)
    )


async def roll_up(db: Any, now: dt.datetime) -> int:
    """Add the cases settled since the last roll-up and before today's cut-off; how many."""
    until = cut_off(now)
    async with db.uow() as uow:
        start = await through(uow, for_update=True)
        if start is not None and start >= until:
            return 0
        added = await _add(uow, start, until)
        await uow.commit()
    return added


async def rebuild(db: Any, now: dt.datetime) -> int:
    """Count every settled case again from nothing: for cases written with an update time older
    than the roll-up's (a bulk import, a restore), which an incremental roll-up would never see
    (it counts by update time, and statistics take those settled before it from its counts)."""
    async with db.uow() as uow:
        await through(uow, for_update=True)
        await uow.conn.execute(sa.delete(tables.case_statistics))
        added = await _add(uow, None, cut_off(now))
        await uow.commit()
    return added


async def _add(uow: Any, start: dt.datetime | None, until: dt.datetime) -> int:
    """Count the cases settled with an update time in [start, until) into the roll-up and move
    its watermark to ``until``, inside the caller's transaction (both or neither are kept)."""
    c = tables.cases.c
    s = tables.case_statistics
    where = [c.state.in_(SETTLED_VALUES), c.updated_at < until]
    if start is not None:
        where.append(c.updated_at >= start)
    delta: dict[tuple[Any, ...], int] = {}
    for site, state, matter_type, month, on_time, n in await uow.conn.execute(_grouped(uow, where)):
        code = ON_TIME_CODE[None if on_time is None else bool(on_time)]
        key = (site, month, state, matter_type, code)
        delta[key] = delta.get(key, 0) + int(n)
    # The counts already there, read once: one statement per group was a round trip each (a
    # province's thousands of site-month groups took seconds).
    keys = ("site_code", "month", "state", "matter_type", "on_time")
    have = {tuple(r) for r in await uow.conn.execute(sa.select(*(s.c[k] for k in keys)))}
    old = [dict(zip(keys, k, strict=True), n=n) for k, n in delta.items() if k in have]
    new = [{**dict(zip(keys, k, strict=True)), "cases": n} for k, n in delta.items() if k not in have]
    if old:
        bound: dict[str, Any] = {k: sa.bindparam(f"k_{k}") for k in keys}
        await uow.conn.execute(
            sa.update(s)
            .where(*(s.c[k] == bound[k] for k in keys))
            .values(cases=s.c.cases + sa.bindparam("n")),
            [{f"k_{k}": row[k] for k in keys} | {"n": row["n"]} for row in old],
        )
    if new:
        await uow.conn.execute(sa.insert(s), new)
    added = sum(delta.values())
    t = tables.case_statistics_through
    await uow.conn.execute(sa.update(t).where(t.c.id == 1).values(through=until))
    return added


async def counted(uow: Any, codes: list[str]) -> list[tuple[str, int, str, bool | None, int]]:
    """(state, matter type, month, on time, cases) of the sites' submitted cases: the rolled-up
    counts plus the cases the roll-up has not counted, each an index range of
    ix_cases_site_statistics (site, state, update time)."""
    c = tables.cases.c
    site = c.site_code.in_(codes)
    until = await through(uow)
    if until is None:
        live = [_grouped(uow, [site])]
    else:
        live = [
            _grouped(uow, [site, c.state.in_(MOVING_VALUES)]),
            _grouped(uow, [site, c.state.in_(SETTLED_VALUES), c.updated_at >= until]),
        ]
    out: list[tuple[str, int, str, bool | None, int]] = []
    for query in live:
        for _site, state, matter_type, month, on_time, n in await uow.conn.execute(query):
            out.append((state, matter_type, month, None if on_time is None else bool(on_time), int(n)))
    if until is not None:
        s = tables.case_statistics.c
        rows = await uow.conn.execute(
            sa.select(s.state, s.matter_type, s.month, s.on_time, s.cases).where(s.site_code.in_(codes))
        )
        out += [(st, mt, m, ON_TIME_OF[ot], int(n)) for st, mt, m, ot, n in rows]
    return out
