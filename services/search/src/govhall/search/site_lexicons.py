"""Each site's effective lexicon (built-in words + its administrators' entries), cached per replica.

An administrator's change must reach the next query on every replica without a restart. The
replica that wrote it drops its copy at once (`invalidate`); every other replica compares the
site's newest audit id (lexicon_changes is append-only, so that id moves on every change,
deletions included) at most every `refresh_seconds` and reloads when it moved. A query thus costs
one indexed MAX lookup every few seconds per site, and nothing in between.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from govhall.kit.db import Database
from govhall.search import store
from govhall.search.lexicon import Lexicon, LexiconEntry, builtin, with_site_entries

log = logging.getLogger(__name__)

DEFAULT_REFRESH_SECONDS = 3.0


@dataclass
class _Cached:
    lexicon: Lexicon
    version: int  # the site's newest lexicon_changes id when loaded (0: never changed)
    checked: float  # clock reading of the last version check


class SiteLexicons:
    def __init__(
        self,
        db: Database,
        *,
        refresh_seconds: float = DEFAULT_REFRESH_SECONDS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._db = db
        self._refresh = refresh_seconds
        self._clock = clock
        self._base: Lexicon | None = None
        self._sites: dict[str, _Cached] = {}
        # Bumped by invalidate: a load that began before a change committed must not cache
        # what it read over the change (the next query here would miss the admin's word).
        self._generation = 0

    def base(self) -> Lexicon:
        if self._base is None:
            self._base = builtin()
        return self._base

    def invalidate(self, site_code: str) -> None:
        self._generation += 1
        self._sites.pop(site_code, None)

    async def for_site(self, site_code: str) -> Lexicon:
        now = self._clock()
        cached = self._sites.get(site_code)
        if cached is not None and now - cached.checked < self._refresh:
            return cached.lexicon
        generation = self._generation
        try:
            async with self._db.reader() as uow:
                version = await site_version(uow.conn, site_code)
                if cached is not None and cached.version == version:
                    cached.checked = now
                    return cached.lexicon
                entries = await site_entries(uow.conn, site_code) if version else []
        except Exception:
            # Searching matters more than a site's own words: keep what we had (or the built-in
            # list) and try again on the next query.
            log.warning("could not load the lexicon of site %s", site_code, exc_info=True)
            return cached.lexicon if cached is not None else self.base()
        lexicon = with_site_entries(self.base(), entries) if entries else self.base()
        if generation == self._generation:
            self._sites[site_code] = _Cached(lexicon, version, now)
        return lexicon


async def site_version(conn: AsyncConnection, site_code: str) -> int:
    changes = store.lexicon_changes
    query = sa.select(sa.func.max(changes.c.id)).where(changes.c.site_code == site_code)
    return int((await conn.execute(query)).scalar() or 0)


async def site_entries(conn: AsyncConnection, site_code: str) -> list[LexiconEntry]:
    entries = store.lexicon_entries
    rows = await conn.execute(sa.select(entries).where(entries.c.site_code == site_code))
    return [LexiconEntry(r.kind, r.word, tuple(json.loads(r.terms)), bool(r.removed)) for r in rows]
