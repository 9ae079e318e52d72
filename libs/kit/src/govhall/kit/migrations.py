"""Alembic, run from code: the kit's tables first, then the service's, under one database lock.

Two histories per database:

- the kit's (`kit_migrations/`, version table `alembic_version_kit`): the tables every service
  gets from the kit, outbox and inbox. A change to them (a new outbox column) is a kit revision,
  so it reaches every service's existing databases, not only fresh ones;
- the service's own (its `migrations/` folder, version table `alembic_version`), whose env.py is
  two lines: import its metadata and call `run_env(metadata)`.

Why two version tables and not one Alembic branch beside the service's: the services' revision
ids are bare numbers ("0001") and their histories are already deployed; a kit branch in the same
table would need unique ids across all of them and a `depends_on` written into every service's
frozen first revision. Apart, each history stays linear and the order (kit first, so a service
revision may rely on the kit's tables) is the runner's, below.

`upgrade(url, folder)` brings a database to head; services call it at start-up (the prestart
step), so a fresh database needs no manual command; or, deployed by the chart, a hook Job runs
`python -m govhall.<service> migrate` once per release and the replicas only check `behind()`. Several replicas start at once: the upgrade
runs under a lock (PostgreSQL: a session advisory lock, released by the server if the holder
dies; SQLite: a file lock beside the database), so one migrates and the others, let in after it,
find the database at head.

Adding a kit revision (e.g. an outbox column): change the table in eventstore.py, then
`uv run python -m govhall.kit.migrations revision "outbox parked_at"` against a migrated database
(GOVHALL_MIGRATE_URL, default a scratch SQLite file) writes kit_migrations/versions/NNNN_*.py;
check it, and tests/migrations/test_kit_migrations.py proves fresh and existing databases agree
with eventstore.py. Never edit a revision that has shipped; never let one import live table objects.
"""

from __future__ import annotations

import asyncio
import fcntl
import os
import sys
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import async_engine_from_config, create_async_engine

KIT_MIGRATIONS = Path(__file__).resolve().parent / "kit_migrations"
KIT_VERSION_TABLE = "alembic_version_kit"
# The tables the kit's history owns: a service's autogenerate leaves them to the kit.
KIT_TABLES = frozenset({"outbox", "inbox"})
# pg_advisory_lock key for "migrating this database" (advisory locks are per database):
# the first 8 bytes of sha256("govhall.kit.migrations"), as a signed bigint.
_PG_LOCK_KEY = -0x5802_1A00_D8CA_E1B5


def _config(url: str, folder: Path) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(folder))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


async def upgrade(url: str, folder: Path, *, kit: Path = KIT_MIGRATIONS) -> None:
    """Upgrade the database at url: the kit's history to its head, then folder's to its head.

    `kit` is the kit's migrations folder (tests pass a copy with an extra revision)."""
    async with upgrade_lock(url):
        await asyncio.to_thread(command.upgrade, _config(url, kit), "head")
        await asyncio.to_thread(command.upgrade, _config(url, folder), "head")


async def behind(url: str, folder: Path, *, kit: Path = KIT_MIGRATIONS) -> list[str]:
    """What the database at url lacks of the two histories' heads, as "kit: none -> kit_0003"
    lines; [] when it is up to date. An unreachable database is an exception, not "behind"."""

    def _current(connection: sa.Connection, version_table: str) -> set[str]:
        migration = MigrationContext.configure(connection, opts={"version_table": version_table})
        return set(migration.get_current_heads())

    engine = create_async_engine(make_url(url), poolclass=sa.pool.NullPool)
    lacking = []
    try:
        async with engine.connect() as conn:
            for label, scripts, table in (
                ("kit", kit, KIT_VERSION_TABLE),
                ("service", folder, "alembic_version"),
            ):
                heads = set(ScriptDirectory.from_config(_config(url, scripts)).get_heads())
                current = await conn.run_sync(_current, table)
                if current != heads:
                    lacking.append(
                        f"{label}: {','.join(sorted(current)) or 'none'} -> {','.join(sorted(heads))}"
                    )
    finally:
        await engine.dispose()
    return lacking


