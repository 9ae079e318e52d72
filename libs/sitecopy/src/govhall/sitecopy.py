"""A service's own copy of the site tree, kept from the catalogue's site events.

Services may not read the catalogue's database, yet many need the region tree (search scopes
queries by ancestry, identity names the province/city/county of an address and scopes staff).
Each keeps this small table in its own database, filled by one line at start,
`sitecopy.subscribe(ctx, sites, durable=...)`: a durable consumer of the pattern the catalogue's
registry declares (`catalogue.site.upserted.<code>`, `govhall.contracts.catalogue`), each event's
type checked by `kit.events.decode`. The catalogue's stream keeps every site's last event with no
age limit (`kit.streams`), so a consumer started at any time builds the whole tree.

Why a library of its own (govhall-sitecopy) and not the kit: it is the catalogue's contract
(its messages, its GetSite) put to use with the kit's plumbing (database, bus, errors); the kit
depends on no service's contract, and the contract package (govhall-protos) on no kit.

Events arrive a moment after the catalogue's write (and a copy started late, or restored from
a backup, may have missed some): so a site the copy lacks is asked of the catalogue before it is
called unknown, and the answer is kept. A service turns this on with `SiteTable.ask_when_missing`.
"""

from __future__ import annotations

import logging
import re
import time
import weakref
from collections.abc import Awaitable, Callable
from dataclasses import dataclass

import grpc
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncEngine

from govhall.contracts import catalogue as contract
from govhall.kit.db import Database, UnitOfWork
from govhall.kit.dialect import upsert
from govhall.kit.errors import DomainError, ErrorKind
from govhall.kit.events import Delivery, decode
from govhall.kit.eventstore import idempotent
from govhall.kit.grpcclient import call_options
from govhall.kit.service import ServiceContext
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.common.v1 import common_pb2

log = logging.getLogger(__name__)

PROVINCE, CITY, COUNTY = cat.SITE_LEVEL_PROVINCE, cat.SITE_LEVEL_CITY, cat.SITE_LEVEL_COUNTY
SITE_CODE = re.compile(r"^\d{6}$")
# A hot read path that needs a site alone (search scopes every query by one) takes the copy it
# read this recently instead of a database round trip per request (a tenth of search's CPU). The
# copy already trails the catalogue by an event's delivery, and a site's name or place in the
# tree changes a few times a year; a change saved by this process is seen at once.
RECENT_SECONDS = 5.0
RECENT_MAX = 4096  # sites remembered per database (a province has about 150)


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


# Where a copy asks for a site it lacks: CatalogueSites, or a fake in tests.
SiteSource = Callable[[str], Awaitable["SiteCopy | None"]]


class CatalogueSites:
    """Asks the catalogue (gRPC GetSite) for one site: None when it has no such site."""

    def __init__(
        self, stub: catalogue_pb2_grpc.CatalogueServiceStub, service: str, timeout: float = 5.0
    ) -> None:
        self._stub = stub
        self._caller = common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_SERVICE, subject=service)
        self._timeout = timeout

    async def __call__(self, code: str) -> SiteCopy | None:
        try:
            site = await self._stub.GetSite(
                cat.GetSiteRequest(code=code), **call_options(self._caller, self._timeout)
            )
        except grpc.aio.AioRpcError as err:
            if err.code() in (grpc.StatusCode.NOT_FOUND, grpc.StatusCode.INVALID_ARGUMENT):
                return None
            # Unknown is not the same as unreachable: the caller gets "try again", never "not
            # found", and never the catalogue's own message.
            log.warning("the catalogue could not be asked for site %s: %s", code, err.code().name)
            raise DomainError(
                "UPSTREAM_UNAVAILABLE",
                "the site directory cannot be reached; try again later",
                "站点目录暂时无法访问，请稍后再试",
                ErrorKind.UNAVAILABLE,
            ) from None
        return SiteCopy(site.code, site.name, site.level, list(site.path))


