"""The read paths at a province's size (bench/growth.py measures them): statistics read a site's
own entries through an index, not the whole cases table; lists take their totals from the tallies
they show anyway instead of counting their rows once more; and all still count what they counted."""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from typing import Any, cast

import sqlalchemy as sa

from govhall.cases import app, applying, handling, store, supervision, tables
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


async def migrated_with_sites(db: Database) -> None:
    """Cases' tables, and SITES in its copy of the site tree."""
    await migrate(db, app.SPEC)
    async with db.uow() as uow:
        for code, level, path in SITES:
            await uow.conn.execute(
                sa.insert(tables.sites.t).values(code=code, name=code, level=level, path=path)
            )
        await uow.commit()


async def _world(db: Database) -> None:
    await migrated_with_sites(db)
    async with db.uow() as uow:
        # (id, site, state, on time, matter type, submitted)
        for case_id, site, state, on_time, matter_type, days in (
            ("a", "420502", CaseState.SUBMITTED, None, 1, 0),
            ("b", "420502", CaseState.CONCLUDED_APPROVED, True, 1, 40),
            ("c", "420503", CaseState.CONCLUDED_DENIED, False, 2, 40),
            ("d", "420503", CaseState.DRAFT, None, 1, None),
            ("e", "420602", CaseState.SUBMITTED, None, 1, 0),
            ("f", "420502", CaseState.SUBMITTED, None, 1, 3),
            ("g", "420502", CaseState.SUBMITTED, None, 1, 5),
        ):
            rec = _record(case_id, submitted=days is not None)
            submitted = None if days is None else T0 - dt.timedelta(days=days)
            case = dataclasses.replace(rec.case, state=state, submitted_at=submitted)
            level = {"f": "yellow", "g": "red"}.get(case_id, "none")
            rec = dataclasses.replace(
                rec, case=case, site_code=site, on_time=on_time, matter_type=matter_type, warning_level=level
            )
            await store.insert_case(uow, rec)
        await uow.commit()


def _deps(db: Database) -> Deps:
    # Only what the read paths use: the database and the working calendar.
    return Deps(
        db=db,
        settings=cast(Any, None),
        files=cast(Any, None),
        catalogue=cast(Any, None),
        identity=cast(Any, None),
        calendar=default_calendar(),
        cipher=cast(Any, None),
    )


async def _as(caller: C.CallerIdentity, call: Any) -> Any:
    token = set_caller(caller)
    try:
        return await call
    finally:
        reset_caller(token)


def _statements(db: Database) -> list[str]:
    """The SQL statements the engine runs from now on."""
    seen: list[str] = []

    def record(_conn: Any, _cursor: Any, statement: str, *_: Any) -> None:
        seen.append(statement)

    sa.event.listen(db.engine.sync_engine, "before_cursor_execute", record)
    return seen


PERSON = C.CallerIdentity(kind=C.CALLER_KIND_PERSON, subject="person-1", real_name_level=2)
CLERK = C.CallerIdentity(
    kind=C.CALLER_KIND_STAFF,
    subject="clerk",
    roles=["window_clerk"],
    site_code="420502",
    department_code="420502-SCJG",
)


async def test_my_cases_take_the_total_from_the_tabs_tally(db_url: str) -> None:
    db = Database(db_url)
    try:
        await _world(db)
        deps = _deps(db)
        statements = _statements(db)
        everything = await _as(PERSON, applying.list_mine(deps, pb.ListMyCasesRequest()))
        assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 2, statements
        drafts = await _as(
            PERSON, applying.list_mine(deps, pb.ListMyCasesRequest(tab=pb.APPLICANT_TAB_DRAFT))
        )
        done = await _as(
            PERSON, applying.list_mine(deps, pb.ListMyCasesRequest(tab=pb.APPLICANT_TAB_TO_EVALUATE))
        )
    finally:
        await db.close()
    assert (everything.page.total, len(everything.cases)) == (7, 7)
    assert (drafts.page.total, [c.id for c in drafts.cases]) == (1, ["d"])
    assert done.page.total == 2 and {c.id for c in done.cases} == {"b", "c"}
    tabs = {t.tab: t.count for t in everything.tabs}
    assert tabs[pb.APPLICANT_TAB_DRAFT] == 1 and sum(tabs.values()) == 7


async def test_the_queue_counts_by_state_and_level_in_one_pass(db_url: str) -> None:
    db = Database(db_url)
    try:
        await _world(db)
        deps = _deps(db)
        statements = _statements(db)
        queue = await _as(CLERK, handling.queue(deps, pb.ListQueueRequest()))
        assert len([s for s in statements if s.lstrip().upper().startswith("SELECT")]) == 2, statements
        yellow = await _as(CLERK, handling.queue(deps, pb.ListQueueRequest(level=pb.WARNING_LEVEL_YELLOW)))
        named = await _as(CLERK, handling.queue(deps, pb.ListQueueRequest(query="SB-none")))
    finally:
        await db.close()
    # The county's three submitted cases (not the other city's), the most urgent first.
    assert queue.page.total == 3 and {c.id for c in queue.cases} == {"a", "f", "g"}
    assert {(q.key, q.count) for q in queue.counts} == {("submitted", 3), ("yellow", 1), ("red", 1)}
    assert (yellow.page.total, [c.id for c in yellow.cases]) == (1, ["f"])
    assert (named.page.total, list(named.cases)) == (0, [])


async def test_statistics_of_a_city_count_its_counties_in_one_pass(db_url: str) -> None:
    db = Database(db_url)
    try:
        await _world(db)
        caller = C.CallerIdentity(kind=C.CALLER_KIND_SERVICE, subject="cases")
        stats = await _as(
            caller, supervision.statistics(_deps(db), pb.GetStatisticsRequest(site_code="420500"))
        )
    finally:
        await db.close()
    # The city's two counties' submitted cases (not the draft, not the other city's).
    assert stats.total == 5
    assert {r.key: r.count for r in stats.by_state} == {
        "submitted": 3,
        "concluded_approved": 1,
        "concluded_denied": 1,
    }
    assert {r.key: r.count for r in stats.by_matter_type} == {"licensing": 4, "benefit": 1}
    assert sum(r.count for r in stats.by_month) == 5
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
                # The site is the index condition (alone since 0007 keyed the index by site,
                # state and update time; the submission time is carried, a filter in the index).
                assert re.search(r"Index Cond: \(+site_code = ANY", plan), plan
            else:
                plan = "\n".join(
                    str(r[-1]) for r in await uow.conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}")
                )
                assert "SEARCH cases USING" in plan and "SCAN cases" not in plan, plan
    finally:
        await db.close()
