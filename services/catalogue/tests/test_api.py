"""The catalogue over gRPC, on SQLite and on PostgreSQL, with its events."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
import pytest

from govhall.catalogue import app
from govhall.catalogue.settings import CatalogueSettings
from govhall.kit.bus import InProcessBus
from govhall.kit.caller import caller_metadata
from govhall.kit.events import Delivery
from govhall.kit.grpcclient import channel, domain_error
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.common.v1 import common_pb2

ADMIN = caller_metadata(common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_ADMIN, subject="t"))
YICHANG_ADMIN = caller_metadata(
    common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_STAFF, roles=["site_admin"], site_code="420500")
)
CLERK = caller_metadata(
    common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_STAFF, roles=["window_clerk"], site_code="420502")
)


class Catalogue:
    def __init__(self, stub: catalogue_pb2_grpc.CatalogueServiceStub, events: list[Delivery]) -> None:
        self.stub = stub
        self.events = events

    async def call(self, name: str, request: Any, metadata: Any = ADMIN) -> Any:
        return await getattr(self.stub, name)(request, metadata=metadata, timeout=10)

    async def error(self, name: str, request: Any, metadata: Any = ADMIN) -> Any:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await self.call(name, request, metadata)
        return domain_error(caught.value)

    async def wait_events(self, count: int) -> list[str]:
        for _ in range(200):
            if len(self.events) >= count:
                break
            await asyncio.sleep(0.02)
        return [e.subject for e in self.events]


@pytest.fixture
async def catalogue(db_url: str, platform: Any, start_service: Any) -> Any:
    bus = InProcessBus()
    events: list[Delivery] = []

    async def record(delivery: Delivery) -> None:
        events.append(delivery)

    await bus.subscribe("recorder", "catalogue.>", record)
    host = await start_service(app.SPEC, CatalogueSettings(database_url=db_url), platform, bus)
    ch = channel(host.address)
    c = Catalogue(catalogue_pb2_grpc.CatalogueServiceStub(ch), events)
    for code, name, level, parent in [
        ("420000", "湖北省", pb.SITE_LEVEL_PROVINCE, ""),
        ("420500", "宜昌市", pb.SITE_LEVEL_CITY, "420000"),
        ("420502", "西陵区", pb.SITE_LEVEL_COUNTY, "420500"),
        ("420100", "武汉市", pb.SITE_LEVEL_CITY, "420000"),
    ]:
        await c.call(
            "UpsertSite", pb.UpsertSiteRequest(code=code, name=name, level=level, parent_code=parent)
        )
    for code, site, name in [
        ("420000-GAT", "420000", "湖北省公安厅"),
        ("420502-XZSP", "420502", "西陵区行政审批局"),
        ("420100-SCJG", "420100", "武汉市市场监督管理局"),
    ]:
        await c.call("UpsertDepartment", pb.UpsertDepartmentRequest(code=code, site_code=site, name=name))
    yield c
    await ch.close()


def draft(name: str, dept: str, **kw: Any) -> pb.MatterDraft:
    d = pb.MatterDraft(
        name=name,
        department_code=dept,
        audiences=[pb.AUDIENCE_PERSON],
        type=pb.MATTER_TYPE_LICENSING,
        promised_limit=common_pb2.TimeLimit(value=5),
        legal_limit=common_pb2.TimeLimit(value=20),
        guide=pb.Guide(acceptance_conditions="申请人应当具有完全民事行为能力", consult_phone="0717-12345"),
    )
    for k, v in kw.items():
        setattr(d, k, v)
    return d


async def test_sites_know_their_ancestors(catalogue: Catalogue) -> None:
    site = await catalogue.call("GetSite", pb.GetSiteRequest(code="420502"))
    assert list(site.path) == ["420000", "420500", "420502"]
    children = await catalogue.call("ListSites", pb.ListSitesRequest(parent_code="420000"))
    assert [s.code for s in children.sites] == ["420100", "420500"]
    subjects = await catalogue.wait_events(4)
    assert subjects.count("catalogue.site.upserted") == 4


async def test_matter_lifecycle_publishes_events_in_order(catalogue: Catalogue) -> None:
    created = await catalogue.call(
        "CreateMatter",
        pb.CreateMatterRequest(code="M-1", site_code="420502", draft=draft("食品经营许可", "420502-XZSP")),
    )
    assert created.status == pb.MATTER_STATUS_DRAFT and created.revision == 1
    assert created.department_name == "西陵区行政审批局" and created.site_name == "西陵区"
    await catalogue.wait_events(4)
    assert len(catalogue.events) == 4, "creating a draft publishes nothing"

    published = await catalogue.call(
        "PublishMatter", pb.ChangeMatterStatusRequest(code="M-1", site_code="420502")
    )
    assert published.status == pb.MATTER_STATUS_PUBLISHED and published.HasField("published_at")
    updated = await catalogue.call(
        "UpdateMatter",
        pb.UpdateMatterRequest(
            code="M-1", site_code="420502", draft=draft("食品经营许可（新办）", "420502-XZSP")
        ),
    )
    assert updated.draft.name == "食品经营许可（新办）" and updated.revision == 3
    withdrawn = await catalogue.call(
        "WithdrawMatter", pb.ChangeMatterStatusRequest(code="M-1", site_code="420502")
    )
    assert withdrawn.status == pb.MATTER_STATUS_WITHDRAWN

    subjects = await catalogue.wait_events(7)
    assert subjects[4:] == [
        "catalogue.matter.published",
        "catalogue.matter.updated",
        "catalogue.matter.withdrawn",
    ]
    last = pb.MatterWithdrawn.FromString(catalogue.events[-1].payload)
    assert last.matter.revision == 4 and last.meta.event_id == catalogue.events[-1].event_id
    assert last.meta.event_type == "catalogue.matter.withdrawn" and last.meta.site_code == "420502"


async def test_a_site_sees_its_own_and_its_ancestors_matters(catalogue: Catalogue) -> None:
    for code, site, dept, name in [
        ("P-1", "420000", "420000-GAT", "居民身份证换领"),
        ("C-1", "420502", "420502-XZSP", "营业执照设立登记"),
        ("W-1", "420100", "420100-SCJG", "食品经营许可"),
    ]:
        await catalogue.call(
            "CreateMatter", pb.CreateMatterRequest(code=code, site_code=site, draft=draft(name, dept))
        )
        await catalogue.call("PublishMatter", pb.ChangeMatterStatusRequest(code=code, site_code=site))
    county = await catalogue.call("ListMatters", pb.ListMattersRequest(site_code="420502"))
    assert sorted(m.code for m in county.matters) == ["C-1", "P-1"]
    assert county.page.total == 2
    own = await catalogue.call("ListMatters", pb.ListMattersRequest(site_code="420502", own_site_only=True))
    assert [m.code for m in own.matters] == ["C-1"]
    by_name = await catalogue.call(
        "ListMatters", pb.ListMattersRequest(site_code="420502", name_contains="身份证")
    )
    assert [m.code for m in by_name.matters] == ["P-1"]
    # The province matter is visible from the county; a sibling city's matter is not.
    seen = await catalogue.call("GetMatter", pb.GetMatterRequest(site_code="420502", code="P-1"))
    assert seen.draft.name == "居民身份证换领"
    err = await catalogue.error("GetMatter", pb.GetMatterRequest(site_code="420502", code="W-1"))
    assert err.code == "MATTER_NOT_FOUND" and "不存在" in err.message_zh


async def test_paging_and_filters(catalogue: Catalogue) -> None:
    for i in range(7):
        kw = {
            "online_application": i % 2 == 0,
            "type": pb.MATTER_TYPE_PUBLIC_SERVICE if i < 3 else pb.MATTER_TYPE_LICENSING,
        }
        await catalogue.call(
            "CreateMatter",
            pb.CreateMatterRequest(
                code=f"X-{i}", site_code="420502", draft=draft(f"事项{i}", "420502-XZSP", **kw)
            ),
        )
        await catalogue.call("PublishMatter", pb.ChangeMatterStatusRequest(code=f"X-{i}", site_code="420502"))
    page2 = await catalogue.call(
        "ListMatters",
        pb.ListMattersRequest(site_code="420502", page=common_pb2.PageRequest(page=2, page_size=3)),
    )
    assert [m.code for m in page2.matters] == ["X-3", "X-4", "X-5"] and page2.page.total == 7
    online = await catalogue.call("ListMatters", pb.ListMattersRequest(site_code="420502", online_only=True))
    assert [m.code for m in online.matters] == ["X-0", "X-2", "X-4", "X-6"]
    services = await catalogue.call(
        "ListMatters", pb.ListMattersRequest(site_code="420502", type=pb.MATTER_TYPE_PUBLIC_SERVICE)
    )
    assert [m.code for m in services.matters] == ["X-0", "X-1", "X-2"]


async def test_drafts_are_hidden_from_the_public(catalogue: Catalogue) -> None:
    await catalogue.call(
        "CreateMatter",
        pb.CreateMatterRequest(code="D-1", site_code="420502", draft=draft("草稿事项", "420502-XZSP")),
    )
    anonymous: Any = ()
    err = await catalogue.error(
        "GetMatter", pb.GetMatterRequest(site_code="420502", code="D-1", include_unpublished=True), anonymous
    )
    assert err.code == "MATTER_NOT_FOUND"
    seen = await catalogue.call(
        "GetMatter", pb.GetMatterRequest(site_code="420502", code="D-1", include_unpublished=True)
    )
    assert seen.status == pb.MATTER_STATUS_DRAFT
    listed = await catalogue.call("ListMatters", pb.ListMattersRequest(site_code="420502"), anonymous)
    assert listed.page.total == 0
    err = await catalogue.error(
        "ListMatters", pb.ListMattersRequest(site_code="420502", status=pb.MATTER_STATUS_DRAFT), anonymous
    )
    assert err.code == "FORBIDDEN"


async def test_writes_are_checked_against_the_caller(catalogue: Catalogue) -> None:
    request = pb.CreateMatterRequest(code="A-1", site_code="420502", draft=draft("结婚登记", "420502-XZSP"))
    for metadata in [(), CLERK]:
        err = await catalogue.error("CreateMatter", request, metadata)
        assert err.code == "FORBIDDEN" and err.kind.http_status == 403
    # The city's site admin administers its counties.
    created = await catalogue.call("CreateMatter", request, YICHANG_ADMIN)
    assert created.code == "A-1"
    # ...but not the province's matters, even though the county can see them.
    await catalogue.call(
        "CreateMatter",
        pb.CreateMatterRequest(code="P-2", site_code="420000", draft=draft("出入境证件", "420000-GAT")),
    )
    err = await catalogue.error(
        "PublishMatter", pb.ChangeMatterStatusRequest(code="P-2", site_code="420000"), YICHANG_ADMIN
    )
    assert err.code == "FORBIDDEN"
    # Nothing changed by the refused call.
    still = await catalogue.call(
        "GetMatter", pb.GetMatterRequest(site_code="420000", code="P-2", include_unpublished=True)
    )
    assert still.status == pb.MATTER_STATUS_DRAFT and still.revision == 1


async def test_bad_input_is_refused_with_codes(catalogue: Catalogue) -> None:
    err = await catalogue.error(
        "CreateMatter",
        pb.CreateMatterRequest(code="bad code!", site_code="420502", draft=draft("x", "420502-XZSP")),
    )
    assert err.code == "MATTER_CODE_INVALID" and err.kind.http_status == 400
    err = await catalogue.error(
        "CreateMatter",
        pb.CreateMatterRequest(code="B-1", site_code="420502", draft=draft("户口迁移", "420100-SCJG")),
    )
    assert err.code == "DEPARTMENT_NOT_FOUND", "a department of another site is refused"
    err = await catalogue.error("GetSite", pb.GetSiteRequest(code="429999"))
    assert err.code == "SITE_NOT_FOUND" and err.kind.http_status == 404
    await catalogue.call(
        "CreateMatter",
        pb.CreateMatterRequest(code="B-2", site_code="420502", draft=draft("户口迁移", "420502-XZSP")),
    )
    err = await catalogue.error(
        "CreateMatter",
        pb.CreateMatterRequest(code="B-2", site_code="420502", draft=draft("户口迁移", "420502-XZSP")),
    )
    assert err.code == "MATTER_CODE_TAKEN" and err.kind.http_status == 409
    err = await catalogue.error(
        "WithdrawMatter", pb.ChangeMatterStatusRequest(code="B-2", site_code="420502")
    )
    assert err.code == "MATTER_NOT_IN_STATE" and "草稿" in err.message_zh
    err = await catalogue.error(
        "UpdateMatter",
        pb.UpdateMatterRequest(
            code="B-2", site_code="420502", draft=draft("户口迁移", "420502-XZSP"), expected_revision=9
        ),
    )
    assert err.code == "MATTER_REVISION_CONFLICT"
