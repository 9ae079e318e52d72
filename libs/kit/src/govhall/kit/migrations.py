"""Alembic, run from code: each service keeps its revisions in its own migrations/ folder.

A service's migrations/env.py is two lines: import its metadata and call `run_env(metadata)`.
`upgrade(url, folder)` brings a database to head; services call it at start-up (the
prestart step), so a fresh database needs no manual command.
"""

from __future__ import annotations

import asyncio
from pathlib import Path

import sqlalchemy as sa
from alembic import command, context
from alembic.config import Config
from sqlalchemy.ext.asyncio import async_engine_from_config


def _config(url: str, folder: Path) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(folder))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


async def upgrade(url: str, folder: Path) -> None:
    """Upgrade the database at url to the newest revision in folder."""
    await asyncio.to_thread(command.upgrade, _config(url, folder), "head")


def revision(url: str, folder: Path, message: str) -> None:
    """Autogenerate a revision (for developers: compare metadata with a migrated database)."""
    command.revision(_config(url, folder), message=message, autogenerate=True)


def run_env(metadata: sa.MetaData) -> None:
    """The body of a service's migrations/env.py."""
    url = context.config.get_main_option("sqlalchemy.url")
    if context.is_offline_mode():
        context.configure(url=url, target_metadata=metadata, literal_binds=True, render_as_batch=True)
        with context.begin_transaction():
            context.run_migrations()
        return

    def _run(connection: sa.Connection) -> None:
        context.configure(connection=connection, target_metadata=metadata, render_as_batch=True)
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


def create_kit_tables() -> None:
    """For a service's first migration: the outbox and inbox tables, as the kit defines them."""
    from alembic import op

    from govhall.kit.outbox import INBOX, OUTBOX

    for table in (OUTBOX, INBOX):
        table.create(op.get_bind())


def drop_kit_tables() -> None:
    from alembic import op

    from govhall.kit.outbox import INBOX, OUTBOX

    for table in (INBOX, OUTBOX):
        table.drop(op.get_bind())
