"""The SQLite key-value store beyond the shared contract (test_kv.py): its keys outlive the store
(a restart), expiry is by the wall clock, writes are atomic across stores and processes on one
file, it stays bounded, and a file it cannot use is `StoreUnavailable`."""

from __future__ import annotations

import asyncio
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from govhall.kit.kv import MemoryStore, StoreUnavailable, create_kv
from govhall.kit.kvsqlite import SqliteStore


class Clock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


async def test_keys_sets_and_expiries_outlive_the_store(tmp_path: Path) -> None:
    clock = Clock()
    first = SqliteStore(tmp_path / "kv.db", "ns", clock=clock)
    await first.set("rv:s:abc", "1", 900)
    assert await first.incr("lf:acct", 900) == 1
    assert await first.incr("lf:acct", 900) == 2
    await first.zincr("hot:day1", "社保", 3, 3600)
    await first.zincr("hot:day1", "护照", 1, 3600)
    await first.set("brief", "x", 10)
    await first.close()

    clock.now += 5  # the restart took five seconds
    second = SqliteStore(tmp_path / "kv.db", "ns", clock=clock)
    try:
        assert await second.get_many(["rv:s:abc", "lf:acct", "brief"]) == ["1", "2", "x"]
        assert await second.ttl("lf:acct") == 895
        assert await second.ztop(["hot:day1"], 5) == [("社保", 3.0), ("护照", 1.0)]
        # The counter goes on from where it was, its expiry unchanged.
        assert await second.incr("lf:acct", 900) == 3
        assert await second.ttl("lf:acct") == 895
        # Deadlines are wall-clock times: they pass while no process runs.
        clock.now += 6
        assert await second.get("brief") is None and await second.ttl("brief") == -2
        assert await second.get("rv:s:abc") == "1"
    finally:
        await second.close()


async def test_concurrent_writes_from_stores_on_one_file_are_atomic(tmp_path: Path) -> None:
    stores = [SqliteStore(tmp_path / "kv.db", "ns") for _ in range(3)]
    try:
        counts = await asyncio.gather(*(store.incr("n", 60) for _ in range(40) for store in stores))
        assert sorted(counts) == list(range(1, 121))
        added = await asyncio.gather(*(store.zincr("z", "m", 1, 60) for _ in range(20) for store in stores))
        assert max(added) == 60.0
        firsts = await asyncio.gather(*(store.set("once", "v", 60, only_if_absent=True) for store in stores))
        assert sorted(firsts) == [False, False, True]
    finally:
        for store in stores:
            await store.close()


def test_two_processes_count_on_one_file(tmp_path: Path) -> None:
    path = tmp_path / "kv.db"
    script = textwrap.dedent(
        f"""
        import asyncio
        from pathlib import Path
        from govhall.kit.kvsqlite import SqliteStore

        async def main():
            store = SqliteStore(Path({str(path)!r}), "ns")
            for _ in range(200):
                await store.incr("n", 600)
            await store.zincr("z", "m", 200, 600)
            await store.close()

        asyncio.run(main())
        """
    )
    procs = [subprocess.Popen([sys.executable, "-c", script]) for _ in range(2)]
    for proc in procs:
        assert proc.wait(timeout=120) == 0

    async def read() -> tuple[str | None, list[tuple[str, float]]]:
        store = SqliteStore(path, "ns")
        try:
            return await store.get("n"), await store.ztop(["z"], 1)
        finally:
            await store.close()

    assert asyncio.run(read()) == ("400", [("m", 400.0)])


async def test_the_sweep_drops_expired_keys_and_the_oldest_beyond_the_bound(tmp_path: Path) -> None:
    clock = Clock()
    store = SqliteStore(tmp_path / "kv.db", "ns", max_keys=3, sweep_seconds=10, clock=clock)
    try:
        await store.zincr("z", "m", 1, 5)
        for key in "abcd":
            clock.now += 0.001
            await store.set(key, key, 60)
        # Between sweeps the bound may be passed (the sweep keeps writes cheap).
        assert await store.size() == 5
        clock.now += 11  # "z" has expired; the next write sweeps
        await store.set("e", "e", 60)
        assert await store.size() == 3
        assert await store.get_many(["a", "b", "c", "d", "e"]) == [None, None, "c", "d", "e"]
        assert await store.ztop(["z"], 5) == []
    finally:
        await store.close()


@pytest.mark.parametrize("backend", ["memory", "sqlite"])
async def test_strings_and_sorted_sets_keep_apart(backend: str, tmp_path: Path) -> None:
    namespace = f"types-{uuid.uuid4().hex[:8]}"
    store = MemoryStore(namespace) if backend == "memory" else SqliteStore(tmp_path / "kv.db", namespace)
    try:
        await store.zincr("z", "m", 1, 60)
        await store.set("s", "1", 60)
        await store.set("word", "abc", 60)
        for op in (
            store.get("z"),
            store.incr("z", 60),
            store.incr("word", 60),
            store.zincr("s", "m", 1, 60),
            store.ztop(["z", "s"], 5),
        ):
            with pytest.raises(ValueError):
                await op
        # Like Redis's MGET, a key of another type reads as missing.
        assert await store.get_many(["z", "s"]) == [None, "1"]
        # SET replaces a key of any type, as in Redis.
        await store.set("z", "now a string", 60)
        assert await store.get("z") == "now a string"
    finally:
        await store.close()


async def test_a_file_it_cannot_open_is_unavailable(tmp_path: Path) -> None:
    (tmp_path / "kv.db").mkdir()  # a directory where the file should be
    store = SqliteStore(tmp_path / "kv.db", "ns")
    try:
        assert await store.ready() is False
        for op in (store.get("k"), store.incr("k", 60), store.set("k", "v", 60), store.ztop(["z"], 3)):
            with pytest.raises(StoreUnavailable) as raised:
                await op
            assert raised.value.code == "KV_UNAVAILABLE" and raised.value.__cause__ is None
    finally:
        await store.close()
    with pytest.raises(StoreUnavailable):
        await store.get("k")  # closed


async def test_create_kv_with_a_var_dir_is_the_file_there(tmp_path: Path) -> None:
    writer = create_kv(None, "ns", var_dir=tmp_path / "var")
    reader = create_kv(None, "ns", var_dir=tmp_path / "var")
    assert isinstance(writer, SqliteStore) and writer.path == tmp_path / "var" / "kv.db"
    try:
        await writer.set("rv:s:abc", "1", 60)
        assert await reader.get("rv:s:abc") == "1"
        assert await reader.ready() is True
    finally:
        await writer.close()
        await reader.close()


async def test_stores_opening_a_new_file_together_all_start(tmp_path: Path) -> None:
    """Switching a new file to WAL answers "database is locked" without waiting while another
    connection opens it: without the retry, about one round in fifteen failed here."""
    for n in range(60):
        stores = [SqliteStore(tmp_path / f"kv-{n}.db", "ns") for _ in range(6)]
        try:
            assert sorted(await asyncio.gather(*(store.incr("n", 60) for store in stores))) == [
                1,
                2,
                3,
                4,
                5,
                6,
            ]
        finally:
            for store in stores:
                await store.close()
