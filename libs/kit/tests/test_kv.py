"""The key-value store in memory, in a SQLite file and on the real Redis: counters, expiry, set-if-absent, sorted sets."""

from __future__ import annotations

import socket
import time
import uuid

import pytest

from govhall.kit.errors import ErrorKind
from govhall.kit.kv import KeyValueStore, MemoryStore, RedisStore, StoreUnavailable, create_kv
from govhall.kit.kvsqlite import SqliteStore
from govhall.kit.ports import free_port
from govhall.kit.testing import redis_credentials, wait_until


async def test_incr_counts_and_sets_the_expiry_only_when_new(kv: KeyValueStore) -> None:
    assert await kv.ttl("counter") == -2
    assert await kv.incr("counter", 60) == 1
    first = await kv.ttl("counter")
    assert 0 < first <= 60
    assert await kv.incr("counter", 3600) == 2
    assert await kv.incr("counter", 3600) == 3
    # Later increments do not push the expiry back (nor forward).
    assert 0 < await kv.ttl("counter") <= first
    assert await kv.get("counter") == "3"


async def test_incr_by_an_amount_sets_the_expiry_only_when_new(kv: KeyValueStore) -> None:
    """The gateway's rate limiter takes a lease of several requests in one increment."""
    assert await kv.incr("lease", 60, 5) == 5
    first = await kv.ttl("lease")
    assert 0 < first <= 60
    assert await kv.incr("lease", 3600, 3) == 8
    assert await kv.incr("lease", 3600) == 9
    assert 0 < await kv.ttl("lease") <= first
    with pytest.raises(ValueError):
        await kv.incr("lease", 60, 0)


async def test_get_expiring_says_the_time_left_never_more_than_the_store_holds(kv: KeyValueStore) -> None:
    assert await kv.get_expiring("answer") is None
    await kv.set("answer", "营业执照", 30)
    found = await kv.get_expiring("answer")
    assert found is not None
    value, seconds_left = found
    assert value == "营业执照"
    assert 25 < seconds_left <= 30


async def test_set_only_if_absent(kv: KeyValueStore) -> None:
    assert await kv.set("code", "111111", 60, only_if_absent=True) is True
    assert await kv.set("code", "222222", 60, only_if_absent=True) is False
    assert await kv.get("code") == "111111"
    assert await kv.set("code", "333333", 60) is True
    assert await kv.get("code") == "333333"
    assert 0 < await kv.ttl("code") <= 60


async def test_get_many_and_delete(kv: KeyValueStore) -> None:
    await kv.set("a", "1", 60)
    await kv.set("c", "3", 60)
    assert await kv.get_many(["a", "b", "c"]) == ["1", None, "3"]
    assert await kv.get_many([]) == []
    await kv.delete("a")
    await kv.delete("never-there")
    assert await kv.get("a") is None
    assert await kv.ttl("a") == -2
    assert await kv.get_many(["a", "c"]) == [None, "3"]


async def test_keys_expire(kv: KeyValueStore) -> None:
    await kv.set("short", "x", 1)
    assert await kv.incr("tick", 1) == 1

    async def expired() -> bool:
        return await kv.get("short") is None and await kv.get("tick") is None

    await wait_until(expired, timeout=5, what="both keys expired after 1 s")
    assert await kv.ttl("short") == -2
    assert await kv.set("short", "y", 60, only_if_absent=True) is True
    # An expired counter starts again, with a fresh expiry.
    assert await kv.incr("tick", 60) == 1
    assert 1 < await kv.ttl("tick") <= 60


async def test_namespaces_keep_apart(kv: KeyValueStore, request: pytest.FixtureRequest) -> None:
    other: KeyValueStore
    if isinstance(kv, RedisStore):
        cluster = request.getfixturevalue("cluster")
        other = RedisStore(
            cluster["GOVHALL_REDIS_URL"], f"other-{uuid.uuid4().hex}", **redis_credentials(cluster)
        )
    elif isinstance(kv, SqliteStore):
        other = SqliteStore(kv.path, f"other-{uuid.uuid4().hex}")  # the same file
    else:
        other = MemoryStore(f"other-{uuid.uuid4().hex}")
    try:
        await kv.set("k", "mine", 60)
        assert await other.get("k") is None
    finally:
        await other.close()


async def test_zincr_adds_to_a_member_and_sets_the_expiry_only_when_new(kv: KeyValueStore) -> None:
    assert await kv.zincr("words", "社保", 1, 60) == 1.0
    first = await kv.ttl("words")
    assert 0 < first <= 60
    assert await kv.zincr("words", "社保", 2.5, 3600) == 3.5
    assert await kv.zincr("words", "护照", 1, 3600) == 1.0
    # Later increments do not move the expiry.
    assert 0 < await kv.ttl("words") <= first
    assert await kv.ztop(["words"], 10) == [("社保", 3.5), ("护照", 1.0)]


async def test_ztop_sums_across_keys_highest_first(kv: KeyValueStore) -> None:
    await kv.zincr("day1", "身份证", 3, 60)
    await kv.zincr("day1", "护照", 1, 60)
    await kv.zincr("day2", "护照", 4, 60)
    await kv.zincr("day2", "社保", 2, 60)
    await kv.zincr("day3", "驾照", 2, 60)
    assert await kv.ztop(["day1", "day2", "day3", "missing"], 10) == [
        ("护照", 5.0),
        ("身份证", 3.0),
        # Equal scores: the member that sorts last comes first, on both stores.
        ("驾照", 2.0),
        ("社保", 2.0),
    ]
    assert await kv.ztop(["day1", "day2"], 2) == [("护照", 5.0), ("身份证", 3.0)]
    assert await kv.ztop(["missing"], 5) == []
    assert await kv.ztop([], 5) == []
    assert await kv.ztop(["day1"], 0) == []


