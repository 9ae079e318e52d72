"""Migrations once per release (issue 18): `python -m govhall.<service> migrate` migrates and
exits, and a service started with GOVHALL_MIGRATE_ON_START=false (as the chart starts them, its
hook Job migrating) does not migrate: it refuses a database behind its code and starts on one
that is up to date. On SQLite and PostgreSQL (the db_url fixture)."""

from __future__ import annotations

import asyncio
import logging
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from govhall.catalogue.app import SPEC
from govhall.catalogue.settings import CatalogueSettings
from govhall.kit import migrations
from govhall.kit.bus import InProcessBus
from govhall.kit.db import create_engine
from govhall.kit.service import DatabaseBehind, ServiceHost, run_forever
from govhall.kit.testing import wait_until


async def _tables(url: str) -> set[str]:
    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return set(await conn.run_sync(lambda c: sa.inspect(c).get_table_names()))
    finally:
        await engine.dispose()


async def test_the_migrate_command_migrates_and_returns(db_url: str) -> None:
    before = await migrations.behind(db_url, SPEC.migrations)
    assert [line.split(":")[0] for line in before] == ["kit", "service"]
    # As `python -m govhall.catalogue migrate` does: no bus, no server, no trust key.
    await asyncio.to_thread(run_forever, SPEC, CatalogueSettings(database_url=db_url), ["migrate"])
    assert await migrations.behind(db_url, SPEC.migrations) == []
    assert {"outbox", "inbox", "matters"} <= await _tables(db_url)
    # Anything else is refused rather than taken for "serve".
    with pytest.raises(SystemExit, match="usage"):
        run_forever(SPEC, CatalogueSettings(database_url=db_url), ["migrat"])


def test_the_migrate_command_exits_zero(tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'catalogue.db'}"
    env = {**os.environ, "GOVHALL_CATALOGUE_DATABASE_URL": url, "GOVHALL_VAR_DIR": str(tmp_path / "var")}
    env["GOVHALL_LOG_LEVEL"] = "INFO"
    proc = subprocess.run(
        [sys.executable, "-m", "govhall.catalogue", "migrate"],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr
    assert "database migrated to its heads" in proc.stderr
    assert asyncio.run(migrations.behind(url, SPEC.migrations)) == []


def _host(db_url: str, platform: Any, wait: float) -> ServiceHost[CatalogueSettings]:
    checking = platform.model_copy(update={"migrate_on_start": False, "migrate_wait_seconds": wait})
    return ServiceHost(SPEC, CatalogueSettings(database_url=db_url), checking, InProcessBus())


async def test_without_migrate_on_start_a_behind_database_is_refused(
    db_url: str, platform: Any, caplog: pytest.LogCaptureFixture
) -> None:
    host = _host(db_url, platform, wait=0.5)
    with caplog.at_level(logging.ERROR), pytest.raises(DatabaseBehind, match="behind"):
        await host.start()
    await host.stop()
    assert host.server is None, "it must not serve"
    refusal = [r.getMessage() for r in caplog.records if r.levelno == logging.ERROR]
    assert any("GOVHALL_MIGRATE_ON_START is false" in m and "govhall.catalogue migrate" in m for m in refusal)
    # And it migrated nothing: that is the Job's.
    assert not {"matters", "outbox"} & await _tables(db_url)


async def test_without_migrate_on_start_a_migrated_database_serves(db_url: str, platform: Any) -> None:
    await migrations.upgrade(db_url, SPEC.migrations)
    host = _host(db_url, platform, wait=0)
    try:
        assert await host.start()
    finally:
        await host.stop()


async def test_a_replica_waits_for_the_migration_job(
    db_url: str, platform: Any, caplog: pytest.LogCaptureFixture
) -> None:
    """Started before the Job finished, a replica waits (bounded) and then serves."""
    host = _host(db_url, platform, wait=60)
    caplog.set_level(logging.WARNING)
    start = asyncio.create_task(host.start())
    try:
        # It found the database behind and waits, rather than migrating or giving up.
        await wait_until(lambda: any("waiting for migrations" in r.getMessage() for r in caplog.records))
        assert not start.done()
        assert not {"matters", "outbox"} & await _tables(db_url)
        await migrations.upgrade(db_url, SPEC.migrations)
        assert await asyncio.wait_for(start, 60)
    finally:
        start.cancel()
        await host.stop()
