"""Fresh databases already at head, for test runs: a service started in a test on an empty database
gets a copy of one migrated by the real `migrations.upgrade` instead of running every revision again.

Why: hundreds of tests each start one to three services on a fresh database (the `db_url`
fixture, and the SQLite files of the services beside it), and Alembic replaying each history
costs 0.1-0.4 s per service per test, minutes per run. The copy is made by the same upgrade, once
per migration history, so the tables a test sees are exactly what migrating would have made.

- SQLite: the template is a file migrated once per test run (a directory of the run's own), copied
  into the empty database file with SQLite's backup API (consistent whatever the journal mode).
- PostgreSQL: the template is a database migrated once per *content* of the migrations and kept
  on the server between runs (named by a hash of the migration files, so any change to a revision
  makes a new one); the test's empty database is dropped and made again with `CREATE DATABASE ...
  TEMPLATE`. Built under a name of its own and renamed into place, so two test runs (several
  worktrees share the server) never see a half-migrated template.

Only an empty database nobody else is connected to is replaced; anything else (a test that
prepared rows first, replicas starting at once) falls back to the real upgrade. Tests of the
migrations themselves call `migrations.upgrade` directly and are never touched; and
GOVHALL_TEST_REAL_MIGRATIONS=1 makes every service start run the real upgrade again.
"""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import tempfile
import uuid
from collections.abc import Callable, Mapping
from pathlib import Path

import sqlalchemy as sa
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import create_async_engine

from govhall.kit import migrations

# What decides the tables a history makes: its revisions and env.py, the kit's, and the runner.
_RUNNER = Path(migrations.__file__)


def migrations_key(folder: Path, kit: Path = migrations.KIT_MIGRATIONS) -> str:
    """A hash of every file that decides what upgrading to head makes (hex, 16 characters)."""
    digest = hashlib.sha256()
    for root in (folder, kit):
        for path in sorted(root.rglob("*.py")):
            digest.update(str(path.relative_to(root)).encode() + b"\0" + path.read_bytes() + b"\0")
    digest.update(_RUNNER.read_bytes())
    return digest.hexdigest()[:16]


