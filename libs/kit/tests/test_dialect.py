"""kit.dialect: the same upsert, row lock and month bucket on PostgreSQL and SQLite."""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa

from govhall.kit.dialect import is_postgres, is_sqlite, locked, month_bucket, upsert
from govhall.kit.testing import database_with_kit_tables

_meta = sa.MetaData()
ITEMS = sa.Table(
    "items",
    _meta,
    sa.Column("code", sa.String(10), primary_key=True),
    sa.Column("name", sa.String(50), nullable=False),
    sa.Column("hits", sa.Integer, nullable=False),
)
STAMPS = sa.Table(
    "stamps",
    _meta,
    sa.Column("id", sa.Integer, primary_key=True),
    sa.Column("at", sa.DateTime(timezone=True), nullable=False),
)


async def test_the_dialect_is_named_from_an_engine_a_connection_or_a_unit_of_work(db_url: str) -> None:
    db = await database_with_kit_tables(db_url)
    try:
        postgres = db_url.startswith("postgresql")
        async with db.reader() as uow:
            for bind in (db.engine, uow.conn, uow):
                assert (is_postgres(bind), is_sqlite(bind)) == (postgres, not postgres)
    finally:
        await db.close()


async def test_upsert_inserts_then_updates(db_url: str) -> None:
    db = await database_with_kit_tables(db_url, ITEMS)
    try:
        row = {"code": "a", "name": "first", "hits": 1}
        async with db.uow() as uow:
            # Default: every non-key column from the new values; then a counter on the old row.
            await uow.conn.execute(upsert(uow, ITEMS, row, key=["code"]))
            await uow.conn.execute(upsert(uow, ITEMS, {**row, "name": "renamed", "hits": 5}, key=["code"]))
            counter = upsert(uow, ITEMS, row, key=["code"], update={"hits": ITEMS.c.hits + 1})
            await uow.conn.execute(counter)
            await uow.conn.execute(
                upsert(
                    uow, ITEMS, {**row, "name": "newer"}, key=["code"], update=lambda new: {"name": new.name}
                )
            )
            # Nothing to update: the existing row stays (ON CONFLICT DO NOTHING).
            await uow.conn.execute(upsert(uow, ITEMS, {**row, "name": "ignored"}, key=["code"], update={}))
            await uow.commit()
        async with db.reader() as uow:
            rows = (await uow.conn.execute(sa.select(ITEMS).order_by(ITEMS.c.code))).tuples().all()
        assert rows == [("a", "newer", 6)]
    finally:
        await db.close()


async def test_month_bucket_groups_by_china_time(db_url: str) -> None:
    db = await database_with_kit_tables(db_url, STAMPS)
    try:
        moments = [
            datetime(2026, 1, 31, 15, 59, tzinfo=UTC),  # 23:59 on 31 January in Beijing
            datetime(2026, 1, 31, 16, 0, tzinfo=UTC),  # already 1 February there
            datetime(2026, 2, 28, 16, 30, tzinfo=UTC),  # 1 March there
            datetime(2025, 12, 31, 16, 0, tzinfo=UTC),  # New Year's Day 2026 there
        ]
        async with db.uow() as uow:
            await uow.conn.execute(sa.insert(STAMPS), [{"id": i, "at": at} for i, at in enumerate(moments)])
            await uow.commit()
        async with db.reader() as uow:
            bucket = month_bucket(uow, STAMPS.c.at)
            got = (await uow.conn.execute(sa.select(bucket).order_by(STAMPS.c.id))).scalars().all()
            grouped = dict(
                (await uow.conn.execute(sa.select(bucket, sa.func.count()).group_by(bucket))).tuples().all()
            )
        assert got == ["2026-01", "2026-02", "2026-03", "2026-01"]
        assert grouped == {"2026-01": 2, "2026-02": 1, "2026-03": 1}
    finally:
        await db.close()


async def test_a_row_lock_is_asked_for_only_where_it_means_something(db_url: str) -> None:
    db = await database_with_kit_tables(db_url, ITEMS)
    try:
        async with db.reader() as uow:
            sql = str(locked(uow, sa.select(ITEMS)).compile(dialect=uow.conn.dialect))
            joined = locked(uow, sa.select(ITEMS, STAMPS).join(STAMPS, sa.true()), of=ITEMS)
            joined_sql = str(joined.compile(dialect=uow.conn.dialect))
        if db_url.startswith("postgresql"):
            assert sql.endswith("FOR UPDATE") and joined_sql.endswith("FOR UPDATE OF items")
        else:
            assert "FOR UPDATE" not in sql + joined_sql
    finally:
        await db.close()
