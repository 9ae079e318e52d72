"""The catalogue service running for real (gRPC, in-process bus), on SQLite and on PostgreSQL,
with a small province: 湖北省 → 宜昌市 → 西陵区, and 武汉市 beside 宜昌市."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from typing import Any

import grpc
import pytest

from govhall.catalogue import app
from govhall.catalogue.settings import CatalogueSettings
from govhall.contracts import catalogue as contract
from govhall.kit.bus import InProcessBus
from govhall.kit.caller import caller_metadata
from govhall.kit.errors import DomainError
from govhall.kit.events import Delivery
from govhall.kit.grpcclient import domain_error
from govhall.kit.testing import caller_channel, wait_until
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.common.v1 import common_pb2


def _staff(site: str, *roles: str) -> Any:
    return caller_metadata(
        common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_STAFF, roles=roles, site_code=site)
    )


ADMIN = caller_metadata(common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_ADMIN, subject="t"))
SERVICE = caller_metadata(common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_SERVICE, subject="search"))
YICHANG_ADMIN = _staff("420500", "site_admin")
XILING_ADMIN = _staff("420502", "site_admin")
WUHAN_ADMIN = _staff("420100", "site_admin")
CLERK = _staff("420502", "window_clerk")
CITIZEN = caller_metadata(common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_PERSON, subject="p"))
ANONYMOUS: Any = ()

GUIDE_URL = "https://zwfw.example.cn/guide/{site_code}/{code}"

SITES = [
    ("420000", "湖北省", pb.SITE_LEVEL_PROVINCE, ""),
    ("420500", "宜昌市", pb.SITE_LEVEL_CITY, "420000"),
    ("420502", "西陵区", pb.SITE_LEVEL_COUNTY, "420500"),
    ("420100", "武汉市", pb.SITE_LEVEL_CITY, "420000"),
]
DEPARTMENTS = [
    ("420000-GAT", "420000", "湖北省公安厅"),
    ("420502-XZSP", "420502", "西陵区行政审批局"),
    ("420502-MZ", "420502", "西陵区民政局"),
    ("420100-SCJG", "420100", "武汉市市场监督管理局"),
]

FORM_SCHEMA = json.dumps(
    {
        "type": "object",
        "properties": {
            "applicant": {
                "type": "object",
                "title": "申请人信息",
                "properties": {"name": {"type": "string", "title": "姓名"}},
            },
            "agent": {
                "type": "object",
                "title": "代理人信息",
                "properties": {"name": {"type": "string", "title": "代理人姓名"}},
            },
        },
        "required": ["applicant"],
    },
    ensure_ascii=False,
)


def draft(name: str = "食品经营许可", dept: str = "420502-XZSP", **fields: Any) -> pb.MatterDraft:
    """A complete, valid guide; keyword arguments replace fields."""
    d = pb.MatterDraft(
        name=name,
        department_code=dept,
        audiences=[pb.AUDIENCE_PERSON],
        type=pb.MATTER_TYPE_LICENSING,
        handling_type=pb.HANDLING_TYPE_PROMISED,
        promised_limit=common_pb2.TimeLimit(value=5),
        legal_limit=common_pb2.TimeLimit(value=20),
        guide=pb.Guide(acceptance_conditions="申请人应当具有完全民事行为能力", consult_phone="0717-12345"),
        themes=["准营准办"],
        life_events=["就业"],
        materials=[
            pb.Material(
                code="M01",
                name="居民身份证",
                form=pb.MATERIAL_FORM_ORIGINAL,
                copies=1,
                necessity=pb.MATERIAL_NECESSITY_REQUIRED,
                source=pb.MATERIAL_SOURCE_LICENCE,
                licence_type_code="111000000000133381",
            ),
            pb.Material(
                code="M02",
                name="授权委托书",
                form=pb.MATERIAL_FORM_ORIGINAL,
                copies=1,
                necessity=pb.MATERIAL_NECESSITY_CONDITIONAL,
                source=pb.MATERIAL_SOURCE_APPLICANT,
                accepted_types=["pdf", "jpg"],
            ),
        ],
        situations=[
            pb.Situation(
                code="S1",
                question="是否委托他人代办？",
                options=[
                    pb.SituationOption(
                        code="S1A", label="是", material_codes=["M02"], form_sections=["agent"]
                    ),
                    pb.SituationOption(code="S1B", label="否"),
                ],
            )
        ],
        form_schema=FORM_SCHEMA,
        places=[
            pb.ServicePlace(name="西陵区政务服务中心", window="二楼 综合窗口", hours="工作日 9:00-17:00")
        ],
        online_depth=3,
        visits=1,
    )
    for key, value in fields.items():
        if isinstance(value, list):
            target = getattr(d, key)
            del target[:]
            target.extend(value)
        elif hasattr(value, "CopyFrom"):
            getattr(d, key).CopyFrom(value)
        else:
            setattr(d, key, value)
    return d


class Catalogue:
    def __init__(self, stub: catalogue_pb2_grpc.CatalogueServiceStub, bus: InProcessBus, host: Any) -> None:
        self.stub = stub
        self.bus = bus
        self.host = host
        self.events: list[Delivery] = []

    async def call(self, name: str, request: Any, metadata: Any = ADMIN) -> Any:
        return await getattr(self.stub, name)(request, metadata=metadata, timeout=30)

    async def error(self, name: str, request: Any, metadata: Any = ADMIN) -> DomainError:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await self.call(name, request, metadata)
        return domain_error(caught.value)

    async def stream(self, name: str, request: Any, metadata: Any = ADMIN) -> list[Any]:
        return [item async for item in getattr(self.stub, name)(request, metadata=metadata, timeout=60)]

    async def stream_error(self, name: str, request: Any, metadata: Any = ADMIN) -> DomainError:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await self.stream(name, request, metadata)
        return domain_error(caught.value)

    async def wait_events(self, count: int) -> list[str]:
        """The subjects published so far without their entity key (catalogue.site.upserted), once
        at least count have been (the relay runs after commit)."""
        await wait_until(lambda: len(self.events) >= count, what=f"{count} events")
        return [contract.REGISTRY[e.subject].subject for e in self.events]

    async def wait_subjects(self, prefix: str, count: int) -> list[Delivery]:
        """The events whose subject starts with prefix, once at least count have been published."""

        def enough() -> list[Delivery]:
            found = [e for e in self.events if e.subject.startswith(prefix)]
            return found if len(found) >= count else []

        return await wait_until(enough, what=f"{count} events {prefix}")

    async def create(
        self, code: str, site: str = "420502", d: pb.MatterDraft | None = None, *, publish: bool = False
    ) -> pb.Matter:
        matter = await self.call(
            "CreateMatter", pb.CreateMatterRequest(code=code, site_code=site, draft=d or draft())
        )
        if publish:
            matter = await self.publish(code, site)
        return matter

    async def publish(self, code: str, site: str = "420502", metadata: Any = ADMIN) -> pb.Matter:
        return await self.call(
            "PublishMatter", pb.ChangeMatterStatusRequest(code=code, site_code=site), metadata
        )

    async def withdraw(self, code: str, site: str = "420502", metadata: Any = ADMIN) -> pb.Matter:
        return await self.call(
            "WithdrawMatter", pb.ChangeMatterStatusRequest(code=code, site_code=site), metadata
        )

    async def update(self, code: str, d: pb.MatterDraft, site: str = "420502", **kw: Any) -> pb.Matter:
        return await self.call(
            "UpdateMatter", pb.UpdateMatterRequest(code=code, site_code=site, draft=d, **kw)
        )

    async def get(self, code: str, site: str = "420502", metadata: Any = ANONYMOUS, **kw: Any) -> pb.Matter:
        return await self.call("GetMatter", pb.GetMatterRequest(site_code=site, code=code, **kw), metadata)

    async def codes(self, metadata: Any = ANONYMOUS, **kw: Any) -> list[str]:
        kw.setdefault("site_code", "420502")
        kw.setdefault("page", common_pb2.PageRequest(page_size=100))
        reply = await self.call("ListMatters", pb.ListMattersRequest(**kw), metadata)
        return [m.code for m in reply.matters]


@pytest.fixture
async def catalogue(db_url: str, platform: Any, start_service: Any) -> AsyncIterator[Catalogue]:
    bus = InProcessBus()
    settings = CatalogueSettings(database_url=db_url, guide_url_template=GUIDE_URL)
    host = await start_service(app.SPEC, settings, platform, bus)
    ch = caller_channel(host.address, "catalogue")
    c = Catalogue(catalogue_pb2_grpc.CatalogueServiceStub(ch), bus, host)

    async def record(delivery: Delivery) -> None:
        c.events.append(delivery)

    await bus.subscribe("recorder", "catalogue.>", record)
    for code, name, level, parent in SITES:
        await c.call(
            "UpsertSite", pb.UpsertSiteRequest(code=code, name=name, level=level, parent_code=parent)
        )
    for code, site, name in DEPARTMENTS:
        await c.call("UpsertDepartment", pb.UpsertDepartmentRequest(code=code, site_code=site, name=name))
    await c.wait_events(len(SITES) + len(DEPARTMENTS))
    yield c
    await ch.close()