class SiteTable:
    def __init__(self, table: sa.Table) -> None:
        self.t = table
        # Per database engine, not per process: in all-in-one mode and in tests several hosts
        # of one service share this module-level table object, each with its own catalogue.
        self._sources: weakref.WeakKeyDictionary[AsyncEngine, SiteSource] = weakref.WeakKeyDictionary()
        self._recent: weakref.WeakKeyDictionary[AsyncEngine, dict[str, tuple[float, SiteCopy]]] = (
            weakref.WeakKeyDictionary()
        )
        self.clock: Callable[[], float] = time.monotonic  # what RECENT_SECONDS are counted on

    def ask_when_missing(self, engine: AsyncEngine, source: SiteSource) -> None:
        """Sites missing from the copy in this database are asked of source and kept."""
        self._sources[engine] = source

    async def save(self, uow: UnitOfWork, site: SiteCopy) -> None:
        # An upsert: the event consumer and a request that asked the catalogue may save the
        # same site at once, and neither may fail on the other's row.
        values = {"code": site.code, "name": site.name, "level": site.level, "path": ",".join(site.path)}
        await uow.conn.execute(upsert(uow, self.t, values, key=["code"]))
        self._recent.get(uow.engine, {}).pop(site.code, None)

    async def recent(self, db: Database, code: str) -> SiteCopy | None:
        """The site as `get` reads it in a reader of its own, or as read within RECENT_SECONDS."""
        kept = self._recent.setdefault(db.engine, {})
        now = self.clock()
        hit = kept.get(code)
        if hit is not None and hit[0] > now:
            return hit[1]
        async with db.reader() as uow:
            site = await self.get(uow, code)
        if site is not None:
            if len(kept) >= RECENT_MAX:
                kept.clear()
            kept[code] = (now + RECENT_SECONDS, site)
        return site

    async def get(self, uow: UnitOfWork, code: str) -> SiteCopy | None:
        return (await self.get_many(uow, [code])).get(code)

    async def get_many(self, uow: UnitOfWork, codes: list[str]) -> dict[str, SiteCopy]:
        rows = await uow.conn.execute(sa.select(self.t).where(self.t.c.code.in_(codes)))
        found = {r.code: SiteCopy(r.code, r.name, r.level, r.path.split(",")) for r in rows}
        source = self._sources.get(uow.engine)
        missing = sorted({c for c in codes if c not in found and SITE_CODE.match(c)})
        if source is None or not missing:
            return found
        asked = {code: site for code in missing if (site := await source(code)) is not None}
        if asked:
            await self._keep(uow, list(asked.values()))
            found.update(asked)
        return found

    async def _keep(self, uow: UnitOfWork, sites: list[SiteCopy]) -> None:
        log.info("site copy lacked %s: asked the catalogue", ", ".join(s.code for s in sites))
        if not uow.read_only:
            # Inside the caller's transaction: on SQLite it holds the only write lock.
            for site in sites:
                await self.save(uow, site)
            return
        # A reader cannot write; a writer of its own does (under WAL a reader holds no lock).
        async with UnitOfWork(uow.engine) as writer:
            for site in sites:
                await self.save(writer, site)
            await writer.commit()

    async def apply(self, uow: UnitOfWork, event: cat.SiteUpserted) -> None:
        site = event.site
        await self.save(uow, SiteCopy(site.code, site.name, site.level, list(site.path)))


async def subscribe(ctx: ServiceContext, sites: SiteTable, durable: str) -> None:
    """Keep `sites` in ctx's database from the catalogue's site events (a durable consumer)."""

    async def apply(uow: UnitOfWork, delivery: Delivery) -> None:
        message = decode(delivery, contract.REGISTRY, durable)
        if isinstance(message, cat.SiteUpserted):
            await sites.apply(uow, message)

    await ctx.bus.subscribe(durable, contract.SITE_UPSERTED.pattern, idempotent(ctx.db.uow, durable, apply))
