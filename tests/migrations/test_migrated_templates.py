"""The test run's migrated copies (govhall.kit.testdb) are exactly what migrating makes, replace only
an empty database nobody uses, and are told apart by the content of the migrations."""

from __future__ import annotations

import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from govhall.cases import app as cases_app
from govhall.kit import migrations
from govhall.kit.db import create_engine
from govhall.kit.testdb import MigratedTemplates, migrations_key
from govhall.kit.testing import create_database, drop_database

FOLDER = cases_app.SPEC.migrations


async def _schema(url: str) -> dict[str, Any]:
    """Every table's columns, indexes, keys and constraints, and both histories' versions."""

    def read(conn: sa.Connection) -> dict[str, Any]:
        inspector = sa.inspect(conn)
        tables: dict[str, Any] = {}
        for table in sorted(inspector.get_table_names()):
            tables[table] = {
                "columns": [
                    (c["name"], str(c["type"]), c["nullable"], str(c.get("default")))
                    for c in inspector.get_columns(table)
                ],
                "indexes": sorted(
                    (i["name"] or "", tuple(i["column_names"]), bool(i["unique"]))
                    for i in inspector.get_indexes(table)
                ),
                "primary": inspector.get_pk_constraint(table)["constrained_columns"],
                "foreign": sorted(
                    (tuple(f["constrained_columns"]), f["referred_table"])
                    for f in inspector.get_foreign_keys(table)
                ),
                "unique": sorted(tuple(u["column_names"]) for u in inspector.get_unique_constraints(table)),
            }
        for version_table in ("alembic_version", migrations.KIT_VERSION_TABLE):
            tables[version_table]["rows"] = conn.execute(
                sa.text(f"SELECT version_num FROM {version_table}")
            ).all()
        return tables

    engine = create_engine(url)
    try:
        async with engine.connect() as conn:
            return await conn.run_sync(read)
    finally:
        await engine.dispose()


@pytest.fixture
def templates(request: pytest.FixtureRequest, db_url: str) -> Iterator[MigratedTemplates]:
    """What the test run's conftest uses, of its own (the cluster only asked for on PostgreSQL)."""
    templates = MigratedTemplates(lambda: request.getfixturevalue("cluster"))
    yield templates
    templates.cleanup()


@pytest.fixture
async def migrated_url(request: pytest.FixtureRequest, db_url: str, tmp_path: Path) -> AsyncIterator[str]:
    """A second database of db_url's kind, brought to head by the real upgrade."""
    if db_url.startswith("sqlite"):
        url = f"sqlite+aiosqlite:///{tmp_path / 'migrated.db'}"
        await migrations.upgrade(url, FOLDER)
        yield url
        return
    cluster = request.getfixturevalue("cluster")
    name = f"test_{uuid.uuid4().hex[:12]}"
    url = await create_database(cluster, name, "govhall_test")
    try:
        await migrations.upgrade(url, FOLDER)
        yield url
    finally:
        await drop_database(cluster, name)


async def test_a_copy_is_what_migrating_makes(db_url: str, migrated_url: str, templates: Any) -> None:
    assert await templates.restore(db_url, FOLDER)
    copied = await _schema(db_url)
    assert "cases" in copied and copied["alembic_version"]["rows"]
    assert copied == await _schema(migrated_url)
    # At head: a real upgrade after it finds nothing to do.
    await migrations.upgrade(db_url, FOLDER)
    assert await _schema(db_url) == copied


async def test_a_database_with_something_in_it_is_left_alone(db_url: str, templates: Any) -> None:
    engine = create_engine(db_url)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.text("CREATE TABLE prepared (id INTEGER PRIMARY KEY)"))
            await conn.execute(sa.text("INSERT INTO prepared (id) VALUES (7)"))
        assert not await templates.restore(db_url, FOLDER)
        async with engine.connect() as conn:
            assert (await conn.execute(sa.text("SELECT id FROM prepared"))).all() == [(7,)]
            names = await conn.run_sync(lambda c: sa.inspect(c).get_table_names())
        assert names == ["prepared"]
    finally:
        await engine.dispose()


@pytest.mark.parametrize("db_url", ["postgres"], indirect=True)
async def test_an_empty_database_somebody_is_connected_to_is_left_alone(db_url: str, templates: Any) -> None:
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            assert not await templates.restore(db_url, FOLDER)
            assert await conn.scalar(sa.text("SELECT 1")) == 1  # the connection was not cut
            assert await conn.run_sync(lambda c: sa.inspect(c).get_table_names()) == []
    finally:
        await engine.dispose()


def test_a_changed_revision_makes_another_template(tmp_path: Path) -> None:
    copy = tmp_path / "migrations"
    shutil.copytree(FOLDER, copy)
    assert migrations_key(copy) == migrations_key(FOLDER)
    revision = sorted((copy / "versions").glob("*.py"))[-1]
    revision.write_text(revision.read_text() + "\n# changed\n")
    assert migrations_key(copy) != migrations_key(FOLDER)
