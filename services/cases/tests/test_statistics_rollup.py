"""Statistics rolled up in the background (rollup.py): settled cases are counted once into
case_statistics, and statistics (rolled-up rows plus the cases still moving) count exactly what
reading every case counted, before and after a roll-up, after cases settle meanwhile, after a
roll-up that died, and when a roll-up runs twice."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
import sqlalchemy as sa

from govhall.cases import rollup, store, supervision, tables
from govhall.cases.values import Actor
from govhall.cases.vocabulary import CaseState
from govhall.kit.db import Database
from govhall.kit.dialect import is_postgres
from govhall.protos.cases.v1 import cases_pb2 as pb
from govhall.protos.common.v1 import common_pb2 as C

from .test_growth_reads import _as, _deps, migrated_with_sites
from .test_migration_0002 import T0, _record

NOW = T0  # 2026-11-02 10:00 in China: the roll-up's cut-off is 2026-11-01 00:00 China time
DAY = dt.timedelta(days=1)
SERVICE = C.CallerIdentity(kind=C.CALLER_KIND_SERVICE, subject="cases")

# (id, site, state, on time, matter type, submitted days ago, updated days ago)
CASES = [
    ("e1", "420502", CaseState.EVALUATED, True, 1, 90, 60),  # settled long ago
    ("e2", "420502", CaseState.EVALUATED, False, 2, 40, 30),
    ("t1", "420503", CaseState.TERMINATED, None, 1, 70, 65),
    ("n1", "420502", CaseState.NOT_ACCEPTED, None, 1, 20, 19),
    ("e3", "420502", CaseState.EVALUATED, True, 1, 10, 0),  # settled today: after the cut-off
    ("c1", "420502", CaseState.CONCLUDED_APPROVED, True, 1, 30, 20),  # may still be evaluated
    ("s1", "420502", CaseState.SUBMITTED, None, 1, 50, 50),
    ("u1", "420503", CaseState.UNDER_REVIEW, None, 2, 5, 4),
    ("x1", "420602", CaseState.EVALUATED, True, 1, 90, 60),  # another city
    ("d1", "420502", CaseState.DRAFT, None, 1, None, 80),  # never submitted
]


async def _world(db: Database) -> None:
    await migrated_with_sites(db)
    async with db.uow() as uow:
        for row in CASES:
            await _insert(uow, *row)
        await uow.commit()


async def _insert(
    uow: Any, case_id: str, site: str, state: CaseState, on_time: Any, kind: int, sub: Any, upd: int
) -> None:
    rec = _record(case_id, submitted=sub is not None)
    submitted = None if sub is None else NOW - sub * DAY
    case = dataclasses.replace(rec.case, state=state, submitted_at=submitted, updated_at=NOW - upd * DAY)
    rec = dataclasses.replace(rec, case=case, site_code=site, on_time=on_time, matter_type=kind)
    await store.insert_case(uow, rec)


async def _settle(db: Database, case_id: str, state: CaseState, at: dt.datetime) -> None:
    """A transition as the workflow writes it: the state and the update time."""
    async with db.uow() as uow:
        await uow.conn.execute(
            sa.update(tables.cases)
            .where(tables.cases.c.id == case_id)
            .values(state=state.value, updated_at=at)
        )
        await uow.commit()


async def _stats(db: Database, site: str = "420500") -> dict[str, Any]:
    got = await _as(SERVICE, supervision.statistics(_deps(db), pb.GetStatisticsRequest(site_code=site)))
    return {
        "state": {r.key: r.count for r in got.by_state},
        "type": {r.key: r.count for r in got.by_matter_type},
        "month": {r.key: r.count for r in got.by_month},
        "figures": (got.total, got.concluded, got.on_time, got.on_time_rate),
    }


async def _read_everything(db: Database, site: str = "420500") -> dict[str, Any]:
    """The statistics as reading every case counts them (a date range reads its own cases)."""
    got = await _as(
        SERVICE,
        supervision.statistics(
            _deps(db), pb.GetStatisticsRequest(site_code=site, to=(NOW + 400 * DAY).date().isoformat())
        ),
    )
    return {
        "state": {r.key: r.count for r in got.by_state},
        "type": {r.key: r.count for r in got.by_matter_type},
        "month": {r.key: r.count for r in got.by_month},
        "figures": (got.total, got.concluded, got.on_time, got.on_time_rate),
    }


async def test_rolled_up_statistics_count_what_every_case_counts(db_url: str) -> None:
    db = Database(db_url)
    try:
        await _world(db)
        before = await _stats(db)
        assert before == await _read_everything(db)
        assert before["figures"] == (8, 4, 3, 0.75)  # e1 e2 e3 c1 concluded; the city's 8 submitted
        # Settled before the cut-off: e1 e2 n1 t1 and the other city's x1; not e3 (today), not c1.
        assert await rollup.roll_up(db, NOW) == 5
        assert await rollup.roll_up(db, NOW) == 0  # the same day again: nothing new
        assert await _stats(db) == before
        async with db.reader() as uow:
            stored = sum(r.cases for r in await uow.conn.execute(sa.select(tables.case_statistics)))
        assert stored == 5
        # Meanwhile: c1 is evaluated today and s1 withdrawn; the figures follow at once.
        await _settle(db, "c1", CaseState.EVALUATED, NOW)
        await _settle(db, "s1", CaseState.WITHDRAWN, NOW)
        moved = await _stats(db)
        assert moved == await _read_everything(db)
        assert moved["state"]["evaluated"] == 4 and moved["state"]["withdrawn"] == 1
        # Two days on, they (and e3) are rolled up, counted once.
        assert await rollup.roll_up(db, NOW + 2 * DAY) == 3
        assert await _stats(db) == moved
        assert await _stats(db, "420000") == await _read_everything(db, "420000")
        assert await _stats(db, "420503") == await _read_everything(db, "420503")
    finally:
        await db.close()


async def test_a_roll_up_that_dies_leaves_nothing_half_counted(db_url: str) -> None:
    db = Database(db_url)
    try:
        await _world(db)
        expected = await _stats(db)

        def die(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
            if statement.lstrip().upper().startswith("UPDATE CASE_STATISTICS_THROUGH"):
                raise RuntimeError("killed before the commit")

        sa.event.listen(db.engine.sync_engine, "before_cursor_execute", die)
        with pytest.raises(Exception, match="killed"):
            await rollup.roll_up(db, NOW)
        sa.event.remove(db.engine.sync_engine, "before_cursor_execute", die)
        async with db.reader() as uow:
            assert list(await uow.conn.execute(sa.select(tables.case_statistics))) == []
            assert await rollup.through(uow) is None
        assert await _stats(db) == expected
        assert await rollup.roll_up(db, NOW) == 5
        assert await _stats(db) == expected
    finally:
        await db.close()


async def test_statistics_read_only_the_cases_not_rolled_up_by_index(db_url: str) -> None:
    db = Database(db_url)
    try:
        await _world(db)
        async with db.uow() as uow:
            # Years of settled cases, so that the planner sees what the roll-up spares it.
            rec = _record("pad", submitted=True)
            case = dataclasses.replace(
                rec.case, state=CaseState.EVALUATED, submitted_at=NOW - 400 * DAY, updated_at=NOW - 300 * DAY
            )
            row = store._values(dataclasses.replace(rec, case=case, on_time=True))
            await uow.conn.execute(sa.insert(tables.cases), [{**row, "id": f"pad-{n}"} for n in range(3000)])
            await uow.commit()
        await rollup.roll_up(db, NOW)
        if db_url.startswith("postgresql"):
            async with db.engine.connect() as conn:
                auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await auto.exec_driver_sql("VACUUM ANALYZE cases")
        statements: list[str] = []

        def record(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
            if "FROM cases" in statement and "GROUP BY" in statement:
                statements.append(statement)

        sa.event.listen(db.engine.sync_engine, "before_cursor_execute", record)
        async with db.reader() as uow:
            codes = await supervision.subtree(uow, Actor.system("t"), "420500")
            await rollup.counted(uow, codes)
        sa.event.remove(db.engine.sync_engine, "before_cursor_execute", record)
        assert len(statements) == 2, statements  # the moving states; those settled since the cut-off
        c = tables.cases.c
        site = c.site_code.in_(codes)
        async with db.reader() as uow:
            until = await rollup.through(uow)
            assert until is not None
            plans = []
            for where in (
                [site, c.state.in_(rollup.MOVING_VALUES)],
                [site, c.state.in_(rollup.SETTLED_VALUES), c.updated_at >= until],
            ):
                sql = str(
                    rollup._grouped(uow, where).compile(
                        uow.conn.engine, compile_kwargs={"literal_binds": True}
                    )
                )
                if is_postgres(uow.conn):
                    await uow.conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
                    await uow.conn.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
                    plans.append("\n".join(r[0] for r in await uow.conn.exec_driver_sql(f"EXPLAIN {sql}")))
                else:
                    rows = await uow.conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")
                    plans.append("\n".join(str(r[-1]) for r in rows))
            postgres = is_postgres(uow.conn)
    finally:
        await db.close()
    for plan in plans:
        if postgres:
            # Only the index entries of the states asked for: the settled years are not read.
            assert "Index Only Scan using ix_cases_site_statistics" in plan, plan
            assert "state = ANY" in plan.split("Index Cond:")[1].split("\n")[0], plan
        else:
            assert "USING INDEX ix_cases_site_statistics (site_code=? AND state=?" in plan, plan