class MigratedTemplates:
    """Copies of migrated databases; `restore(url, folder)` fills an empty database at url with
    folder's history at head and says whether it did (False: the caller migrates as usual).

    ``cluster`` gives the local cluster's GOVHALL_* settings (called only for PostgreSQL), whose
    superuser makes and drops databases; ``owner`` is the role the tests' databases belong to."""

    def __init__(self, cluster: Callable[[], Mapping[str, str]], owner: str = "govhall_test") -> None:
        self._cluster = cluster
        self._owner = owner
        self._directory: Path | None = None
        self._sqlite: dict[str, Path] = {}
        self._locks: dict[tuple[int, str], asyncio.Lock] = {}

    def _lock(self, key: str) -> asyncio.Lock:
        # One per event loop: each test may run in a loop of its own, and a lock is bound to one.
        return self._locks.setdefault((id(asyncio.get_running_loop()), key), asyncio.Lock())

    async def restore(self, url: str, folder: Path) -> bool:
        parsed = make_url(url)
        if parsed.drivername.startswith("sqlite"):
            return await self._restore_sqlite(url, parsed.database or "", folder)
        if parsed.drivername.startswith("postgresql") and parsed.database:
            async with self._lock(f"pg:{parsed.database}"):
                return await self._restore_pg(parsed.database, folder)
        return False

    def cleanup(self) -> None:
        import shutil

        if self._directory is not None:
            shutil.rmtree(self._directory, ignore_errors=True)

    # SQLite -----------------------------------------------------------------------------------

    async def _restore_sqlite(self, url: str, database: str, folder: Path) -> bool:
        if not database or database == ":memory:" or database.startswith("file:"):
            return False
        path = Path(database)
        async with migrations.upgrade_lock(url):  # as a real upgrade would: one at a time
            template = await self._sqlite_template(folder)
            return await asyncio.to_thread(_sqlite_copy, template, path)

    async def _sqlite_template(self, folder: Path) -> Path:
        key = migrations_key(folder)
        async with self._lock(f"sqlite:{key}"):
            if key not in self._sqlite:
                if self._directory is None:
                    self._directory = Path(tempfile.mkdtemp(prefix="govhall-migrated-"))
                template = self._directory / f"{folder.parent.name}-{key}.db"
                await migrations.upgrade(f"sqlite+aiosqlite:///{template}", folder)
                self._sqlite[key] = template
            return self._sqlite[key]

    # PostgreSQL -------------------------------------------------------------------------------

    async def _restore_pg(self, database: str, folder: Path) -> bool:
        from govhall.kit.testing import pg_url

        cluster = self._cluster()
        if not await _pg_is_untouched(pg_url(cluster, self._owner, database)):
            return False
        template = await self._pg_template(cluster, folder)
        admin = create_async_engine(pg_url(cluster, "govhall", "postgres"), isolation_level="AUTOCOMMIT")
        try:
            async with admin.connect() as conn:
                try:
                    # Without FORCE: should anyone have connected since, it stays as it is.
                    await conn.execute(sa.text(f'DROP DATABASE "{database}"'))
                except sa.exc.DBAPIError:
                    return False
                try:
                    await conn.execute(
                        sa.text(f'CREATE DATABASE "{database}" TEMPLATE "{template}" OWNER "{self._owner}"')
                    )
                except sa.exc.DBAPIError:
                    # The template went away under us (another run's clean-up): an empty one again.
                    await conn.execute(sa.text(f'CREATE DATABASE "{database}" OWNER "{self._owner}"'))
                    await conn.execute(sa.text(f'REVOKE ALL ON DATABASE "{database}" FROM PUBLIC'))
                    return False
                # A database's own privileges are not copied from its template.
                await conn.execute(sa.text(f'REVOKE ALL ON DATABASE "{database}" FROM PUBLIC'))
        finally:
            await admin.dispose()
        return True

    async def _pg_template(self, cluster: Mapping[str, str], folder: Path) -> str:
        from govhall.kit.testing import create_database, drop_database, pg_url

        name = f"govhall_tmpl_{folder.parent.name}_{migrations_key(folder)}"[:63]
        async with self._lock(f"pg-template:{name}"):
            if await _pg_exists(cluster, name):
                return name
            # Migrated under a name of its own, then renamed: the final name only ever names a
            # complete template, whichever of two concurrent runs finishes first.
            building = f"govhall_build_{uuid.uuid4().hex[:12]}"
            url = await create_database(cluster, building, self._owner)
            try:
                await migrations.upgrade(url, folder)
                admin = create_async_engine(
                    pg_url(cluster, "govhall", "postgres"), isolation_level="AUTOCOMMIT"
                )
                try:
                    async with admin.connect() as conn:
                        await conn.execute(sa.text(f'ALTER DATABASE "{building}" RENAME TO "{name}"'))
                except sa.exc.DBAPIError:
                    if not await _pg_exists(cluster, name):
                        raise
                finally:
                    await admin.dispose()
            finally:
                await drop_database(cluster, building)  # gone already when renamed
            return name


def _sqlite_copy(template: Path, path: Path) -> bool:
    """Copy template into path if path is a database with nothing in it yet (else False)."""
    if path.exists() and path.stat().st_size > 0:
        return False
    path.parent.mkdir(parents=True, exist_ok=True)
    source = sqlite3.connect(template)
    target = sqlite3.connect(path)
    try:
        source.backup(target)
    finally:
        target.close()
        source.close()
    return True


async def _pg_is_untouched(url: str) -> bool:
    """No relation in the database (so nothing a test prepared is lost) and no session in it but
    this probe's (so nobody's connection is cut: the test's own engine, a replica starting)."""
    engine = create_async_engine(url, poolclass=sa.pool.NullPool)
    try:
        async with engine.connect() as conn:
            relations = await conn.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname NOT LIKE 'pg\\_%' AND n.nspname <> 'information_schema'"
                )
            )
            others = await conn.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND pid <> pg_backend_pid()"
                )
            )
    finally:
        await engine.dispose()
    return relations == 0 and others == 0


async def _pg_exists(cluster: Mapping[str, str], name: str) -> bool:
    from govhall.kit.testing import pg_url

    admin = create_async_engine(pg_url(cluster, "govhall", "postgres"), poolclass=sa.pool.NullPool)
    try:
        async with admin.connect() as conn:
            found = await conn.scalar(sa.text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name})
    finally:
        await admin.dispose()
    return bool(found)
