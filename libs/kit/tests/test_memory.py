"""The process's allocator at start (memory.py): two malloc arenas whatever the threads, the
environment's MALLOC_ARENA_MAX left to glibc, and every service's start setting it first."""

from __future__ import annotations

import os
import subprocess
import sys
import textwrap
from types import SimpleNamespace

import pytest

from govhall.kit import memory, service

# A child that starts 8 threads which all allocate through malloc at once, then counts glibc's
# arenas (malloc_info's <heap nr=...> entries); with LIMIT, kit's limit_arenas runs first.
COUNT_ARENAS = textwrap.dedent(
    """
    import ctypes, os, re, sys, tempfile, threading
    from govhall.kit import memory
    if os.environ.get("LIMIT"):
        assert memory.limit_arenas()
    libc = ctypes.CDLL("libc.so.6")
    libc.fdopen.restype = ctypes.c_void_p
    barrier = threading.Barrier(8)
    def allocate():
        barrier.wait()
        keep = [bytearray(2000) for _ in range(5000)]  # above pymalloc's 512 bytes: malloc
        barrier.wait()
    threads = [threading.Thread(target=allocate) for _ in range(8)]
    for t in threads: t.start()
    for t in threads: t.join()
    with tempfile.TemporaryFile() as f:
        stream = libc.fdopen(os.dup(f.fileno()), b"w")
        libc.malloc_info(0, ctypes.c_void_p(stream))
        libc.fclose(ctypes.c_void_p(stream))
        f.seek(0)
        print(len(re.findall(rb"<heap nr=", f.read())))
    """
)

glibc_only = pytest.mark.skipif(memory._glibc() is None, reason="glibc's arenas only")


def arenas(limit: bool, **env: str) -> int:
    environ = {k: v for k, v in os.environ.items() if k != "MALLOC_ARENA_MAX"}
    environ.update(env)
    if limit:
        environ["LIMIT"] = "1"
    done = subprocess.run(
        [sys.executable, "-c", COUNT_ARENAS], env=environ, capture_output=True, text=True, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return int(done.stdout.strip())


@glibc_only
def test_threads_share_two_arenas_once_limited() -> None:
    assert arenas(limit=False) > 2  # glibc's default: an arena per thread, up to 8 per CPU
    assert arenas(limit=True) <= memory.ARENAS


@glibc_only
def test_an_arena_max_in_the_environment_is_left_to_glibc() -> None:
    env = {k: v for k, v in os.environ.items()}
    env["MALLOC_ARENA_MAX"] = "4"
    done = subprocess.run(
        [sys.executable, "-c", "from govhall.kit import memory; print(memory.limit_arenas())"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.stdout.strip() == "False", done.stderr


def test_a_service_limits_its_arenas_before_anything_else(monkeypatch: pytest.MonkeyPatch) -> None:
    """run_forever (every service's __main__) sets the allocator before it reads its arguments,
    starts workers or an event loop: before any thread."""
    calls: list[str] = []
    monkeypatch.setattr(memory, "limit_arenas", lambda: calls.append("limit_arenas"))
    monkeypatch.setattr(service.asyncio, "run", lambda coro: (coro.close(), calls.append("run")))
    with pytest.raises(SystemExit):
        service.run_forever(SimpleNamespace(name="x"), object(), ["not-a-command"])  # type: ignore[arg-type]
    assert calls == ["limit_arenas"]


def test_settle_freezes_what_start_up_left(monkeypatch: pytest.MonkeyPatch) -> None:
    released: list[bool] = []
    monkeypatch.setattr(memory, "release_freed", lambda: released.append(True))
    import gc

    before = gc.get_freeze_count()
    try:
        memory.settle()
        assert gc.get_freeze_count() > before
        assert released == [True]
    finally:
        gc.unfreeze()
