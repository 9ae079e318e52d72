"""A complete submission (CreateDraft, two UploadMaterial, SubmitCase, the relay publishing its
event) in a bounded number of database round trips (issue 20: the submission profile was
statements and round trips through SQLAlchemy, each one CPU in cases on a two-core machine)."""

from __future__ import annotations

from collections import Counter
from typing import Any

import sqlalchemy as sa

from govhall.kit.db import Database
from govhall.kit.eventstore import OUTBOX
from govhall.kit.testing import wait_until
from govhall.protos.cases.v1 import cases_pb2 as pb

from .conftest import World, person


def _round_trips(db: Any) -> Counter[str]:
    """What the engine sends from now on: statements by their first word, transactions' ends,
    and the pool's pings on checkout."""
    seen: Counter[str] = Counter()
    engine = db.engine.sync_engine

    def statement(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        seen[sql.lstrip().split(None, 1)[0].upper()] += 1

    for name in ("begin", "commit", "rollback"):
        sa.event.listen(engine, name, lambda *_, name=name: seen.update([name.upper()]))
    sa.event.listen(engine, "before_cursor_execute", statement)
    ping = engine.dialect.do_ping

    def counted_ping(conn: Any) -> bool:
        seen["PING"] += 1
        return bool(ping(conn))

    engine.dialect.do_ping = counted_ping  # type: ignore[method-assign]
    return seen


async def _relayed(db: Any) -> None:
    """Wait for the relay to have marked every event published, looking on an engine of its own
    (the counted one sees only the service's round trips)."""
    looking = Database(db.url)

    async def nothing_pending() -> bool:
        async with looking.reader() as uow:
            pending = sa.select(sa.func.count()).select_from(OUTBOX).where(OUTBOX.c.published_at.is_(None))
            return await uow.conn.scalar(pending) == 0

    try:
        await wait_until(nothing_pending, what="the outbox relayed")
    finally:
        await looking.close()


async def test_a_submission_takes_a_bounded_number_of_round_trips(world: World) -> None:
    citizen = person()
    await world.submitted(citizen)  # the matter cache and the day's number counter are warm
    await _relayed(world.db)
    seen = _round_trips(world.db)
    case = await world.submitted(citizen)
    await _relayed(world.db)
    assert case.application_number and case.query_password
    # Before issue 20's second round, on PostgreSQL: 36 statements, 11 transactions, 10 pings
    # (asyncpg's pre-ping: three round trips each).
    statements = seen["SELECT"] + seen["INSERT"] + seen["UPDATE"] + seen["DELETE"]
    assert statements <= 26, seen
    assert seen["COMMIT"] + seen["ROLLBACK"] <= 10, seen
    assert seen["PING"] == 0, seen
    # The replies built from what the transactions read and wrote are the case as GetCase reads it.
    read = await world.call("GetCase", pb.GetCaseRequest(case_id=case.id), citizen)
    case.query_password = ""
    assert case == read
    assert len(read.flow) == 1 and [len(m.files) for m in read.materials if m.files] == [1, 1]
