"""Search's own tables: the copy of the site tree it keeps from catalogue events, and the kit's inbox."""

from __future__ import annotations

import sqlalchemy as sa

from govhall.kit.db import UnitOfWork
from govhall.kit.outbox import add_kit_tables

metadata = sa.MetaData()

sites = sa.Table(
    "sites",
    metadata,
    sa.Column("code", sa.String(6), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    # Ancestor codes root-first, comma-joined, ending with the site's own.
    sa.Column("path", sa.String(64), nullable=False),
)

add_kit_tables(metadata)


async def save_site(uow: UnitOfWork, code: str, name: str, path: list[str]) -> None:
    values = {"name": name, "path": ",".join(path)}
    updated = await uow.conn.execute(sa.update(sites).where(sites.c.code == code).values(**values))
    if updated.rowcount == 0:
        await uow.conn.execute(sa.insert(sites).values(code=code, **values))


async def site_path(uow: UnitOfWork, code: str) -> list[str] | None:
    path = await uow.conn.scalar(sa.select(sites.c.path).where(sites.c.code == code))
    return path.split(",") if path else None
