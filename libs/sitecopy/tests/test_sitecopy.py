"""A service's copy of the site tree: a site it lacks is asked of the catalogue and kept."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest
import sqlalchemy as sa

from govhall import sitecopy
from govhall.kit.db import Database
from govhall.kit.errors import DomainError, ErrorKind
from govhall.kit.grpcserver import GrpcServer
from govhall.kit.testing import signed_channel, verifier
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.sitecopy import CatalogueSites, SiteCopy, SiteTable, add_site_table

XILING = SiteCopy("420502", "西陵区", cat.SITE_LEVEL_COUNTY, ["420000", "420500", "420502"])
YICHANG = SiteCopy("420500", "宜昌市", cat.SITE_LEVEL_CITY, ["420000", "420500"])


class Catalogue:
    """What the catalogue knows, and who asked it."""

    def __init__(self, *sites: SiteCopy) -> None:
        self.sites = {s.code: s for s in sites}
        self.asked: list[str] = []

    async def __call__(self, code: str) -> SiteCopy | None:
        self.asked.append(code)
        return self.sites.get(code)


async def copy_in(db_url: str) -> tuple[Database, SiteTable]:
    db = Database(db_url)
    table = SiteTable(add_site_table(sa.MetaData()))
    async with db.engine.begin() as conn:
        await conn.run_sync(table.t.create)
    return db, table


async def test_a_missing_site_is_asked_for_once_and_kept(db_url: str) -> None:
    db, sites = await copy_in(db_url)
    catalogue = Catalogue(XILING, YICHANG)
    try:
        async with db.reader() as uow:
            assert await sites.get(uow, "420502") is None, "no source: the copy alone answers"
        sites.ask_when_missing(db.engine, catalogue)
        # Read-only units of work keep the answer through a writer of their own...
        async with db.reader() as uow:
            assert await sites.get(uow, "420502") == XILING
        async with db.reader() as uow:
            assert await sites.get(uow, "420502") == XILING
        assert catalogue.asked == ["420502"]
        # ...writers in their own transaction (on SQLite a second writer would wait for them).
        async with db.uow() as uow:
            assert await sites.get_many(uow, ["420500", "420502"]) == {"420500": YICHANG, "420502": XILING}
            await uow.commit()
        assert catalogue.asked == ["420502", "420500"]
        async with db.reader() as uow:
            assert await sites.get(uow, "420500") == YICHANG
        # Unknown stays unknown and is never kept; what is no site code is not even asked.
        async with db.reader() as uow:
            assert await sites.get(uow, "420599") is None
            assert await sites.get(uow, "420599") is None
            assert await sites.get(uow, "42050x") is None and await sites.get(uow, "") is None
        assert catalogue.asked == ["420502", "420500", "420599", "420599"]
        async with db.reader() as uow:
            count = await uow.conn.scalar(sa.select(sa.func.count()).select_from(sites.t))
        assert count == 2
    finally:
        await db.close()


async def test_a_copy_in_another_database_asks_its_own_catalogue(db_url: str, tmp_path: Any) -> None:
    """Several hosts of one service in a process (all-in-one, tests) share the table object."""
    db, sites = await copy_in(db_url)
    other = Database(f"sqlite+aiosqlite:///{tmp_path / 'other.db'}")
    async with other.engine.begin() as conn:
        await conn.run_sync(sites.t.create)
    sites.ask_when_missing(db.engine, Catalogue(XILING))
    try:
        async with other.reader() as uow:
            assert await sites.get(uow, "420502") is None
    finally:
        await db.close()
        await other.close()


async def test_the_event_and_an_answer_saving_one_site_at_once_both_succeed(db_url: str) -> None:
    db, sites = await copy_in(db_url)
    renamed = SiteCopy("420502", "西陵区（新）", XILING.level, XILING.path)

    async def save(site: SiteCopy) -> None:
        async with db.uow() as uow:
            await sites.save(uow, site)
            await uow.commit()

    try:
        await asyncio.gather(save(XILING), save(XILING), save(XILING))
        await save(renamed)
        async with db.reader() as uow:
            assert await sites.get(uow, "420502") == renamed
    finally:
        await db.close()


class FakeCatalogue(catalogue_pb2_grpc.CatalogueServiceServicer):
    async def GetSite(self, request: cat.GetSiteRequest, context: Any) -> cat.Site:
        if request.code == "420502":
            return cat.Site(code="420502", name="西陵区", level=cat.SITE_LEVEL_COUNTY, path=XILING.path)
        if request.code == "500500":
            raise DomainError("DB_DOWN", "secret internal detail", "内部", ErrorKind.UNAVAILABLE)
        raise DomainError("SITE_NOT_FOUND", "no such site", "站点不存在", ErrorKind.NOT_FOUND)


async def test_the_catalogue_is_asked_over_grpc() -> None:
    server = GrpcServer(
        "127.0.0.1:0",
        [
            (
                catalogue_pb2_grpc.add_CatalogueServiceServicer_to_server,
                FakeCatalogue(),
                cat.DESCRIPTOR.services_by_name["CatalogueService"].full_name,
            )
        ],
        verifier=verifier("catalogue", {"identity": {"kinds": ["service"], "methods": ["GetSite"]}}),
    )
    await server.start()
    ch = signed_channel(server.address, "catalogue", "identity")
    try:
        ask = CatalogueSites(catalogue_pb2_grpc.CatalogueServiceStub(ch), "identity")
        assert await ask("420502") == XILING
        assert await ask("420599") is None
        # Unreachable is no "not found", and the catalogue's own message stays inside.
        with pytest.raises(DomainError) as caught:
            await ask("500500")
        assert caught.value.code == "UPSTREAM_UNAVAILABLE" and caught.value.kind is ErrorKind.UNAVAILABLE
        assert "secret" not in caught.value.message
    finally:
        await ch.close()
        await server.stop(0)
    nobody = signed_channel(server.address, "catalogue", "identity")
    try:
        with pytest.raises(DomainError) as caught:
            await CatalogueSites(catalogue_pb2_grpc.CatalogueServiceStub(nobody), "identity", timeout=2)(
                "420502"
            )
        assert caught.value.code == "UPSTREAM_UNAVAILABLE"
    finally:
        await nobody.close()


async def test_a_recent_read_is_kept_for_a_few_seconds_and_a_save_here_is_seen_at_once(
    db_url: str,
) -> None:
    """Search's hot path reads a site once in RECENT_SECONDS, not once per request."""
    db, sites = await copy_in(db_url)
    clock = [1000.0]
    sites.clock = lambda: clock[0]
    renamed = SiteCopy(XILING.code, "西陵区（新）", XILING.level, XILING.path)
    try:
        assert await sites.recent(db, XILING.code) is None  # unknown: not remembered
        async with db.uow() as uow:
            await sites.save(uow, XILING)
            await uow.commit()
        assert await sites.recent(db, XILING.code) == XILING
        # Another replica's consumer renames it in the shared database: this one keeps its copy...
        async with db.uow() as uow:
            await uow.conn.execute(sa.update(sites.t).values(name=renamed.name))
            await uow.commit()
        clock[0] += sitecopy.RECENT_SECONDS - 0.1
        assert await sites.recent(db, XILING.code) == XILING
        # ...until RECENT_SECONDS have passed.
        clock[0] += 0.2
        assert await sites.recent(db, XILING.code) == renamed
        # A save in this process (its consumer, or a site asked of the catalogue) is seen at once.
        async with db.uow() as uow:
            await sites.save(uow, XILING)
            await uow.commit()
        assert await sites.recent(db, XILING.code) == XILING
    finally:
        await db.close()
