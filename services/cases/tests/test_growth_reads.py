"""The read paths at a province's size (bench/growth.py measures them): statistics read a site's
own entries through an index, not the whole cases table, and still count what they counted."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any, cast

import sqlalchemy as sa

from govhall.cases import app, store, supervision, tables
from govhall.cases.values import Actor
from govhall.cases.vocabulary import CaseState
from govhall.cases.workflow import Deps
from govhall.kit.caller import reset_caller, set_caller
from govhall.kit.db import Database
from govhall.kit.dialect import is_postgres
from govhall.kit.service import migrate
from govhall.kit.workdays import default_calendar
from govhall.protos.cases.v1 import cases_pb2 as pb
from govhall.protos.common.v1 import common_pb2 as C

from .test_migration_0002 import T0, _record

SITES = [
    ("420000", 1, "420000"),
    ("420500", 2, "420000,420500"),
    ("420502", 3, "420000,420500,420502"),
    ("420503", 3, "420000,420500,420503"),
    ("420600", 2, "420000,420600"),
    ("420602", 3, "420000,420600,420602"),
]


async def _world(db: Database) -> None:
    await migrate(db, app.SPEC)
    async with db.uow() as uow:
        for code, level, path in SITES:
            await uow.conn.execute(
                sa.insert(tables.sites.t).values(code=code, name=code, level=level, path=path)
            )
        # (id, site, state, on time, matter type, submitted)
        for case_id, site, state, on_time, matter_type, days in (
            ("a", "420502", CaseState.SUBMITTED, None, 1, 0),
            ("b", "420502", CaseState.CONCLUDED_APPROVED, True, 1, 40),
            ("c", "420503", CaseState.CONCLUDED_DENIED, False, 2, 40),
            ("d", "420503", CaseState.DRAFT, None, 1, None),
            ("e", "420602", CaseState.SUBMITTED, None, 1, 0),
        ):
            rec = _record(case_id, submitted=days is not None)
            submitted = None if days is None else T0 - dt.timedelta(days=days)
            case = dataclasses.replace(rec.case, state=state, submitted_at=submitted)
            rec = dataclasses.replace(
                rec, case=case, site_code=site, on_time=on_time, matter_type=matter_type
            )
            await store.insert_case(uow, rec)
        await uow.commit()


async def test_statistics_of_a_city_count_its_counties_in_one_pass(db_url: str) -> None:
    db = Database(db_url)
    try:
        await _world(db)
        deps = Deps(
            db=db,
            settings=cast(Any, None),
            files=cast(Any, None),
            catalogue=cast(Any, None),
            identity=cast(Any, None),
            calendar=default_calendar(),
            cipher=cast(Any, None),
        )
        token = set_caller(C.CallerIdentity(kind=C.CALLER_KIND_SERVICE, subject="cases"))
        try:
            stats = await supervision.statistics(deps, pb.GetStatisticsRequest(site_code="420500"))
        finally:
            reset_caller(token)
    finally:
        await db.close()
    # The city's two counties' submitted cases (not the draft, not the other city's).
    assert stats.total == 3
    assert {r.key: r.count for r in stats.by_state} == {
        "submitted": 1,
        "concluded_approved": 1,
        "concluded_denied": 1,
    }
    assert {r.key: r.count for r in stats.by_matter_type} == {"licensing": 2, "benefit": 1}
    assert sum(r.count for r in stats.by_month) == 3 and len(stats.by_month) == 2
    assert (stats.concluded, stats.on_time, stats.on_time_rate) == (2, 1, 0.5)


async def test_statistics_search_the_sites_entries_by_index(db_url: str) -> None:
    db = Database(db_url)
    try:
        await _world(db)
        if db.engine.dialect.name == "postgresql":
            # What autovacuum does to a table that grew: the planner's figures, the visibility map.
            async with db.engine.connect() as conn:
                auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await auto.exec_driver_sql("VACUUM ANALYZE cases")
        async with db.reader() as uow:
            c = tables.cases.c
            where = [
                await supervision.site_and_below(uow, Actor.system("t"), "420500"),
                c.submitted_at.is_not(None),
            ]
            query = supervision.statistics_query(uow, where)
            sql = str(query.compile(uow.conn.engine, compile_kwargs={"literal_binds": True}))
            if is_postgres(uow.conn):
                # The plan a large table gets (a handful of rows would be read whole either way).
                await uow.conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
                await uow.conn.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
                plan = "\n".join(r[0] for r in await uow.conn.exec_driver_sql(f"EXPLAIN {sql}"))
                assert "Index Only Scan using ix_cases_site_statistics" in plan, plan
                assert "Index Cond: ((site_code = ANY" in plan, plan
            else:
                plan = "\n".join(
                    str(r[-1]) for r in await uow.conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")
                )
                assert "SEARCH cases USING" in plan and "SCAN cases" not in plan, plan
    finally:
        await db.close()
