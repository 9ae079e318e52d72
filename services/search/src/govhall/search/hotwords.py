"""Hot words: what people have searched for most at a site over the last days.

Each day has a sorted set per site (word -> how many clients searched it that day), kept in the
key-value store (Redis in the cluster, so every replica counts into the same sets; a SQLite file
under var/ in all-in-one mode, so they outlive a restart). A day's set expires `days + 1` days after it was created, so old days vanish
by themselves. One client counts once per word, site and day: a marker key set only if absent
(the client key, site and word hashed, so no query text or client address sits in a key name),
which stops one user's repeated searches, or a script, from making a word hot.

Days are China Standard Time (UTC+8, no daylight saving): a day's counts start at local midnight.
Hot words are a nicety: a store outage logs a warning and search carries on without them.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

from govhall.kit.kv import KeyValueStore, StoreUnavailable

log = logging.getLogger(__name__)

CHINA = timezone(timedelta(hours=8), "CST")
MIN_WORD = 2
MAX_WORD = 30
_DAY_SECONDS = 86_400


class HotWords:
    def __init__(
        self,
        kv: KeyValueStore,
        *,
        days: int = 7,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        if days < 1:
            raise ValueError(f"days must be at least 1, got {days}")
        self._kv = kv
        self._days = days
        self._clock = clock

    def _today(self) -> datetime:
        return self._clock().astimezone(CHINA)

    @staticmethod
    def _day_key(site_code: str, day: datetime) -> str:
        return f"hw:{site_code}:{day:%Y%m%d}"

    async def record(self, site_code: str, word: str, client_key: str) -> None:
        """Count a search for word (the cleaned query) at site_code by client_key, once a day.

        Words shorter than 2 or longer than 30 characters are not counted: single characters
        say nothing, and long ones are sentences nobody else will type."""
        word = " ".join(word.split())
        if not MIN_WORD <= len(word) <= MAX_WORD:
            return
        now = self._today()
        day = f"{now:%Y%m%d}"
        digest = hashlib.sha256("\0".join((day, client_key, site_code, word)).encode()).hexdigest()[:32]
        # The marker is only needed until the day is over (the day is part of its key).
        midnight = (now + timedelta(days=1)).replace(hour=0, minute=0, second=0, microsecond=0)
        until_midnight = max(1, int((midnight - now).total_seconds()) + 1)
        try:
            if not await self._kv.set(f"hw:seen:{digest}", "1", until_midnight, only_if_absent=True):
                return
            await self._kv.zincr(self._day_key(site_code, now), word, 1, (self._days + 1) * _DAY_SECONDS)
        except StoreUnavailable as exc:
            log.warning("hot words: not counting a search at %s: %s", site_code, exc.message)

    async def top(self, site_code: str, size: int) -> list[tuple[str, int]]:
        """The site's most searched words over the last `days` days (today included), most first."""
        if size < 1:
            return []
        today = self._today()
        keys = [self._day_key(site_code, today - timedelta(days=n)) for n in range(self._days)]
        try:
            top = await self._kv.ztop(keys, size)
        except StoreUnavailable as exc:
            log.warning("hot words: none for %s: %s", site_code, exc.message)
            return []
        return [(word, round(score)) for word, score in top]
