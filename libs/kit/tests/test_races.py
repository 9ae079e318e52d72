"""kit.races.concurrently catches a read-then-write race on PostgreSQL that SQLite hides.

A capacity check (count the bookings, insert one if below capacity) without a row lock
oversubscribes when ten bookings arrive at once on PostgreSQL; the same check holding the
slot's row lock (dialect.locked), or the single-statement upsert, keeps the invariant.
"""

from __future__ import annotations

from typing import Any

import pytest
import sqlalchemy as sa

from govhall.kit.db import Database
from govhall.kit.dialect import locked, upsert
from govhall.kit.races import concurrently, outcomes
from govhall.kit.testing import database_with_kit_tables

_meta = sa.MetaData()
SLOTS = sa.Table(
    "slots",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("capacity", sa.Integer, nullable=False),
    sa.Column("counter", sa.Integer, nullable=False, server_default="0"),
)
BOOKINGS = sa.Table(
    "bookings",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=True),
    sa.Column("slot_id", sa.Integer, nullable=False),
)
CAPACITY = 3
RACERS = 10


class Full(Exception):
    pass


async def _slot(db: Database) -> None:
    async with db.engine.begin() as conn:
        await conn.run_sync(_meta.create_all)
        await conn.execute(sa.insert(SLOTS).values(id=1, capacity=CAPACITY))


def _book(db: Database, *, lock: bool) -> Any:
    async def book(_: int) -> int:
        async with db.uow() as uow:
            slot = sa.select(SLOTS).where(SLOTS.c.id == 1)
            capacity = (await uow.conn.execute(locked(uow, slot) if lock else slot)).one().capacity
            taken = await uow.conn.scalar(
                sa.select(sa.func.count()).select_from(BOOKINGS).where(BOOKINGS.c.slot_id == 1)
            )
            if int(taken or 0) >= capacity:
                raise Full
            result = await uow.conn.execute(sa.insert(BOOKINGS).values(slot_id=1))
            await uow.commit()
            return int(result.inserted_primary_key[0])

    return book


async def _booked(db: Database) -> int:
    async with db.reader() as uow:
        return int(await uow.conn.scalar(sa.select(sa.func.count()).select_from(BOOKINGS)) or 0)


async def test_a_capacity_check_without_a_row_lock_oversubscribes_on_postgresql(
    pg_database: Database,
) -> None:
    await _slot(pg_database)
    done, refused = outcomes(await concurrently(RACERS, _book(pg_database, lock=False)))
    assert all(isinstance(e, Full) for e in refused)
    # The race the quick SQLite run cannot show: several read "2 taken" and all booked.
    assert await _booked(pg_database) == len(done) > CAPACITY


async def test_the_locked_capacity_check_holds_under_concurrency(db_url: str) -> None:
    db = await database_with_kit_tables(db_url)
    try:
        await _slot(db)
        done, refused = outcomes(await concurrently(RACERS, _book(db, lock=True)))
        assert len(done) == CAPACITY == await _booked(db)
        assert len(refused) == RACERS - CAPACITY and all(isinstance(e, Full) for e in refused)
    finally:
        await db.close()


async def test_a_read_then_write_counter_loses_updates_and_the_upsert_does_not(pg_database: Database) -> None:
    await _slot(pg_database)

    async def naive(_: int) -> None:
        async with pg_database.uow() as uow:
            n = await uow.conn.scalar(sa.select(SLOTS.c.counter).where(SLOTS.c.id == 1))
            await uow.conn.execute(sa.update(SLOTS).where(SLOTS.c.id == 1).values(counter=int(n or 0) + 1))
            await uow.commit()

    async def counted(_: int) -> None:
        async with pg_database.uow() as uow:
            await uow.conn.execute(
                upsert(
                    uow,
                    SLOTS,
                    {"id": 2, "capacity": 0, "counter": 1},
                    key=["id"],
                    update={"counter": SLOTS.c.counter + 1},
                )
            )
            await uow.commit()

    assert outcomes(await concurrently(RACERS, naive))[1] == []
    assert outcomes(await concurrently(RACERS, counted))[1] == []
    async with pg_database.reader() as uow:
        counters = dict((await uow.conn.execute(sa.select(SLOTS.c.id, SLOTS.c.counter))).tuples().all())
    assert counters[1] < RACERS, "the naive counter lost updates"
    assert counters[2] == RACERS


async def test_a_race_needs_two() -> None:
    async def nothing(_: int) -> None:
        return None

    with pytest.raises(ValueError, match="at least two"):
        await concurrently(1, nothing)
