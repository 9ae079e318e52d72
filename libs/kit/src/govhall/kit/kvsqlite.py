"""The key-value store in a SQLite file: all-in-one mode's store, which outlives a restart.

Revoked sessions, login lock-outs and search's hot words must survive a restart as they do in
Redis: a revocation forgotten on restart lets a logged-out token work for the rest of its life,
and a forgotten lock-out lets the guessing start again. So without Redis the store is a file
under the var dir (`create_kv`), with the semantics of `RedisStore` and `MemoryStore` (the same
contract tests run on all three).

Expiry is by wall-clock time (`time.time()`): a deadline must mean the same after a restart,
which a monotonic clock does not. Every operation runs on the store's one worker thread with its
own connection, so the event loop never waits on the disk; a read-modify-write (INCR, ZINCRBY,
SET NX) is one `BEGIN IMMEDIATE` transaction, which makes it atomic against other connections to
the same file too (other stores in this process, or another process: WAL mode lets readers go on
while one writes, and a writer waits up to ``busy_timeout_seconds`` for another). Commits are
`synchronous=NORMAL`: a committed write survives the process being killed (the case here), and
only an operating-system crash may lose the last few, which for this state is acceptable.
"""

from __future__ import annotations

import asyncio
import math
import sqlite3
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import TypeVar

from govhall.kit.kv import DEFAULT_NAMESPACE, StoreUnavailable, _check_amount, _check_ttl

T = TypeVar("T")

FILE_NAME = "kv.db"

# One row per key; a sorted set's members live in kv_members under the same key. written_at
# orders keys for the bound (the least recently written go first, as in MemoryStore).
_SCHEMA = """
CREATE TABLE IF NOT EXISTS kv_entries (
    key TEXT PRIMARY KEY,
    kind TEXT NOT NULL,
    value TEXT,
    expires_at REAL NOT NULL,
    written_at REAL NOT NULL
) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS kv_entries_expiry ON kv_entries (expires_at);
CREATE TABLE IF NOT EXISTS kv_members (
    key TEXT NOT NULL,
    member TEXT NOT NULL,
    score REAL NOT NULL,
    PRIMARY KEY (key, member)
) WITHOUT ROWID;
"""

_STRING, _SORTED_SET = "s", "z"

# SQLite's default limit on parameters in one statement is 999 on older builds.
_CHUNK = 500


def wall_clock() -> float:
    """The stores' clock, seconds since the epoch (looked up on every operation, so a test can move
    it past a deadline for every store in the process)."""
    return time.time()


def _live(conn: sqlite3.Connection, key: str, now: float) -> tuple[str, str | None, float] | None:
    row = conn.execute(
        "SELECT kind, value, expires_at FROM kv_entries WHERE key = ? AND expires_at > ?", (key, now)
    ).fetchone()
    return None if row is None else (row[0], row[1], row[2])


def _drop(conn: sqlite3.Connection, key: str) -> None:
    conn.execute("DELETE FROM kv_members WHERE key = ?", (key,))
    conn.execute("DELETE FROM kv_entries WHERE key = ?", (key,))


