"""Async SQLAlchemy engines and the unit of work.

One engine per service. PostgreSQL in the cluster, SQLite (WAL) in all-in-one mode; the same
code runs on both. A unit of work is one transaction: the domain change and the outbox rows
for the events it raises commit together, or not at all.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from types import TracebackType
from typing import Any

import sqlalchemy as sa
from sqlalchemy import event as sa_event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from govhall.kit.events import Event
from govhall.kit.eventstore import OUTBOX, outbox_row

log = logging.getLogger(__name__)


# Execution option marking a connection that only reads (SQLite then begins without the write lock).
READ_ONLY = "govhall_read_only"


def create_engine(url: str, *, pool_size: int = 10) -> AsyncEngine:
    if url.startswith("sqlite"):
        engine = create_async_engine(url, connect_args={"timeout": 30})

        @sa_event.listens_for(engine.sync_engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # WAL lets the relay read while a request writes; foreign keys are off by default.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.close()

        @sa_event.listens_for(engine.sync_engine, "begin")
        def _sqlite_begin(conn: Any) -> None:
            # A writer takes the write lock at BEGIN, so two writers queue instead of one failing
            # mid-transaction. A reader begins deferred: under WAL it never waits for a writer.
            if conn.get_execution_options().get(READ_ONLY):
                conn.exec_driver_sql("BEGIN")
            else:
                conn.exec_driver_sql("BEGIN IMMEDIATE")

        # pysqlite's own transaction handling must be off for the BEGIN above to be ours.
        @sa_event.listens_for(engine.sync_engine, "connect", insert=True)
        def _sqlite_autocommit(dbapi_conn: Any, _record: Any) -> None:
            dbapi_conn.isolation_level = None

        return engine
    engine = create_async_engine(url, pool_size=pool_size, max_overflow=pool_size)
    _check_on_checkout(engine)
    return engine


#: A pooled connection idle longer than this is pinged before it is handed out (a firewall or
#: proxy may have dropped it silently); one used more recently is not.
IDLE_PING_SECONDS = 10.0


def _check_on_checkout(engine: AsyncEngine) -> None:
    """The pool's pre-ping, without its round trips on a busy connection (issue 20: asyncpg's
    ping is BEGIN, an empty query and ROLLBACK, three round trips on every checkout, a third of a
    submission's). A connection the server closed (a restart, pg_terminate_backend, an idle
    timeout) is known without asking: asyncpg reads the server's goodbye and closes it. One idle
    longer than IDLE_PING_SECONDS is pinged all the same. Either way the pool replaces it before
    the request sees it (DisconnectionError on checkout makes the pool connect again)."""

    @sa_event.listens_for(engine.sync_engine, "checkin")
    def _checked_in(_dbapi_conn: Any, record: Any) -> None:
        record.info["govhall_idle_since"] = time.monotonic()

    @sa_event.listens_for(engine.sync_engine, "checkout")
    def _checked_out(dbapi_conn: Any, record: Any, proxy: Any) -> None:
        driver = proxy.driver_connection
        if driver is not None and driver.is_closed():
            raise sa.exc.DisconnectionError("the server closed this pooled connection")
        idle_since = record.info.get("govhall_idle_since")
        if idle_since is not None and time.monotonic() - idle_since > IDLE_PING_SECONDS:
            try:
                dbapi_conn.ping()
            except Exception as exc:
                raise sa.exc.DisconnectionError("a pooled connection did not answer its ping") from exc


# SQLSTATEs ensure_database tells apart.
_INVALID_CATALOG_NAME = "3D000"  # the database does not exist
_INSUFFICIENT_PRIVILEGE = "42501"


def _sqlstate(exc: BaseException) -> str | None:
    """The SQLSTATE of a driver error: asyncpg's own (SQLAlchemy lets those of a connection
    attempt through) or one SQLAlchemy wraps (asyncpg's then is the cause)."""
    orig = getattr(exc, "orig", None)
    for err in (exc, orig, getattr(orig, "__cause__", None)):
        code = getattr(err, "sqlstate", None) or getattr(err, "pgcode", None)
        if code:
            return str(code)
    return None


class DatabaseMissing(RuntimeError):
    """The service's database does not exist and its role may not create it."""


async def ensure_database(url: str) -> None:
    """Create the PostgreSQL database named in url if it is missing (SQLite creates itself).

    A service's role normally owns a database an administrator made for it (deploy/local, the
    chart) and may not create databases: the database is looked for first by connecting to it,
    so an existing one needs no privilege at all; a missing one is created if the role may, and
    otherwise `DatabaseMissing` says which database to create for which role.
    """
    parsed = make_url(url)
    if not parsed.drivername.startswith("postgresql"):
        return
    probe = create_async_engine(parsed, poolclass=sa.pool.NullPool)
    try:
        async with probe.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))
        return
    except Exception as exc:
        if _sqlstate(exc) != _INVALID_CATALOG_NAME:
            raise
    finally:
        await probe.dispose()
    admin = create_async_engine(parsed.set(database="postgres"), isolation_level="AUTOCOMMIT")
    try:
        async with admin.connect() as conn:
            exists = await conn.scalar(
                sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": parsed.database}
            )
            if not exists:
                await conn.execute(sa.text(f'CREATE DATABASE "{parsed.database}"'))
    except Exception as exc:
        if _sqlstate(exc) != _INSUFFICIENT_PRIVILEGE:
            raise
        raise DatabaseMissing(
            f"database {parsed.database!r} does not exist and role {parsed.username!r} may not create it: "
            f"create it as an administrator, owned by {parsed.username!r} (deploy/local/start.sh does)"
        ) from None
    finally:
        await admin.dispose()


