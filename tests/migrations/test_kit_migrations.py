"""The kit migrates its own tables: its history runs before each service's, databases built by
the services' first migrations adopt it, later kit revisions reach them, and replicas starting
at once migrate once."""

from __future__ import annotations

import asyncio
import importlib
import os
import shutil
import sys
import textwrap
import time
from asyncio.subprocess import PIPE
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory

from govhall.kit import migrations
from govhall.kit.db import create_engine
from govhall.kit.eventstore import add_kit_tables

SERVICES = ["catalogue", "search", "identity", "cases"]

# A test-only kit revision: a harmless new outbox column, as a real kit change would add one.
_NEW_COLUMN = """
import sqlalchemy as sa
from alembic import op

revision = "kit_9001"
down_revision = "{head}"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("probe", sa.String(20), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("probe")
"""

# A test-only kit revision that says who ran it: it records its process and, on PostgreSQL,
# first waits (bounded) until the two other processes queue on the migration lock, which proves
# they all started at once; without a lock they would be running this revision beside it.
_WHO_RAN = '''
import os
import time

import sqlalchemy as sa
from alembic import op

revision = "kit_9001"
down_revision = "{head}"
branch_labels = None
depends_on = None

WAITING = """SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' AND NOT granted
  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())"""


def upgrade() -> None:
    bind = op.get_bind()
    waiting = -1
    if bind.dialect.name == "postgresql":
        deadline = time.monotonic() + 60
        while (waiting := bind.execute(sa.text(WAITING)).scalar_one()) < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
    op.create_table("migration_runs", sa.Column("pid", sa.Integer()), sa.Column("waiting", sa.Integer()))
    bind.execute(sa.text("INSERT INTO migration_runs VALUES (:p, :w)"), {"p": os.getpid(), "w": waiting})


def downgrade() -> None:
    op.drop_table("migration_runs")
'''


def _kit_with(tmp_path: Path, revision: str) -> Path:
    """A copy of the kit's migrations folder with one more revision."""
    kit = tmp_path / "kit_migrations"
    shutil.copytree(migrations.KIT_MIGRATIONS, kit, ignore=shutil.ignore_patterns("__pycache__"))
    head = ScriptDirectory.from_config(migrations._config("sqlite://", kit)).get_current_head()
    (kit / "versions" / "kit_9001_test.py").write_text(revision.replace("{head}", str(head)))
    return kit


def _folder(service: str) -> Path:
    return importlib.import_module(f"govhall.{service}.app").SPEC.migrations


def _service_head(db_url: str, service: str) -> str:
    """The newest revision of the service's own history (as written, not as hoped)."""
    head = ScriptDirectory.from_config(migrations._config(db_url, _folder(service))).get_current_head()
    assert head is not None
    return head


async def _todays_database(url: str, service: str) -> None:
    """A database as the runner built it before the kit had a history: the service's alone."""
    await asyncio.to_thread(command.upgrade, migrations._config(url, _folder(service)), "head")


async def _query(url: str, sql: str) -> list[Any]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return list((await conn.execute(sa.text(sql))).all())
    finally:
        await engine.dispose()


async def _kit_differences(url: str) -> list[Any]:
    kit = sa.MetaData()
    add_kit_tables(kit)

    def diff(conn: sa.Connection) -> list[Any]:
        opts = {"compare_type": True, "include_name": lambda n, t, _p: t != "table" or n in kit.tables}
        return list(compare_metadata(MigrationContext.configure(conn, opts=opts), kit))

    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(diff)
    finally:
        await engine.dispose()


@pytest.mark.parametrize("service", SERVICES)
async def test_databases_of_the_frozen_first_migrations_adopt_the_kit_history(
    service: str, db_url: str
) -> None:
    # The services' first migrations no longer read the kit's live tables. What they built,
    # adopted by the kit's history and brought to its head, is exactly what the kit defines now.
    first = next(iter((_folder(service) / "versions").glob("0001_*.py")))
    assert "from govhall" not in first.read_text()
    await _todays_database(db_url, service)
    await migrations.upgrade(db_url, _folder(service))
    assert await _kit_differences(db_url) == []
    kit_head = ScriptDirectory.from_config(
        migrations._config(db_url, migrations.KIT_MIGRATIONS)
    ).get_current_head()
    assert await _query(db_url, f"SELECT version_num FROM {migrations.KIT_VERSION_TABLE}") == [(kit_head,)]


