"""Hot words on both key-value stores: counted once per client a day, summed over the last days."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from govhall.kit.kv import KeyValueStore, MemoryStore, RedisStore
from govhall.kit.ports import free_port
from govhall.search.hotwords import HotWords

SITE, OTHER_SITE = "420500", "420100"


class Clock:
    def __init__(self) -> None:
        # 23:30 in Beijing: the next day starts half an hour later.
        self.now = datetime(2025, 3, 10, 15, 30, tzinfo=UTC)

    def __call__(self) -> datetime:
        return self.now


async def test_a_client_counts_once_a_day_per_word_and_site(kv: KeyValueStore) -> None:
    hot = HotWords(kv, clock=Clock())
    for _ in range(5):
        await hot.record(SITE, "居民身份证", "client-a")
    await hot.record(SITE, "居民身份证", "client-b")
    await hot.record(SITE, "护照", "client-a")
    await hot.record(OTHER_SITE, "居民身份证", "client-a")
    assert await hot.top(SITE, 10) == [("居民身份证", 2), ("护照", 1)]
    assert await hot.top(OTHER_SITE, 10) == [("居民身份证", 1)]
    assert await hot.top("330000", 10) == []


async def test_top_sums_the_last_days_most_first(kv: KeyValueStore) -> None:
    clock = Clock()
    hot = HotWords(kv, days=3, clock=clock)
    for client in ("a", "b", "c"):
        await hot.record(SITE, "社会保险", client)
    await hot.record(SITE, "营业执照", "a")
    # Past local midnight: a new day, so the same client counts again.
    clock.now += timedelta(hours=1)
    for client in ("a", "b", "c"):
        await hot.record(SITE, "营业执照", client)
    await hot.record(SITE, "不动产登记", "a")
    assert await hot.top(SITE, 10) == [("营业执照", 4), ("社会保险", 3), ("不动产登记", 1)]
    assert await hot.top(SITE, 1) == [("营业执照", 4)]
    assert await hot.top(SITE, 0) == []
    # Three days on, the first day has left the window (its set has not expired yet).
    clock.now += timedelta(days=2)
    assert await hot.top(SITE, 10) == [("营业执照", 3), ("不动产登记", 1)]


async def test_too_short_or_too_long_words_are_not_counted(kv: KeyValueStore) -> None:
    hot = HotWords(kv, clock=Clock())
    await hot.record(SITE, "证", "a")
    await hot.record(SITE, "证" * 31, "a")
    await hot.record(SITE, "证" * 30, "a")
    await hot.record(SITE, "  护照  ", "a")
    await hot.record(SITE, "护照", "b")
    assert await hot.top(SITE, 10) == [("护照", 2), ("证" * 30, 1)]


async def test_day_sets_expire_after_the_window(kv: KeyValueStore) -> None:
    hot = HotWords(kv, days=7, clock=Clock())
    await hot.record(SITE, "公积金提取", "a")
    ttl = await kv.ttl(f"hw:{SITE}:20250310")
    assert 7 * 86_400 < ttl <= 8 * 86_400


async def test_a_store_outage_is_logged_and_ignored(caplog: pytest.LogCaptureFixture) -> None:
    store = RedisStore(f"redis://127.0.0.1:{free_port()}/0", "down")
    hot = HotWords(store, clock=Clock())
    try:
        with caplog.at_level(logging.WARNING, logger="govhall.search.hotwords"):
            await hot.record(SITE, "居民身份证", "a")
            assert await hot.top(SITE, 10) == []
    finally:
        await store.close()
    assert len([r for r in caplog.records if r.levelno == logging.WARNING]) == 2


def test_days_must_be_positive() -> None:
    with pytest.raises(ValueError):
        HotWords(MemoryStore("x"), days=0)
