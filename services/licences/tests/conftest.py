"""The licences service running for real over gRPC beside a real catalogue (SQLite, in-process
bus); licences' database is SQLite or PostgreSQL (the `db_url` fixture).

Licence types are written straight into licences' tables here (`World.licence_type`), so the
parts that issue and read licences do not depend on the administrators' routes that keep types.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from govhall.catalogue import app as catalogue_app
from govhall.catalogue import testing as catalogue_world
from govhall.catalogue.settings import CatalogueSettings
from govhall.kit.bus import InProcessBus
from govhall.kit.testing import ServiceCalls, caller_channel, free_port
from govhall.licences import app as licences_app
from govhall.licences import tables
from govhall.licences.settings import LicencesSettings
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.common.v1 import common_pb2 as C

PROVINCE, CITY, COUNTY = catalogue_world.PROVINCE, catalogue_world.CITY, catalogue_world.COUNTY
DEPT = "420502-SCJG"
MATTER = "420502-SCJG-0001"
# 食品经营许可证's type code and its issuer's credit code (as GB/T 36903 and 32100 shape them).
FOOD_TYPE = "11100000000013338W011"
ISSUER_CODE = "11420502MB1234567X"


def person(n: int = 1, name: str = "张三") -> C.CallerIdentity:
    return C.CallerIdentity(kind=C.CALLER_KIND_PERSON, subject=f"person-{n}", name=name, real_name_level=2)


def staff(roles: list[str], site: str = COUNTY, dept: str = DEPT, n: int = 1) -> C.CallerIdentity:
    return C.CallerIdentity(
        kind=C.CALLER_KIND_STAFF,
        subject=f"staff-{'-'.join(roles)}-{site}-{n}",
        name=f"{roles[0]}{n}",
        roles=roles,
        site_code=site,
        department_code=dept,
    )


ADMIN = catalogue_world.ADMIN
ANONYMOUS = C.CallerIdentity(kind=C.CALLER_KIND_ANONYMOUS)


class World(ServiceCalls):
    """Licences' API as the tests call it (stub, call, fails), and the world around it."""

    def __init__(
        self, catalogue: catalogue_pb2_grpc.CatalogueServiceStub, address: str, db: Any, bus: InProcessBus
    ) -> None:
        super().__init__(address, "licences")
        self.catalogue = catalogue
        self.db = db
        self.bus = bus

    async def licence_type(
        self,
        code: str = FOOD_TYPE,
        name: str = "食品经营许可证",
        matters: tuple[str, ...] = (MATTER,),
        **kw: Any,
    ) -> str:
        """A licence type issued by DEPT on `matters` (holder: legal_person unless said)."""
        async with self.db.uow() as uow:
            await uow.conn.execute(
                tables.licence_types.insert().values(
                    code=code,
                    name=name,
                    issuer_department_code=kw.get("department", DEPT),
                    issuer_name=kw.get("issuer_name", "西陵区市场监督管理局"),
                    issuer_code=kw.get("issuer_code", ISSUER_CODE),
                    holder_kind=kw.get("holder_kind", "legal_person"),
                    validity_years=kw.get("validity_years", 5),
                    fields=json.dumps(
                        kw.get(
                            "fields",
                            [
                                {"key": "business_scope", "label": "经营项目", "required": True},
                                {"key": "address", "label": "经营场所", "required": False},
                            ],
                        ),
                        ensure_ascii=False,
                    ),
                    holder_maintained=kw.get("holder_maintained", False),
                    updated_at=dt.datetime.now(dt.UTC),
                )
            )
            for matter in matters:
                await uow.conn.execute(
                    tables.type_matters.insert().values(matter_code=matter, type_code=code)
                )
            await uow.commit()
        return code


@pytest.fixture
async def world(start_service: Any, platform: Any, tmp_path: Path, db_url: str) -> AsyncIterator[World]:
    bus = InProcessBus()
    catalogue_address = f"127.0.0.1:{free_port()}"
    licences = await start_service(
        licences_app.SPEC,
        LicencesSettings(database_url=db_url, catalogue_address=catalogue_address),
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
    stub = catalogue_pb2_grpc.CatalogueServiceStub(caller_channel(catalogue.address, "catalogue"))
    await catalogue_world.seed(
        stub,
        departments=[(DEPT, "西陵区市场监督管理局")],
        matters=[(MATTER, catalogue_world.matter_draft("食品经营许可", DEPT, result_name="食品经营许可证"))],
    )
    yield World(stub, licences.address, licences.db, bus)
