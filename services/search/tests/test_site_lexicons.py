"""SiteLexicons' cache on its own (no database): how often it looks, and that a load racing a
change on this replica never caches what it read before the change."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from types import SimpleNamespace
from typing import Any

import pytest

from govhall.search import site_lexicons
from govhall.search.lexicon import LexiconEntry
from govhall.search.site_lexicons import SiteLexicons


class FakeDb:
    """Stands for the site's rows: a version (the newest audit id) and the entries."""

    def __init__(self) -> None:
        self.version = 0
        self.entries: list[LexiconEntry] = []
        self.reads = 0
        self.hold: asyncio.Event | None = None  # set: a load waits on it after reading the entries
        self.holding = asyncio.Event()

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[Any]:
        yield SimpleNamespace(conn=self)


@pytest.fixture
def db(monkeypatch: pytest.MonkeyPatch) -> FakeDb:
    fake = FakeDb()

    async def version(conn: FakeDb, site: str) -> int:
        conn.reads += 1
        return conn.version

    async def entries(conn: FakeDb, site: str) -> list[LexiconEntry]:
        read = list(conn.entries)
        if conn.hold is not None:
            conn.holding.set()
            await conn.hold.wait()
        return read

    monkeypatch.setattr(site_lexicons, "site_version", version)
    monkeypatch.setattr(site_lexicons, "site_entries", entries)
    return fake


async def test_the_version_is_checked_at_most_every_refresh_interval(db: FakeDb) -> None:
    now = [0.0]
    lexicons = SiteLexicons(db, refresh_seconds=3.0, clock=lambda: now[0])  # type: ignore[arg-type]
    assert (await lexicons.for_site("420502")).version == lexicons.base().version
    for _ in range(5):
        await lexicons.for_site("420502")
    assert db.reads == 1
    db.version, db.entries = 7, [LexiconEntry("synonym", "小孩上学", ("入学",))]
    now[0] = 3.0
    assert (await lexicons.for_site("420502")).synonyms["小孩上学"] == ("入学",)
    assert db.reads == 2


async def test_a_load_that_began_before_a_change_does_not_hide_it(db: FakeDb) -> None:
    lexicons = SiteLexicons(db, refresh_seconds=60.0)  # type: ignore[arg-type]
    db.version, db.hold = 1, asyncio.Event()
    loading = asyncio.create_task(lexicons.for_site("420502"))
    await asyncio.wait_for(db.holding.wait(), 5)
    # The change commits and this replica invalidates while the load still holds the old rows.
    db.version, db.entries = 2, [LexiconEntry("synonym", "小孩上学", ("入学",))]
    lexicons.invalidate("420502")
    db.hold.set()
    assert "小孩上学" not in (await loading).synonyms  # what it read, for the query already running
    db.hold = None
    assert (await lexicons.for_site("420502")).synonyms["小孩上学"] == ("入学",)