class SqliteStore:
    """The store in the SQLite file ``path``, every key prefixed with ``namespace:``.

    Expired keys are invisible at once and deleted at most every ``sweep_seconds`` by a write;
    the sweep also drops the least recently written keys beyond ``max_keys`` (a sorted set counts
    as one), so the file stays bounded however many clients are counted. Disk or lock errors
    raise `StoreUnavailable`, as Redis being down does.
    """

    def __init__(
        self,
        path: Path,
        namespace: str = DEFAULT_NAMESPACE,
        *,
        max_keys: int = 1_000_000,
        sweep_seconds: float = 60.0,
        busy_timeout_seconds: float = 5.0,
        clock: Callable[[], float] | None = None,
    ) -> None:
        self.path = Path(path)
        self.namespace = namespace
        self._prefix = f"{namespace}:"
        self._max = max_keys
        self._sweep_every = sweep_seconds
        self._busy_timeout = busy_timeout_seconds
        self._clock = clock
        self._next_sweep = 0.0
        self._conn: sqlite3.Connection | None = None
        self._executor = ThreadPoolExecutor(max_workers=1, thread_name_prefix="kv-sqlite")
        self._closed = False

    # The worker thread ----------------------------------------------------------------------

    def _connection(self) -> sqlite3.Connection:
        if self._conn is None:
            self.path.parent.mkdir(parents=True, exist_ok=True)
            # isolation_level=None: no implicit transactions, the BEGINs below are ours.
            conn = sqlite3.connect(self.path, timeout=self._busy_timeout, isolation_level=None)
            try:
                self._prepare(conn)
            except BaseException:
                conn.close()
                raise
            self._conn = conn
        return self._conn

    def _prepare(self, conn: sqlite3.Connection) -> None:
        """WAL and the schema. Switching a new file to WAL answers "database is locked" at once,
        without waiting, while another connection opening it does the same (CI saw it with three
        stores opening one file together): that is retried until the busy timeout, as a lock is."""
        deadline = time.monotonic() + self._busy_timeout
        pause = 0.01
        while True:
            try:
                conn.execute("PRAGMA journal_mode=WAL")
                conn.execute("PRAGMA synchronous=NORMAL")
                conn.executescript(_SCHEMA)
                return
            except sqlite3.OperationalError as exc:
                if "locked" not in str(exc) or time.monotonic() >= deadline:
                    raise
            time.sleep(pause)  # the store's own worker thread: the event loop is not held up
            pause = min(pause * 2, 0.2)

    def _in_thread(self, op: Callable[[sqlite3.Connection, float], T], write: bool) -> T:
        conn = self._connection()
        now = (self._clock or wall_clock)()
        if not write:
            return op(conn, now)
        conn.execute("BEGIN IMMEDIATE")
        try:
            result = op(conn, now)
            if now >= self._next_sweep:
                self._next_sweep = now + self._sweep_every
                self._sweep(conn, now)
            conn.execute("COMMIT")
        except BaseException:
            conn.execute("ROLLBACK")
            raise
        return result

    def _sweep(self, conn: sqlite3.Connection, now: float) -> None:
        conn.execute(
            "DELETE FROM kv_members WHERE key IN (SELECT key FROM kv_entries WHERE expires_at <= ?)", (now,)
        )
        conn.execute("DELETE FROM kv_entries WHERE expires_at <= ?", (now,))
        (count,) = conn.execute("SELECT COUNT(*) FROM kv_entries").fetchone()
        if count > self._max:
            oldest = "SELECT key FROM kv_entries ORDER BY written_at LIMIT ?"
            conn.execute(f"DELETE FROM kv_members WHERE key IN ({oldest})", (count - self._max,))
            conn.execute(f"DELETE FROM kv_entries WHERE key IN ({oldest})", (count - self._max,))

    async def _run(self, op: Callable[[sqlite3.Connection, float], T], *, write: bool = False) -> T:
        if self._closed:
            raise StoreUnavailable("the store is closed")
        try:
            return await asyncio.get_running_loop().run_in_executor(
                self._executor, self._in_thread, op, write
            )
        except sqlite3.Error as exc:
            # "database is locked" beyond the busy timeout, a full disk, a damaged file: down, as
            # an unreachable Redis is (each caller fails open or closed as it must).
            raise StoreUnavailable(f"{type(exc).__name__}: {exc}") from None

    # The interface ------------------------------------------------------------------------------

    async def incr(self, key: str, ttl_seconds: int, amount: int = 1) -> int:
        _check_ttl(ttl_seconds)
        _check_amount(amount)
        full = self._prefix + key

        def op(conn: sqlite3.Connection, now: float) -> int:
            item = _live(conn, full, now)
            if item is None:
                _drop(conn, full)  # an expired key of either kind
                conn.execute(
                    "INSERT INTO kv_entries VALUES (?, ?, ?, ?, ?)",
                    (full, _STRING, str(amount), now + ttl_seconds, now),
                )
                return amount
            if item[0] != _STRING:
                raise ValueError(f"{key!r} holds a sorted set, not a string")
            try:
                count = int(item[1] or "") + amount
            except ValueError:
                raise ValueError(f"value of {key!r} is not an integer") from None
            conn.execute(
                "UPDATE kv_entries SET value = ?, written_at = ? WHERE key = ?", (str(count), now, full)
            )
            return count

        return await self._run(op, write=True)

    async def ttl(self, key: str) -> int:
        full = self._prefix + key

        def op(conn: sqlite3.Connection, now: float) -> int:
            item = _live(conn, full, now)
            return -2 if item is None else math.ceil(item[2] - now)

        return await self._run(op)

    async def get(self, key: str) -> str | None:
        full = self._prefix + key

        def op(conn: sqlite3.Connection, now: float) -> str | None:
            item = _live(conn, full, now)
            if item is None:
                return None
            if item[0] != _STRING:
                raise ValueError(f"{key!r} holds a sorted set, not a string")
            return item[1]

        return await self._run(op)

    async def get_expiring(self, key: str) -> tuple[str, float] | None:
        full = self._prefix + key

        def op(conn: sqlite3.Connection, now: float) -> tuple[str, float] | None:
            item = _live(conn, full, now)
            if item is None:
                return None
            if item[0] != _STRING:
                raise ValueError(f"{key!r} holds a sorted set, not a string")
            return item[1] or "", item[2] - now

        return await self._run(op)

    async def get_many(self, keys: Sequence[str]) -> list[str | None]:
        if not keys:
            return []
        full = [self._prefix + key for key in keys]

        def op(conn: sqlite3.Connection, now: float) -> list[str | None]:
            found: dict[str, str | None] = {}
            unique = list(dict.fromkeys(full))
            for start in range(0, len(unique), _CHUNK):
                chunk = unique[start : start + _CHUNK]
                rows = conn.execute(
                    f"SELECT key, value FROM kv_entries WHERE key IN ({','.join('?' * len(chunk))})"
                    " AND expires_at > ? AND kind = ?",
                    (*chunk, now, _STRING),
                )
                found.update(rows.fetchall())
            # Like Redis's MGET, a key of another type reads as missing.
            return [found.get(key) for key in full]

        return await self._run(op)

    async def set(self, key: str, value: str, ttl_seconds: int, *, only_if_absent: bool = False) -> bool:
        _check_ttl(ttl_seconds)
        full = self._prefix + key

        def op(conn: sqlite3.Connection, now: float) -> bool:
            if only_if_absent and _live(conn, full, now) is not None:
                return False
            _drop(conn, full)
            conn.execute(
                "INSERT INTO kv_entries VALUES (?, ?, ?, ?, ?)",
                (full, _STRING, value, now + ttl_seconds, now),
            )
            return True

        return await self._run(op, write=True)

    async def delete(self, key: str) -> None:
        full = self._prefix + key

        def op(conn: sqlite3.Connection, now: float) -> None:
            _drop(conn, full)

        await self._run(op, write=True)

    async def zincr(self, key: str, member: str, amount: float, ttl_seconds: int) -> float:
        _check_ttl(ttl_seconds)
        full = self._prefix + key

        def op(conn: sqlite3.Connection, now: float) -> float:
            item = _live(conn, full, now)
            if item is None:
                _drop(conn, full)
                conn.execute(
                    "INSERT INTO kv_entries VALUES (?, ?, NULL, ?, ?)",
                    (full, _SORTED_SET, now + ttl_seconds, now),
                )
            elif item[0] != _SORTED_SET:
                raise ValueError(f"{key!r} does not hold a sorted set")
            else:
                conn.execute("UPDATE kv_entries SET written_at = ? WHERE key = ?", (now, full))
            conn.execute(
                "INSERT INTO kv_members VALUES (?, ?, ?)"
                " ON CONFLICT (key, member) DO UPDATE SET score = score + excluded.score",
                (full, member, float(amount)),
            )
            (score,) = conn.execute(
                "SELECT score FROM kv_members WHERE key = ? AND member = ?", (full, member)
            ).fetchone()
            return float(score)

        return await self._run(op, write=True)

    async def ztop(self, keys: Sequence[str], size: int) -> list[tuple[str, float]]:
        if size < 1 or not keys:
            return []
        full = list(dict.fromkeys(self._prefix + key for key in keys))
        if len(full) > _CHUNK:
            raise ValueError(f"ztop sums at most {_CHUNK} keys, got {len(full)}")
        marks = ",".join("?" * len(full))

        def op(conn: sqlite3.Connection, now: float) -> list[tuple[str, float]]:
            # One read transaction: the type check and the sums see the same state.
            conn.execute("BEGIN")
            try:
                wrong = conn.execute(
                    f"SELECT key FROM kv_entries WHERE key IN ({marks}) AND expires_at > ? AND kind != ?",
                    (*full, now, _SORTED_SET),
                ).fetchone()
                if wrong is not None:
                    raise ValueError(f"{wrong[0].removeprefix(self._prefix)!r} does not hold a sorted set")
                # Equal scores: the member that sorts last first, as Redis's ZREVRANGE (SQLite
                # compares text as UTF-8 bytes, which orders as code points do).
                rows = conn.execute(
                    "SELECT m.member, SUM(m.score) AS total FROM kv_members m"
                    " JOIN kv_entries e ON e.key = m.key"
                    f" WHERE m.key IN ({marks}) AND e.expires_at > ?"
                    " GROUP BY m.member ORDER BY total DESC, m.member DESC LIMIT ?",
                    (*full, now, size),
                ).fetchall()
            finally:
                conn.execute("COMMIT")
            return [(str(member), float(total)) for member, total in rows]

        return await self._run(op)

    async def size(self) -> int:
        """How many live keys the namespace holds (a sorted set counts as one)."""

        def op(conn: sqlite3.Connection, now: float) -> int:
            (count,) = conn.execute(
                "SELECT COUNT(*) FROM kv_entries WHERE key >= ? AND key < ? AND expires_at > ?",
                (self._prefix, self._prefix[:-1] + chr(ord(":") + 1), now),
            ).fetchone()
            return int(count)

        return await self._run(op)

    async def ready(self) -> bool:
        try:
            return await self._run(lambda conn, now: conn.execute("SELECT 1").fetchone() == (1,))
        except Exception:
            return False

    async def close(self) -> None:
        if self._closed:
            return
        self._closed = True

        def shut() -> None:
            if self._conn is not None:
                self._conn.close()
                self._conn = None

        await asyncio.get_running_loop().run_in_executor(self._executor, shut)
        self._executor.shutdown(wait=True)
