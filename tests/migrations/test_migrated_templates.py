"""The test run's migrated copies (govhall.kit.testdb) are exactly what migrating makes, replace only
an empty SQLite database, and are told apart by the content of the migrations."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from govhall.cases import app as cases_app
from govhall.kit import migrations
from govhall.kit.db import create_engine
from govhall.kit.testdb import MigratedTemplates, migrations_key

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
def templates() -> Iterator[MigratedTemplates]:
    """One of the test's own, as the test run's conftest has one."""
    templates = MigratedTemplates()
    yield templates
    templates.cleanup()


async def test_a_copy_is_what_migrating_makes(tmp_path: Path, templates: MigratedTemplates) -> None:
    migrated = f"sqlite+aiosqlite:///{tmp_path / 'migrated.db'}"
    await migrations.upgrade(migrated, FOLDER)
    for name in ("first.db", "second.db"):  # the template made, then reused
        copy = f"sqlite+aiosqlite:///{tmp_path / 'copies' / name}"
        assert await templates.restore(copy, FOLDER)
        copied = await _schema(copy)
        assert "cases" in copied and copied["alembic_version"]["rows"]
        assert copied == await _schema(migrated)
    # At head: a real upgrade after it finds nothing to do.
    await migrations.upgrade(copy, FOLDER)
    assert await _schema(copy) == copied


async def test_a_database_with_something_in_it_is_left_alone(
    db_url: str, templates: MigratedTemplates
) -> None:
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
async def test_postgresql_is_left_to_the_real_upgrade(db_url: str, templates: MigratedTemplates) -> None:
    assert not await templates.restore(db_url, FOLDER)
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
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
