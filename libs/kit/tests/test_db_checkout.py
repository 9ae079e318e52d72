"""The pool's check on checkout (issue 20): a pooled PostgreSQL connection the server closed is
replaced before a request sees it, and one in steady use is handed out without a ping's round
trips (asyncpg's pre-ping was three on every checkout)."""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from govhall.kit import db as kitdb
from govhall.kit.testing import wait_until


async def _backend(db: Any) -> int:
    async with db.reader() as uow:
        return int(await uow.conn.scalar(sa.select(sa.func.pg_backend_pid())))


async def test_a_connection_the_server_closed_is_replaced_on_checkout(pg_database: Any) -> None:
    db = pg_database
    async with db.reader() as uow:
        pid = int(await uow.conn.scalar(sa.select(sa.func.pg_backend_pid())))
        driver = (await uow.conn.get_raw_connection()).driver_connection
    assert await _backend(db) == pid, "one request at a time reuses the pooled connection"
    killer = create_async_engine(db.url, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
    try:
        async with killer.connect() as other:
            assert await other.scalar(sa.select(sa.func.pg_terminate_backend(pid)))
    finally:
        await killer.dispose()
    # The pooled connection reads the server's goodbye on its own (no request needed).
    await wait_until(driver.is_closed, what="the terminated backend's connection closed")
    assert await _backend(db) not in (pid, 0)


async def test_a_busy_connection_is_not_pinged_and_an_idle_one_is(
    pg_database: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    db = pg_database
    pings: list[int] = []

    async with db.engine.connect() as conn:
        raw = await conn.get_raw_connection()
        cls = type(raw.dbapi_connection)
    ping = cls.ping

    def counted(self: Any) -> Any:
        pings.append(1)
        return ping(self)

    monkeypatch.setattr(cls, "ping", counted)
    for _ in range(3):
        await _backend(db)
    assert pings == []
    monkeypatch.setattr(kitdb, "IDLE_PING_SECONDS", 0.0)
    await _backend(db)
    assert pings == [1]


async def test_a_reader_without_a_transaction_runs_each_statement_alone(pg_database: Any) -> None:
    db = pg_database
    xact = sa.select(sa.func.pg_current_xact_id())
    async with db.reader() as uow:
        assert await uow.conn.scalar(xact) == await uow.conn.scalar(xact), "one transaction"
    async with db.reader(transaction=False) as uow:
        first, second = await uow.conn.scalar(xact), await uow.conn.scalar(xact)
        assert first != second, "each statement its own (no BEGIN and ROLLBACK round trips)"
    async with db.reader() as uow:  # the pooled connection is back to transactions
        assert await uow.conn.scalar(xact) == await uow.conn.scalar(xact)
