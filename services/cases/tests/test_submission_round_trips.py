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

from .conftest import World, pdf_bytes, person, png_bytes


def _round_trips(db: Any) -> Counter[str]:
    """What the engine sends from now on: statements by their first word, transactions' ends,
    and the pool's pings on checkout."""
    seen: Counter[str] = Counter()
    engine = db.engine.sync_engine

    def statement(_conn: Any, _cursor: Any, sql: str, *_: Any) -> None:
        seen[sql.lstrip().split(None, 1)[0].upper()] += 1

    def ended(name: str) -> Any:
        def count(conn: Any, *_: Any) -> None:
            # A PostgreSQL reader without a transaction sends no BEGIN and no ROLLBACK.
            if conn.get_execution_options().get("isolation_level") != "AUTOCOMMIT":
                seen[name] += 1

        return count

    for name in ("begin", "commit", "rollback"):
        sa.event.listen(engine, name, ended(name.upper()))
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


async def _submission(world: World, who: Any, n: int) -> pb.Case:
    """A submission as the benchmark makes it: idempotency keys on the draft and the submit."""
    case = await world.draft(who, idempotency_key=f"draft-{n}")
    for code, name, content in (("M01", "申请书.pdf", pdf_bytes()), ("M02", "平面图.png", png_bytes())):
        request = pb.UploadMaterialRequest(
            case_id=case.id, material_code=code, file_name=name, content=content
        )
        await world.call("UploadMaterial", request, who)
    submit = pb.SubmitCaseRequest(case_id=case.id, notice_read=True, idempotency_key=f"submit-{n}")
    submitted: pb.Case = await world.call("SubmitCase", submit, who)
    return submitted


async def test_a_submission_takes_a_bounded_number_of_round_trips(world: World) -> None:
    citizen = person()
    await _submission(world, citizen, 1)  # the matter cache and the day's number counter are warm
    await _relayed(world.db)
    seen = _round_trips(world.db)
    case = await _submission(world, citizen, 2)
    await _relayed(world.db)
    assert case.application_number and case.query_password
    # Before issue 20's second round, on PostgreSQL: 38 statements, 24 BEGINs, COMMITs and
    # ROLLBACKs, and 11 pings (asyncpg's pre-ping: three round trips each), 95 round trips in
    # all; then 28 statements and 10 (readers of one or two statements take no transaction); now
    # 24 and 8 (an upload's pre-check reads no files, its file row and revision are one statement,
    # the relay marks on its lease's autocommit connection).
    statements = seen["SELECT"] + seen["INSERT"] + seen["UPDATE"] + seen["DELETE"]
    assert statements <= 24, seen
    assert seen["PING"] == 0, seen
    if world.db.engine.dialect.name == "postgresql":  # SQLite's are in-process calls
        # The relay reads and marks on its lease's autocommit connection: no BEGIN/COMMIT of its own.
        assert seen["BEGIN"] + seen["COMMIT"] + seen["ROLLBACK"] <= 8, seen
    # The replies built from what the transactions read and wrote are the case as GetCase reads it.
    read = await world.call("GetCase", pb.GetCaseRequest(case_id=case.id), citizen)
    case.query_password = ""
    assert case == read
    assert len(read.flow) == 1 and [len(m.files) for m in read.materials if m.files] == [1, 1]