async def test_a_fresh_database_runs_the_kit_history_first(db_url: str) -> None:
    await migrations.upgrade(db_url, _folder("search"))
    assert await _kit_differences(db_url) == []
    kit_head = ScriptDirectory.from_config(
        migrations._config(db_url, migrations.KIT_MIGRATIONS)
    ).get_current_head()
    assert await _query(db_url, f"SELECT version_num FROM {migrations.KIT_VERSION_TABLE}") == [(kit_head,)]
    assert await _query(db_url, "SELECT version_num FROM alembic_version") == [
        (_service_head(db_url, "search"),)
    ]


@pytest.mark.parametrize("service", ["cases", "identity"])
async def test_an_existing_database_adopts_the_kit_history_and_gets_a_new_kit_column(
    service: str, db_url: str, tmp_path: Path
) -> None:
    await _todays_database(db_url, service)
    engine = create_engine(db_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(
                sa.text(
                    "INSERT INTO outbox (event_id, subject, payload, occurred_at, attempts)"
                    " VALUES ('e-1', 's.x', :p, CURRENT_TIMESTAMP, 0)"
                ),
                {"p": b"\x01"},
            )
    finally:
        await engine.dispose()
    before = await _query(db_url, "SELECT version_num FROM alembic_version")

    await migrations.upgrade(db_url, _folder(service), kit=_kit_with(tmp_path, _NEW_COLUMN))

    assert await _query(db_url, f"SELECT version_num FROM {migrations.KIT_VERSION_TABLE}") == [("kit_9001",)]
    assert await _query(db_url, "SELECT version_num FROM alembic_version") == before
    assert await _query(db_url, "SELECT event_id, attempts, probe FROM outbox") == [("e-1", 0, None)]


_REPLICA = textwrap.dedent(
    """
    import asyncio, sys, time
    from pathlib import Path
    from govhall.kit import migrations

    url, folder, kit, ready, go = sys.argv[1:]
    Path(ready).touch()
    deadline = time.monotonic() + 120
    while not Path(go).exists():
        if time.monotonic() > deadline:
            sys.exit("never told to go")
        time.sleep(0.02)
    asyncio.run(migrations.upgrade(url, Path(folder), kit=Path(kit)))
    """
)


async def test_three_replicas_starting_at_once_migrate_once(db_url: str, tmp_path: Path) -> None:
    kit = _kit_with(tmp_path, _WHO_RAN)
    go = tmp_path / "go"
    replicas = []
    for n in range(3):
        args = [db_url, str(_folder("search")), str(kit), str(tmp_path / f"ready-{n}"), str(go)]
        replicas.append(
            await asyncio.create_subprocess_exec(
                sys.executable, "-c", _REPLICA, *args, stdout=PIPE, stderr=PIPE, env=os.environ.copy()
            )
        )
    try:
        # Each replica has imported everything before any starts: they reach the lock together.
        deadline = time.monotonic() + 120
        while not all((tmp_path / f"ready-{n}").exists() for n in range(3)):
            assert all(r.returncode is None for r in replicas), "a replica died before starting"
            assert time.monotonic() < deadline, "replicas did not get ready"
            await asyncio.sleep(0.02)
        go.touch()
        results = [await asyncio.wait_for(r.communicate(), timeout=180) for r in replicas]
    finally:
        for r in replicas:
            if r.returncode is None:
                r.kill()
    assert [r.returncode for r in replicas] == [0, 0, 0], [err.decode()[-2000:] for _out, err in results]
    runs = await _query(db_url, "SELECT pid, waiting FROM migration_runs")
    assert len(runs) == 1
    assert runs[0][0] in {r.pid for r in replicas}
    if db_url.startswith("postgresql"):
        assert runs[0][1] == 2  # the other two were queued on the lock while it ran
    assert await _query(db_url, f"SELECT version_num FROM {migrations.KIT_VERSION_TABLE}") == [("kit_9001",)]
    assert await _query(db_url, "SELECT version_num FROM alembic_version") == [
        (_service_head(db_url, "search"),)
    ]