@asynccontextmanager
async def upgrade_lock(url: str) -> AsyncIterator[None]:
    """Hold the database's migration lock: one upgrade at a time, whichever process runs it."""
    parsed = make_url(url)
    if parsed.drivername.startswith("postgresql"):
        # Its own connection, in autocommit: a session lock outlives no transaction of the
        # migration's, and an idle transaction is not held open for the migration's length.
        engine = create_async_engine(parsed, poolclass=sa.pool.NullPool, isolation_level="AUTOCOMMIT")
        try:
            async with engine.connect() as conn:
                await conn.execute(sa.text("SELECT pg_advisory_lock(:k)"), {"k": _PG_LOCK_KEY})
                try:
                    yield
                finally:
                    await conn.execute(sa.text("SELECT pg_advisory_unlock(:k)"), {"k": _PG_LOCK_KEY})
        finally:
            await engine.dispose()
        return
    database = parsed.database if parsed.drivername.startswith("sqlite") else None
    if not database or database == ":memory:" or database.startswith("file:"):
        yield  # a private in-memory database: nobody else can migrate it
        return
    # A file of its own, not the database: closing any descriptor of the database file would
    # drop SQLite's own POSIX locks on it in this process.
    Path(database).parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(f"{database}.migrate-lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(fd, fcntl.LOCK_UN)
    finally:
        os.close(fd)


def revision(url: str, folder: Path, message: str, rev_id: str | None = None) -> None:
    """Autogenerate a revision (for developers: compare metadata with a migrated database)."""
    command.revision(_config(url, folder), message=message, autogenerate=True, rev_id=rev_id)


def _include(skip_tables: frozenset[str], only_tables: frozenset[str] | None) -> Callable[..., bool]:
    def include_name(name: str | None, type_: str, _parents: dict[str, Any]) -> bool:
        if type_ != "table" or name is None:
            return True
        if only_tables is not None:
            return name in only_tables
        return name not in skip_tables

    return include_name


def run_env(
    metadata: sa.MetaData,
    *,
    version_table: str = "alembic_version",
    only_tables: frozenset[str] | None = None,
) -> None:
    """The body of a migrations/env.py: a service's (the defaults) or the kit's.

    Autogenerate compares only what the history owns: a service's leaves out the kit's tables
    and version table; the kit's looks at its own tables only."""
    url = context.config.get_main_option("sqlalchemy.url")
    options: dict[str, Any] = {
        "target_metadata": metadata,
        "render_as_batch": True,
        "version_table": version_table,
        "include_name": _include(KIT_TABLES | {KIT_VERSION_TABLE}, only_tables),
    }
    if context.is_offline_mode():
        context.configure(url=url, literal_binds=True, **options)
        with context.begin_transaction():
            context.run_migrations()
        return

    def _run(connection: sa.Connection) -> None:
        context.configure(connection=connection, **options)
        with context.begin_transaction():
            context.run_migrations()

    async def _main() -> None:
        engine = async_engine_from_config(
            {"sqlalchemy.url": url}, prefix="sqlalchemy.", poolclass=sa.pool.NullPool
        )
        async with engine.connect() as conn:
            await conn.run_sync(_run)
            await conn.commit()
        await engine.dispose()

    asyncio.run(_main())


def _main(argv: list[str]) -> int:
    """`python -m govhall.kit.migrations revision MESSAGE`: a new kit revision, autogenerated."""
    if len(argv) != 2 or argv[0] != "revision":
        print(__doc__, file=sys.stderr)
        return 2
    url = os.environ.get("GOVHALL_MIGRATE_URL", "sqlite+aiosqlite:///var/kit-revision.db")
    command.upgrade(_config(url, KIT_MIGRATIONS), "head")
    number = len(list((KIT_MIGRATIONS / "versions").glob("kit_*.py"))) + 1
    revision(url, KIT_MIGRATIONS, argv[1], rev_id=f"kit_{number:04d}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
