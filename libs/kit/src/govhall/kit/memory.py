"""The process's allocator, set at start: few malloc arenas, start-up's freed memory returned.

glibc gives each thread that contends for the allocator an arena of its own, up to eight per
CPU, each reserving 64 MB of address space and keeping the pages it touched: a service runs
gRPC's poller and executor threads, OpenTelemetry's exporter, NATS's and SQLAlchemy's threads.
Measured on the services at idle (issue 20), capping them saved little (0-1 MB each: most of
their memory is Python's heap of imported modules), but it bounds what a busy thread pool can
keep; returning start-up's freed pages did more. Python's own objects come from its pymalloc
pools, so two arenas cost the threads little contention: the main one and one more.

`limit_arenas` does what ``MALLOC_ARENA_MAX=2`` in the environment would, in the process itself,
so that every way a service is started gets it (deploy/local, the benchmarks, the chart, the
image, the tests) with no variable to forget in one of them; a ``MALLOC_ARENA_MAX`` that is set
is left to glibc, which read it at start. It must run before the process starts threads (later,
the arenas made until then stay). `release_freed` gives back to the system what start-up
allocated and freed (imports, migrations, loading a dictionary), which glibc otherwise keeps in
its heap for reuse. Both do nothing where the C library is not glibc.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import logging
import os

log = logging.getLogger(__name__)

#: Arenas per process unless MALLOC_ARENA_MAX says otherwise.
ARENAS = 2
_M_ARENA_MAX = -8  # mallopt's parameter (malloc.h)


@functools.cache
def _glibc() -> ctypes.CDLL | None:
    try:
        libc = ctypes.CDLL(ctypes.util.find_library("c") or "libc.so.6")
        libc.gnu_get_libc_version  # noqa: B018 (glibc only: musl has mallopt but no arenas)
        return libc
    except (OSError, AttributeError):
        return None


def limit_arenas(arenas: int = ARENAS) -> bool:
    """At most ``arenas`` malloc arenas for this process (unless MALLOC_ARENA_MAX is set);
    True if it was set here."""
    if os.environ.get("MALLOC_ARENA_MAX"):
        return False
    libc = _glibc()
    if libc is None:
        return False
    return bool(libc.mallopt(_M_ARENA_MAX, arenas))


def release_freed() -> None:
    """Return the allocator's free pages to the system (glibc's malloc_trim), e.g. once started."""
    libc = _glibc()
    if libc is not None:
        libc.malloc_trim(0)


def settle() -> None:
    """Once a process has started: start-up's garbage collected, what survives kept out of later
    collections (gc.freeze: serving does not walk the imported modules' objects again), and the
    freed memory returned (`release_freed`)."""
    gc.collect()
    gc.freeze()
    release_freed()
