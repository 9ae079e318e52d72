"""The consult service running for real over gRPC beside a real catalogue (SQLite, in-process
bus); consult's database is SQLite or PostgreSQL (the `db_url` fixture)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest

from govhall.catalogue import app as catalogue_app
from govhall.catalogue import testing as catalogue_world
from govhall.catalogue.settings import CatalogueSettings
from govhall.consult import app as consult_app
from govhall.consult.settings import ConsultSettings
from govhall.kit.bus import InProcessBus
from govhall.kit.caller import caller_metadata
from govhall.kit.errors import DomainError
from govhall.kit.grpcclient import domain_error
from govhall.kit.testing import caller_channel, free_port
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.common.v1 import common_pb2 as C
from govhall.protos.consult.v1 import favourites_pb2_grpc

ADMIN = C.CallerIdentity(kind=C.CALLER_KIND_ADMIN, subject="admin")
PROVINCE, CITY, COUNTY = "420000", "420500", "420502"
DEPT = "420502-SCJG"
MATTER = "420502-SCJG-0001"
OTHER_MATTER = "420502-SCJG-0002"


def person(n: int = 1, name: str = "张三") -> C.CallerIdentity:
    return C.CallerIdentity(kind=C.CALLER_KIND_PERSON, subject=f"person-{n}", name=name, real_name_level=2)


def enterprise(n: int = 1) -> C.CallerIdentity:
    return C.CallerIdentity(kind=C.CALLER_KIND_LEGAL_PERSON, subject=f"lp-{n}", name="宜昌老张餐饮有限公司")


def staff(roles: list[str], site: str = COUNTY, dept: str = DEPT, n: int = 1) -> C.CallerIdentity:
    return C.CallerIdentity(
        kind=C.CALLER_KIND_STAFF,
        subject=f"staff-{'-'.join(roles)}-{site}-{n}",
        name=f"{roles[0]}{n}",
        roles=roles,
        site_code=site,
        department_code=dept,
    )


ANONYMOUS = C.CallerIdentity(kind=C.CALLER_KIND_ANONYMOUS)


def draft(name: str) -> cat.MatterDraft:
    return catalogue_world.matter_draft(name, DEPT)


@dataclass
class World:
    catalogue: catalogue_pb2_grpc.CatalogueServiceStub
    consult_address: str
    db: Any

    def stub(self, factory: Any) -> Any:
        """A stub of one of consult's services (favourites, letters, ...)."""
        return factory(caller_channel(self.consult_address, "consult"))

    async def call(self, stub: Any, method: str, request: Any, caller: C.CallerIdentity) -> Any:
        try:
            return await getattr(stub, method)(request, metadata=caller_metadata(caller), timeout=30)
        except grpc.aio.AioRpcError as err:
            raise domain_error(err) from None

    async def fails(self, stub: Any, method: str, request: Any, caller: C.CallerIdentity) -> DomainError:
        with pytest.raises(DomainError) as info:
            await self.call(stub, method, request, caller)
        return info.value

    @property
    def favourites(self) -> favourites_pb2_grpc.FavouritesServiceStub:
        return self.stub(favourites_pb2_grpc.FavouritesServiceStub)


async def demo_sites(stub: catalogue_pb2_grpc.CatalogueServiceStub) -> None:
    """The catalogue's demo sites, parents first (loaded before consult's demo, as `make up` and
    `make run` do): consult's demo letters are filed at them."""
    from govhall.catalogue.demo import SITES

    for site in SITES:
        await stub.UpsertSite(
            cat.UpsertSiteRequest(
                code=site.code, name=site.name, level=site.level, parent_code=site.parent_code
            ),
            metadata=caller_metadata(ADMIN),
        )


async def _catalogue_world(stub: catalogue_pb2_grpc.CatalogueServiceStub) -> None:
    await catalogue_world.seed(
        stub,
        departments=[(DEPT, "西陵区市场监督管理局")],
        matters=[(MATTER, draft("食品经营许可")), (OTHER_MATTER, draft("药品零售许可"))],
    )


@pytest.fixture
async def world(start_service: Any, platform: Any, tmp_path: Path, db_url: str) -> AsyncIterator[World]:
    bus = InProcessBus()
    catalogue_address = f"127.0.0.1:{free_port()}"
    consult = await start_service(
        consult_app.SPEC,
        ConsultSettings(database_url=db_url, catalogue_address=catalogue_address, max_favourites=3),
        platform,
        bus,
    )
    catalogue = await start_service(
        catalogue_app.SPEC,
        CatalogueSettings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'c.db'}", grpc_address=catalogue_address
        ),
        platform,
        bus,
    )
    catalogue_stub = catalogue_pb2_grpc.CatalogueServiceStub(caller_channel(catalogue.address, "catalogue"))
    await _catalogue_world(catalogue_stub)
    yield World(catalogue_stub, consult.address, consult.db)
