"""The staff queue read in its order from ix_cases_queue (bench/growth.py): each role's part of
the queue is one index range read in order, and a page is cut from their merge; the pages still
hold the same cases in the same order, within the caller's site and department only."""

from __future__ import annotations

import dataclasses
import datetime as dt

import sqlalchemy as sa

from govhall.cases import app, handling, store, tables
from govhall.cases.values import Actor
from govhall.cases.vocabulary import CaseState
from govhall.kit.db import Database
from govhall.kit.dialect import is_postgres
from govhall.kit.service import migrate
from govhall.protos.cases.v1 import cases_pb2 as pb
from govhall.protos.common.v1 import common_pb2 as C

from .test_growth_reads import _as, _deps
from .test_migration_0002 import T0, _record

SITE, DEPT, OTHER_DEPT = "420502", "420502-SCJG", "420502-MZJ"
D0 = dt.date(2026, 1, 10)

# (id, site, role, department, due in days or None, submitted days ago)
QUEUE = [
    ("w1", SITE, "window_clerk", DEPT, None, 3),
    ("w2", SITE, "window_clerk", OTHER_DEPT, None, 5),  # the window serves every department
    ("w3", SITE, "window_clerk", DEPT, None, 1),
    ("r1", SITE, "reviewer", DEPT, 4, 9),
    ("r2", SITE, "reviewer", DEPT, 2, 8),
    ("r3", SITE, "reviewer", DEPT, 4, 10),
    ("a1", SITE, "approver", DEPT, 1, 12),
    ("x1", SITE, "reviewer", OTHER_DEPT, 0, 20),  # another department's review
    ("x2", "420503", "window_clerk", DEPT, None, 30),  # another county
    ("x3", SITE, "", DEPT, None, 40),  # concluded: in no queue
]


async def _world(db: Database) -> None:
    await migrate(db, app.SPEC)
    async with db.uow() as uow:
        for case_id, site, role, dept, due, days in QUEUE:
            rec = _record(case_id, submitted=True)
            case = dataclasses.replace(
                rec.case,
                state=CaseState.SUBMITTED if role == "window_clerk" else CaseState.UNDER_REVIEW,
                submitted_at=T0 - dt.timedelta(days=days),
                department_code=dept,
            )
            await store.insert_case(uow, dataclasses.replace(rec, case=case, site_code=site))
            # The queue's own columns as the workflow would have left them.
            await uow.conn.execute(
                sa.update(tables.cases)
                .where(tables.cases.c.id == case_id)
                .values(
                    current_role=role,
                    due_date=None if due is None else D0 + dt.timedelta(days=due),
                    warning_level="red" if case_id == "r2" else "none",
                )
            )
        await uow.commit()


def _staff(roles: list[str], dept: str = DEPT) -> C.CallerIdentity:
    return C.CallerIdentity(
        kind=C.CALLER_KIND_STAFF, subject="s", roles=roles, site_code=SITE, department_code=dept
    )


async def _pages(deps: object, caller: C.CallerIdentity, size: int, **kw: object) -> tuple[list[str], int]:
    ids: list[str] = []
    total = -1
    for number in range(1, 10):
        req = pb.ListQueueRequest(page=C.PageRequest(page=number, page_size=size), **kw)  # type: ignore[arg-type]
        got = await _as(caller, handling.queue(deps, req))  # type: ignore[arg-type]
        total = got.page.total
        if not got.cases:
            break
        ids += [c.id for c in got.cases]
    return ids, total


async def test_the_queues_pages_merge_its_roles_in_due_order(db_url: str) -> None:
    db = Database(db_url)
    try:
        await _world(db)
        deps = _deps(db)
        everything, total = await _pages(deps, _staff(["window_clerk", "reviewer", "approver"]), 2)
        reviews, review_total = await _pages(deps, _staff(["reviewer", "approver"]), 3)
        window, window_total = await _pages(deps, _staff(["window_clerk"]), 1)
        elsewhere, _ = await _pages(deps, _staff(["reviewer"], OTHER_DEPT), 2)
        red, red_total = await _pages(
            deps, _staff(["window_clerk", "reviewer"]), 1, level=pb.WARNING_LEVEL_RED
        )
        named, named_total = await _pages(deps, _staff(["window_clerk", "reviewer"]), 2, query="nobody")
    finally:
        await db.close()
    # The earliest due date first, undated (the window's) last; then the older submission; then id.
    assert everything == ["a1", "r2", "r3", "r1", "w2", "w1", "w3"] and total == 7
    assert reviews == ["a1", "r2", "r3", "r1"] and review_total == 4
    assert window == ["w2", "w1", "w3"] and window_total == 3
    assert elsewhere == ["x1"]
    assert (red, red_total) == (["r2"], 1)
    assert (named, named_total) == ([], 0)


async def test_a_queue_page_reads_its_index_range_in_order(db_url: str) -> None:
    db = Database(db_url)
    try:
        await _world(db)
        if db_url.startswith("postgresql"):
            async with db.engine.connect() as conn:
                auto = await conn.execution_options(isolation_level="AUTOCOMMIT")
                await auto.exec_driver_sql("VACUUM ANALYZE cases")
        clerk = Actor.staff("s", {"window_clerk"}, SITE, DEPT)
        both = Actor.staff("s", {"window_clerk", "reviewer"}, SITE, DEPT)
        async with db.reader() as uow:
            plans = {}
            for name, actor in (("window", clerk), ("both", both)):
                roles = sorted(actor.roles)
                query = handling.queue_page(handling.queue_branches(actor, roles), [], 1, 20)
                plans[name] = await _plan(uow, query)
            tally = (
                sa.select(tables.cases.c.state, tables.cases.c.warning_level, sa.func.count())
                .where(*handling.queue_filter(both, ["reviewer", "window_clerk"]))
                .group_by(tables.cases.c.state, tables.cases.c.warning_level)
            )
            plans["tally"] = await _plan(uow, tally)
            postgres = is_postgres(uow.conn)
    finally:
        await db.close()
    if postgres:
        # One range read in order and stopped: no sort of the site's queued rows.
        assert "Index Scan using ix_cases_queue" in plans["window"] and "Sort" not in plans["window"], plans
        # Each role its own ordered range; at most one sort, of the page's candidates.
        assert plans["both"].count("Index Scan using ix_cases_queue") == 2, plans
        assert plans["both"].count("Sort  (") <= 1, plans
        assert "Index Only Scan using ix_cases_queue" in plans["tally"], plans
    else:
        assert "USING INDEX ix_cases_queue" in plans["window"], plans
        assert "TEMP B-TREE FOR ORDER BY" not in plans["window"], plans
        assert plans["both"].count("USING INDEX ix_cases_queue") == 2, plans


async def _plan(uow: object, query: object) -> str:
    conn = uow.conn  # type: ignore[attr-defined]
    sql = (
        query
        if isinstance(query, str)
        else str(query.compile(conn.engine, compile_kwargs={"literal_binds": True}))
    )  # type: ignore[attr-defined]
    if is_postgres(conn):
        # The plan a large table gets (a handful of rows would be read whole either way).
        await conn.exec_driver_sql("SET LOCAL enable_seqscan = off")
        await conn.exec_driver_sql("SET LOCAL enable_bitmapscan = off")
        return "\n".join(r[0] for r in await conn.exec_driver_sql(f"EXPLAIN {sql}"))
    return "\n".join(str(r[-1]) for r in await conn.exec_driver_sql(f"EXPLAIN QUERY PLAN {sql}"))
