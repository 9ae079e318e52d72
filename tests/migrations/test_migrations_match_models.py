"""Each service's migrations build exactly the tables its store.py describes, on both back ends."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

from govhall.kit import migrations
from govhall.kit.db import create_engine

SERVICES = ["catalogue", "search", "identity", "consult", "appointments", "licences", "crossprovince"]


@pytest.mark.parametrize("service", SERVICES)
async def test_migrations_match_models(service: str, db_url: str) -> None:
    spec = importlib.import_module(f"govhall.{service}.app").SPEC
    metadata: sa.MetaData = importlib.import_module(f"govhall.{service}.store").metadata
    await migrations.upgrade(db_url, spec.migrations)
    engine = create_engine(db_url)

    def diff(conn: sa.Connection) -> list[Any]:
        # The kit's version table is the kit history's bookkeeping, in no service's metadata.
        skip = {migrations.KIT_VERSION_TABLE}
        opts = {"compare_type": True, "include_name": lambda name, type_, _p: name not in skip}
        context = MigrationContext.configure(conn, opts=opts)
        return list(compare_metadata(context, metadata))

    try:
        async with engine.connect() as conn:
            differences = await conn.run_sync(diff)
    finally:
        await engine.dispose()
    assert differences == [], f"{service}: migrations and store.py disagree: {differences}"
