"""Fresh SQLite databases already at head, for test runs: a service started in a test on an empty
SQLite file gets a copy of one migrated by the real `migrations.upgrade` instead of running every
revision again.

Why: hundreds of tests each start one to eight services in process, most of them on SQLite files
of their own (the `db_url` fixture's SQLite half, and the services beside the one under test in
both halves), and Alembic replaying each history costs 0.07-0.4 s per service per start. The copy
is made by the same upgrade, once per migration history and test run (a directory of the run's
own), and copied with SQLite's backup API (consistent whatever the journal mode), so the tables a
test sees are exactly what migrating would have made.

Not PostgreSQL: a test's database is made by the `db_url` fixture before anyone knows which
history it will get, and replacing it with a copy of a migrated template (DROP DATABASE, which
forces a checkpoint, then CREATE DATABASE ... TEMPLATE) measured 0.15-0.37 s against 0.16-0.23 s
for upgrading it: no gain.

Only an empty database file is replaced, under the same file lock a real upgrade takes; anything
else (a test that prepared rows first) is left to the real upgrade. Tests of the migrations
themselves call `migrations.upgrade` directly and are never touched; and
GOVHALL_TEST_REAL_MIGRATIONS=1 makes every service start run the real upgrade again.
"""

from __future__ import annotations

import asyncio
import hashlib
import sqlite3
import tempfile
from pathlib import Path

from sqlalchemy.engine import make_url

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
    """Copies of migrated databases; `restore(url, folder)` fills an empty SQLite database at url
    with folder's history at head and says whether it did (False, and for any other database: the
    caller migrates as usual)."""

    def __init__(self) -> None:
        self._directory: Path | None = None
        self._sqlite: dict[str, Path] = {}
        self._locks: dict[tuple[int, str], asyncio.Lock] = {}

    def _lock(self, key: str) -> asyncio.Lock:
        # One per event loop: each test may run in a loop of its own, and a lock is bound to one.
        return self._locks.setdefault((id(asyncio.get_running_loop()), key), asyncio.Lock())

    async def restore(self, url: str, folder: Path) -> bool:
        parsed = make_url(url)
        if not parsed.drivername.startswith("sqlite"):
            return False
        return await self._restore_sqlite(url, parsed.database or "", folder)

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
