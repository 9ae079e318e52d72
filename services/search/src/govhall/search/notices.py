"""search.index.changed: search tells the caches of its answers (the gateway's response cache)
that it has APPLIED a change, once the change is visible to the next search.

Why search and not the catalogue: a cache forgetting its answers on the catalogue's event alone
would refill them from an index that has not applied the change yet (search's consumer lags,
Elasticsearch shows a write only after its next refresh). So the notice goes out after the write
and after a refresh (`SearchBackend.refresh`; SQLite's committed write is visible at once).

One notice per round, not per change: `changed` only marks that something changed; one task
refreshes and publishes, and changes made while it does are covered by the next round. A bulk
load of 300,000 matters is then a refresh and a notice every moment, not 300,000 of each.
Best effort, like the caches it serves: a publish that fails is logged (once a minute) and the
caches' time to live is the bound meanwhile; it never fails the catalogue event being applied.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time

from govhall.contracts import search as contract
from govhall.kit.bus import EventBus
from govhall.kit.events import make_event
from govhall.protos.search.v1 import search_pb2 as pb
from govhall.search.backend import SearchBackend

log = logging.getLogger(__name__)

Reason = pb.IndexChanged.Reason
FAILURE_LOG_SECONDS = 60.0


class IndexNotices:
    def __init__(self, bus: EventBus, backend: SearchBackend) -> None:
        self._bus = bus
        self._backend = backend
        self._pending = asyncio.Event()
        self._last = pb.IndexChanged()
        self._task: asyncio.Task[None] | None = None
        self._logged = -FAILURE_LOG_SECONDS - 1.0

    def start(self) -> None:
        self._task = asyncio.create_task(self._run(), name="search-index-notices")

    async def close(self) -> None:
        if self._task is not None:
            self._task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._task

    def changed(self, reason: int, site_code: str = "", key: str = "") -> None:
        """Something search answers has changed (written to the index, not yet refreshed)."""
        self._last = pb.IndexChanged(reason=reason, site_code=site_code, key=key)  # type: ignore[arg-type]
        self._pending.set()

    async def _run(self) -> None:
        while True:
            await self._pending.wait()
            self._pending.clear()  # before the refresh: a change after it is the next round's
            last = self._last
            try:
                await self._backend.refresh()
                await self._bus.publish(make_event(contract.INDEX_CHANGED, last, last.site_code))
            except asyncio.CancelledError:
                raise
            except Exception:
                now = time.monotonic()
                if now - self._logged >= FAILURE_LOG_SECONDS:
                    self._logged = now
                    log.warning(
                        "search.index.changed not published; caches keep answers for their time to live",
                        exc_info=True,
                    )