async def test_sorted_sets_expire(kv: KeyValueStore) -> None:
    await kv.zincr("brief", "a", 1, 1)
    await kv.zincr("lasting", "a", 1, 60)

    async def expired() -> bool:
        return await kv.ttl("brief") == -2

    await wait_until(expired, timeout=5, what="the set expired after 1 s")
    assert await kv.ztop(["brief", "lasting"], 5) == [("a", 1.0)]
    # An expired set starts again, with a fresh expiry.
    assert await kv.zincr("brief", "b", 1, 60) == 1.0
    assert 1 < await kv.ttl("brief") <= 60


async def test_ztop_leaves_no_scratch_keys(kv: KeyValueStore, request: pytest.FixtureRequest) -> None:
    await kv.zincr("s1", "x", 1, 60)
    await kv.zincr("s2", "x", 1, 60)
    assert await kv.ztop(["s1", "s2"], 3) == [("x", 2.0)]
    if isinstance(kv, RedisStore):
        import redis.asyncio as redis

        cluster = request.getfixturevalue("cluster")
        raw = redis.from_url(
            cluster["GOVHALL_REDIS_URL"], decode_responses=True, **redis_credentials(cluster)
        )
        try:
            keys = sorted([key async for key in raw.scan_iter(match=f"{kv.namespace}:*")])
        finally:
            await raw.aclose()
        assert keys == [f"{kv.namespace}:s1", f"{kv.namespace}:s2"]
    elif isinstance(kv, SqliteStore):
        assert await kv.size() == 2
    else:
        assert isinstance(kv, MemoryStore) and len(kv) == 2


async def test_ready(kv: KeyValueStore) -> None:
    assert await kv.ready() is True


def test_create_kv_without_url_shares_one_store_per_namespace() -> None:
    namespace = f"shared-{uuid.uuid4().hex[:8]}"
    first, second = create_kv(None, namespace), create_kv(None, namespace)
    assert first is second
    assert isinstance(first, MemoryStore)
    assert create_kv(None, f"{namespace}-other") is not first


async def test_shared_store_is_seen_by_every_user() -> None:
    namespace = f"shared-{uuid.uuid4().hex[:8]}"
    identity, gateway = create_kv(None, namespace), create_kv(None, namespace)
    await identity.set("rv:s:abc", "1", 60)
    await identity.close()  # closing the shared store keeps its keys for the other users
    assert await gateway.get("rv:s:abc") == "1"


async def test_create_kv_with_url_is_redis() -> None:
    store = create_kv("redis://127.0.0.1:1/0", "x")
    assert isinstance(store, RedisStore)
    await store.close()


async def test_redis_down_raises_store_unavailable() -> None:
    store = RedisStore(f"redis://127.0.0.1:{free_port()}/0", "down")
    try:
        assert await store.ready() is False
        for op in (
            store.incr("k", 60),
            store.get("k"),
            store.get_many(["k", "l"]),
            store.set("k", "v", 60),
            store.ttl("k"),
            store.delete("k"),
            store.zincr("z", "m", 1, 60),
            store.ztop(["z", "y"], 5),
        ):
            with pytest.raises(StoreUnavailable) as raised:
                await op
            assert raised.value.code == "KV_UNAVAILABLE"
            assert raised.value.kind is ErrorKind.UNAVAILABLE
            assert raised.value.message_zh
            assert raised.value.__cause__ is None and raised.value.__suppress_context__
    finally:
        await store.close()


async def test_redis_that_does_not_answer_times_out_quickly() -> None:
    with socket.socket() as silent:  # accepts connections (backlog) and never replies
        silent.bind(("127.0.0.1", 0))
        silent.listen(16)
        store = RedisStore(f"redis://127.0.0.1:{silent.getsockname()[1]}/0", "silent")
        try:
            started = time.monotonic()
            with pytest.raises(StoreUnavailable):
                await store.incr("k", 60)
            assert time.monotonic() - started < 2.0
        finally:
            await store.close()


async def test_memory_store_drops_the_oldest_keys_beyond_its_bound() -> None:
    store = MemoryStore("bounded", max_keys=3)
    for key in "abcd":
        await store.set(key, key, 60)
    assert len(store) == 3
    assert await store.get_many(["a", "b", "c", "d"]) == [None, "b", "c", "d"]
    # A write makes a key the newest again.
    await store.incr("n", 60)
    await store.set("b", "B", 60)
    await store.set("e", "e", 60)
    assert await store.get_many(["b", "c", "d", "n", "e"]) == ["B", None, None, "1", "e"]


async def test_ttl_must_be_positive() -> None:
    store = MemoryStore("ttl")
    with pytest.raises(ValueError):
        await store.set("k", "v", 0)
    with pytest.raises(ValueError):
        await store.incr("k", -1)
    with pytest.raises(ValueError):
        await store.zincr("k", "m", 1, 0)


async def test_memory_store_keeps_strings_and_sorted_sets_apart() -> None:
    store = MemoryStore(f"types-{uuid.uuid4().hex[:8]}")
    await store.zincr("z", "m", 1, 60)
    await store.set("s", "1", 60)
    with pytest.raises(ValueError):
        await store.get("z")
    with pytest.raises(ValueError):
        await store.incr("z", 60)
    with pytest.raises(ValueError):
        await store.zincr("s", "m", 1, 60)
    with pytest.raises(ValueError):
        await store.ztop(["s"], 5)
    # Like Redis's MGET, a key of another type reads as missing.
    assert await store.get_many(["z", "s"]) == [None, "1"]
