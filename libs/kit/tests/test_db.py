"""The unit of work: readers do not wait for a writer on SQLite, and cannot emit events."""

from __future__ import annotations

import asyncio
import uuid
from pathlib import Path

import pytest
import sqlalchemy as sa

from govhall.kit.db import Database
from govhall.kit.events import Event

_meta = sa.MetaData()
ITEMS = sa.Table("items", _meta, sa.Column("id", sa.Integer, primary_key=True))


async def test_a_reader_does_not_wait_for_an_open_write_transaction(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    async with db.engine.begin() as conn:
        await conn.run_sync(_meta.create_all)
        await conn.execute(sa.insert(ITEMS).values(id=1))
    async with db.uow() as writer:
        await writer.conn.execute(sa.insert(ITEMS).values(id=2))
        async with asyncio.timeout(2), db.reader() as reader:
            seen = (await reader.conn.execute(sa.select(ITEMS.c.id))).scalars().all()
        assert seen == [1], "the reader sees the last committed state"
        await writer.commit()
    async with db.reader() as reader:
        assert (await reader.conn.execute(sa.select(ITEMS.c.id))).scalars().all() == [1, 2]
        with pytest.raises(RuntimeError, match="read-only"):
            reader.emit(Event(subject="catalogue.x.y", payload=b""))
    await db.close()


async def test_writers_queue_instead_of_failing(tmp_path: Path) -> None:
    db = Database(f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite'}")
    async with db.engine.begin() as conn:
        await conn.run_sync(_meta.create_all)

    async def write(i: int) -> None:
        async with db.uow() as uow:
            count = await uow.conn.scalar(sa.select(sa.func.count()).select_from(ITEMS))
            await asyncio.sleep(0.01)  # read-modify-write: a deferred BEGIN would deadlock here
            await uow.conn.execute(sa.insert(ITEMS).values(id=int(count or 0) + 1))
            await uow.commit()

    await asyncio.gather(*(write(i) for i in range(10)))
    async with db.reader() as reader:
        assert (await reader.conn.execute(sa.select(ITEMS.c.id))).scalars().all() == list(range(1, 11))
    await db.close()


async def _burst(db: Database, n: int) -> set[int]:
    """n units of work at once, each holding its connection until all have one; their backends."""
    everyone = asyncio.Barrier(n)

    async def one() -> int:
        async with db.reader() as uow:
            pid = (await uow.conn.execute(sa.text("SELECT pg_backend_pid()"))).scalar_one()
            await asyncio.wait_for(everyone.wait(), timeout=30)
            return int(pid)

    return set(await asyncio.gather(*(one() for _ in range(n))))


@pytest.mark.parametrize(("pool_size", "kept"), [(10, 10), (12, 12)])
async def test_a_burst_within_the_pool_reuses_its_connections(
    cluster: dict[str, str], pool_size: int, kept: int
) -> None:
    """Issue 20: a connection beyond the pool is opened for one use and closed (a backend forked
    each time); the service's database_pool_size keeps a steady load of that size connected."""
    from govhall.kit.testing import create_database, drop_database

    name = f"test_pool_{uuid.uuid4().hex[:12]}"
    url = await create_database(cluster, name, "govhall_test")
    db = Database(url, pool_size=pool_size)
    try:
        first = await _burst(db, 12)
        second = await _burst(db, 12)
        assert len(first) == len(second) == 12
        assert len(first & second) == kept  # the ones past the pool were closed and opened anew
    finally:
        await db.close()
        await drop_database(cluster, name)
