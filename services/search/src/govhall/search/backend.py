"""The search back end: Elasticsearch in the cluster, SQLite FTS5 (trigram) embedded.

Both keep one document per (kind, id), replaced only by a newer revision, so events that
arrive twice or out of order cannot bring back an old version. A withdrawn matter or article
stays as a document marked unpublished (a tombstone that carries its revision) and is never
returned. Both answer the same Query with the same Result: filters, scope, facets and
highlighting behave alike (tests run every case on both).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Protocol

from govhall.search.model import Query, Result, SearchDoc, Suggestion


class Rebuild(Protocol):
    """A full rebuild in progress: a new generation of the index that queries do not see yet.

    While it is open, `SearchBackend.put` writes live changes to both the current generation and
    this one, so nothing that happens during the rebuild is lost.
    """

    name: str  # the new index (or generation) name
    # put_many calls a full reindex keeps under way at once (building the next batch meanwhile).
    writes_in_flight: int

    async def put_many(self, docs: Iterable[SearchDoc]) -> int:
        """Store docs in the new generation (a newer revision already there wins); how many were stored."""

    async def commit(self) -> str:
        """Make the new generation the one queries see (atomically) and drop the old one; its name."""

    async def abort(self) -> None:
        """Drop the new generation; queries never saw it."""


class SearchBackend(Protocol):
    async def ensure(self) -> None:
        """Create the index if it is missing."""

    async def put(self, doc: SearchDoc) -> bool:
        """Store doc unless the stored one has the same or a newer revision; True if stored."""

    async def refresh(self) -> None:
        """Make every write so far visible to the next search (Elasticsearch shows a write only
        after a refresh; a committed SQLite write is visible at once)."""

    async def search(self, query: Query) -> Result:
        """Published documents in scope matching the query, best first, with totals and facets."""

    async def matter_names(self) -> list[str]:
        """The distinct names of the published matters in the index (for the segmenter)."""

    async def suggest(self, site_codes: tuple[str, ...], prefix: str, size: int) -> list[Suggestion]:
        """Names of published matters of these sites that start with prefix, distinct, best first."""

    async def begin_rebuild(self) -> Rebuild:
        """Open a new generation for a full rebuild (see Rebuild)."""

    async def current_generation(self) -> str:
        """The name of the index (or generation) queries go to now."""

    async def ready(self) -> bool: ...

    async def close(self) -> None: ...
