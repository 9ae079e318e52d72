"""A service's own copy of the site tree, kept from catalogue.site.upserted events.

Services may not read the catalogue's database, yet many need the region tree (search scopes
queries by ancestry, identity names the province/city/county of an address and scopes staff).
Each keeps this small table in its own database, filled by its consumer of `catalogue.>`.
"""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa

from govhall.kit.db import UnitOfWork
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat

SITE_UPSERTED = "catalogue.site.upserted"
PROVINCE, CITY, COUNTY = cat.SITE_LEVEL_PROVINCE, cat.SITE_LEVEL_CITY, cat.SITE_LEVEL_COUNTY


@dataclass(frozen=True)
class SiteCopy:
    code: str
    name: str
    level: int
    # Ancestor codes root-first, ending with the site's own.
    path: list[str]


def add_site_table(metadata: sa.MetaData) -> sa.Table:
    return sa.Table(
        "sites",
        metadata,
        sa.Column("code", sa.String(6), primary_key=True),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("level", sa.SmallInteger(), nullable=False, server_default="0"),
        sa.Column("path", sa.String(64), nullable=False),
    )


class SiteTable:
    def __init__(self, table: sa.Table) -> None:
        self.t = table

    async def save(self, uow: UnitOfWork, site: SiteCopy) -> None:
        values = {"name": site.name, "level": site.level, "path": ",".join(site.path)}
        updated = await uow.conn.execute(sa.update(self.t).where(self.t.c.code == site.code).values(**values))
        if updated.rowcount == 0:
            await uow.conn.execute(sa.insert(self.t).values(code=site.code, **values))

    async def get(self, uow: UnitOfWork, code: str) -> SiteCopy | None:
        row = (await uow.conn.execute(sa.select(self.t).where(self.t.c.code == code))).first()
        return SiteCopy(row.code, row.name, row.level, row.path.split(",")) if row else None

    async def get_many(self, uow: UnitOfWork, codes: list[str]) -> dict[str, SiteCopy]:
        rows = await uow.conn.execute(sa.select(self.t).where(self.t.c.code.in_(codes)))
        return {r.code: SiteCopy(r.code, r.name, r.level, r.path.split(",")) for r in rows}

    async def apply_event(self, uow: UnitOfWork, payload: bytes) -> None:
        site = cat.SiteUpserted.FromString(payload).site
        await self.save(uow, SiteCopy(site.code, site.name, site.level, list(site.path)))
