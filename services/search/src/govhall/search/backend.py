"""The search back end: Elasticsearch in the cluster, SQLite FTS5 (trigram) embedded.

Both keep one document per matter, replaced only by a newer revision, so events that arrive
twice or out of order cannot bring back an old version. A withdrawn matter stays as a
document marked unpublished (a tombstone that carries its revision) and is never returned.
"""

from __future__ import annotations

from typing import Protocol

from govhall.search.model import Hit, MatterDoc


class SearchBackend(Protocol):
    async def ensure(self) -> None:
        """Create the index if it is missing."""

    async def put(self, doc: MatterDoc) -> bool:
        """Store doc unless the stored one has the same or a newer revision; True if stored."""

    async def search(
        self, site_codes: list[str], query: str, offset: int, size: int
    ) -> tuple[list[Hit], int]:
        """Published matters of these sites matching query, best first, and how many match in all."""

    async def ready(self) -> bool: ...

    async def close(self) -> None: ...
