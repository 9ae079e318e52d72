"""Search end to end inside one process: catalogue events flow through the bus into the index."""

from __future__ import annotations

import asyncio
from typing import Any

import grpc
import pytest

from govhall.catalogue import app as catalogue_app
from govhall.catalogue.settings import CatalogueSettings
from govhall.kit.bus import InProcessBus
from govhall.kit.caller import caller_metadata
from govhall.kit.grpcclient import channel, domain_error
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.common.v1 import common_pb2
from govhall.protos.search.v1 import search_pb2, search_pb2_grpc
from govhall.search import app as search_app
from govhall.search.settings import SearchSettings

ADMIN = caller_metadata(common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_ADMIN))


async def eventually(check: Any, timeout: float = 5.0) -> Any:
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        result = await check()
        if result or asyncio.get_running_loop().time() > deadline:
            return result
        await asyncio.sleep(0.05)


@pytest.fixture
async def stack(db_url: str, platform: Any, start_service: Any, tmp_path: Any) -> Any:
    bus = InProcessBus()
    search = await start_service(search_app.SPEC, SearchSettings(database_url=db_url), platform, bus)
    catalogue = await start_service(
        catalogue_app.SPEC,
        CatalogueSettings(database_url=f"sqlite+aiosqlite:///{tmp_path / 'cat.db'}"),
        platform,
        bus,
    )
    cch, sch = channel(catalogue.address), channel(search.address)
    yield catalogue_pb2_grpc.CatalogueServiceStub(cch), search_pb2_grpc.SearchServiceStub(sch)
    await cch.close()
    await sch.close()


async def test_published_matters_become_searchable_and_withdrawn_ones_vanish(stack: Any) -> None:
    catalogue, search = stack
    for code, name, level, parent in [
        ("420000", "湖北省", cat.SITE_LEVEL_PROVINCE, ""),
        ("420500", "宜昌市", cat.SITE_LEVEL_CITY, "420000"),
        ("420502", "西陵区", cat.SITE_LEVEL_COUNTY, "420500"),
    ]:
        await catalogue.UpsertSite(
            cat.UpsertSiteRequest(code=code, name=name, level=level, parent_code=parent), metadata=ADMIN
        )
    await catalogue.UpsertDepartment(
        cat.UpsertDepartmentRequest(code="D1", site_code="420000", name="湖北省市场监督管理局"),
        metadata=ADMIN,
    )
    draft = cat.MatterDraft(
        name="食品经营许可",
        department_code="D1",
        audiences=[cat.AUDIENCE_LEGAL_PERSON],
        type=cat.MATTER_TYPE_LICENSING,
    )
    await catalogue.CreateMatter(
        cat.CreateMatterRequest(code="F1", site_code="420000", draft=draft), metadata=ADMIN
    )
    await catalogue.PublishMatter(
        cat.ChangeMatterStatusRequest(code="F1", site_code="420000"), metadata=ADMIN
    )

    async def found() -> list[str]:
        try:
            reply = await search.SearchMatters(
                search_pb2.SearchMattersRequest(site_code="420502", query="食品经营")
            )
        except grpc.aio.AioRpcError:
            return []
        return [h.code for h in reply.hits]

    assert await eventually(found) == ["F1"]
    reply = await search.SearchMatters(search_pb2.SearchMattersRequest(site_code="420502", query="食品经营"))
    hit = reply.hits[0]
    assert (hit.name, hit.site_name, hit.department_name) == (
        "食品经营许可",
        "湖北省",
        "湖北省市场监督管理局",
    )

    await catalogue.WithdrawMatter(
        cat.ChangeMatterStatusRequest(code="F1", site_code="420000"), metadata=ADMIN
    )

    async def gone() -> bool:
        return await found() == []

    assert await eventually(gone)


async def test_bad_queries_and_unknown_sites(stack: Any) -> None:
    _, search = stack
    for request, code in [
        (search_pb2.SearchMattersRequest(site_code="420502", query="   "), "QUERY_EMPTY"),
        (search_pb2.SearchMattersRequest(site_code="420502", query="长" * 101), "QUERY_TOO_LONG"),
        (search_pb2.SearchMattersRequest(site_code="999999", query="护照"), "SITE_NOT_FOUND"),
    ]:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            await search.SearchMatters(request)
        assert domain_error(caught.value).code == code