async def ping(engine: AsyncEngine) -> bool:
    try:
        async with engine.connect() as conn:
            await conn.execute(sa.text("SELECT 1"))
        return True
    except Exception:  # readiness reports it; the cause is in the driver's own log line
        log.warning("database ping failed", exc_info=True)
        return False


class UnitOfWork:
    """One transaction. Use as `async with uow_factory() as uow:`; call `await uow.commit()`.

    Leaving the block without commit rolls back. Events emitted with `emit` are written to the
    outbox in the same transaction; after a successful commit `on_commit` wakes the relay.
    """

    def __init__(
        self,
        engine: AsyncEngine,
        on_commit: Callable[[], None] | None = None,
        *,
        read_only: bool = False,
        transaction: bool = True,
    ) -> None:
        self._engine = engine
        self._on_commit = on_commit
        self._read_only = read_only
        # PostgreSQL only: SQLite is in-process (no round trips to save) and its reader's
        # transaction is what keeps several reads on one snapshot.
        self._autocommit = not transaction and engine.dialect.name == "postgresql"
        self._conn: AsyncConnection | None = None
        self._events: list[Event] = []

    @property
    def engine(self) -> AsyncEngine:
        return self._engine

    @property
    def read_only(self) -> bool:
        return self._read_only

    @property
    def conn(self) -> AsyncConnection:
        if self._conn is None:
            raise RuntimeError("unit of work used outside its `async with` block")
        return self._conn

    async def __aenter__(self) -> UnitOfWork:
        self._conn = await self._engine.connect()
        if self._read_only:
            await self._conn.execution_options(**{READ_ONLY: True})
        if self._autocommit:
            await self._conn.execution_options(isolation_level="AUTOCOMMIT")
        await self._conn.begin()
        return self

    async def __aexit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        conn, self._conn = self._conn, None
        if conn is None:
            return
        try:
            if conn.in_transaction():
                await conn.rollback()
        finally:
            await asyncio.shield(conn.close())

    def emit(self, event: Event) -> None:
        if self._read_only:
            raise RuntimeError("a read-only unit of work cannot emit events")
        self._events.append(event)

    async def commit(self) -> None:
        if self._events:
            await self.conn.execute(sa.insert(OUTBOX), [outbox_row(e) for e in self._events])
        await self.conn.commit()
        had_events, self._events = bool(self._events), []
        if had_events and self._on_commit:
            self._on_commit()


class Database:
    """A service's engine and the factory for its units of work."""

    def __init__(self, url: str, *, pool_size: int = 10) -> None:
        self.url = url
        self.engine = create_engine(url, pool_size=pool_size)
        self._commit_listeners: list[Callable[[], None]] = []

    def on_commit(self, listener: Callable[[], None]) -> None:
        self._commit_listeners.append(listener)

    def _committed(self) -> None:
        for listener in self._commit_listeners:
            listener()

    def uow(self) -> UnitOfWork:
        return UnitOfWork(self.engine, self._committed)

    def reader(self, *, transaction: bool = True) -> UnitOfWork:
        """A unit of work that only reads (on SQLite it takes no write lock).

        ``transaction=False``: on PostgreSQL each statement runs on its own, with no BEGIN and
        ROLLBACK round trips around them (issue 20: two of a read's three). For reads that need
        nothing of a transaction: under READ COMMITTED each statement of one takes its own
        snapshot anyway, but SET LOCAL, advisory transaction locks and cursors need one."""
        return UnitOfWork(self.engine, read_only=True, transaction=transaction)

    async def close(self) -> None:
        await self.engine.dispose()
