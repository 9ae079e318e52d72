"""Search through gRPC, in one process with the catalogue: catalogue events flow through the bus
into the index, and a reindex rebuilds it from the catalogue's export stream.

Each test runs twice: on the embedded back ends (SQLite, the embedded index, hot words in the
key-value file under var/) and on the cluster's (PostgreSQL, Elasticsearch, Redis), each with names of its own.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import grpc
import pytest
import sqlalchemy as sa

from govhall.catalogue import app as catalogue_app
from govhall.catalogue.settings import CatalogueSettings
from govhall.kit.bus import InProcessBus
from govhall.kit.caller import caller_metadata
from govhall.kit.grpcclient import domain_error
from govhall.kit.service import ServiceHost
from govhall.kit.settings import PlatformSettings
from govhall.kit.testing import (
    as_service,
    caller_channel,
    create_database,
    drop_database,
    es_auth,
    redis_credentials,
    wait_until,
)
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.common.v1 import common_pb2
from govhall.protos.search.v1 import search_pb2 as pb
from govhall.protos.search.v1 import search_pb2_grpc
from govhall.search import app as search_app
from govhall.search import store as search_store
from govhall.search.settings import SearchSettings

ADMIN = caller_metadata(common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_ADMIN, subject="admin"))
PERSON = caller_metadata(common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_PERSON, subject="p1"))
PROVINCE, CITY, COUNTY, OTHER_CITY = "420000", "420500", "420502", "420100"
Phase = pb.ReindexProgress.Phase


@dataclass
class Stack:
    catalogue: catalogue_pb2_grpc.CatalogueServiceStub
    search: search_pb2_grpc.SearchServiceStub
    mode: str
    search_host: ServiceHost | None = None


@pytest.fixture
async def make_stack(
    request: pytest.FixtureRequest, tmp_path: Path
) -> AsyncIterator[Callable[..., Awaitable[Stack]]]:
    """Start the catalogue and search in this process on one in-process bus."""
    hosts: list[ServiceHost] = []
    channels: list[grpc.aio.Channel] = []
    cleanups: list[Callable[[], Awaitable[None]]] = []

    async def start(mode: str, *, redis_url: str | None = None) -> Stack:
        bus = InProcessBus()
        run = uuid.uuid4().hex[:10]
        embedded = PlatformSettings(
            var_dir=tmp_path / "var", nats_url=None, redis_url=None, elasticsearch_url=None
        )
        catalogue = ServiceHost(
            catalogue_app.SPEC,
            CatalogueSettings(database_url=f"sqlite+aiosqlite:///{tmp_path / f'cat-{run}.db'}"),
            embedded,
            bus,
        )
        await catalogue.start()
        hosts.append(catalogue)
        alias = f"test-{run}-search"
        namespace = f"test-{run}"
        if mode == "embedded":
            platform = PlatformSettings(
                var_dir=tmp_path / f"var-{run}", nats_url=None, redis_url=redis_url, elasticsearch_url=None
            )
            database_url = f"sqlite+aiosqlite:///{tmp_path / f'search-{run}.db'}"
        else:
            cluster = request.getfixturevalue("cluster")
            # As the search service runs: its own database role, Redis user and Elasticsearch user.
            platform = as_service(
                PlatformSettings(
                    var_dir=tmp_path / f"var-{run}", nats_url=None, redis_url=None, elasticsearch_url=None
                ),
                cluster,
                "search",
            )
            if redis_url:
                platform = platform.model_copy(update={"redis_url": redis_url})
            database_url = await create_database(cluster, f"test_{run}", "govhall_search")
            cleanups.append(lambda: drop_database(cluster, f"test_{run}"))
            cleanups.append(lambda: _delete_indices(cluster, alias))
            cleanups.append(lambda: _delete_keys(cluster, namespace))
        search = ServiceHost(
            search_app.SPEC,
            SearchSettings(
                database_url=database_url,
                index_alias=alias,
                kv_namespace=namespace,
                catalogue_address=catalogue.address,
            ),
            platform,
            bus,
        )
        await search.start()
        hosts.append(search)
        cch, sch = caller_channel(catalogue.address, "catalogue"), caller_channel(search.address, "search")
        channels.extend([cch, sch])
        return Stack(
            catalogue_pb2_grpc.CatalogueServiceStub(cch), search_pb2_grpc.SearchServiceStub(sch), mode, search
        )

    yield start
    for ch in channels:
        await ch.close()
    for host in reversed(hosts):
        await host.stop()
    for cleanup in cleanups:
        await cleanup()


async def _delete_indices(cluster: dict[str, str], alias: str) -> None:
    from elasticsearch import AsyncElasticsearch

    async with AsyncElasticsearch(cluster["GOVHALL_ELASTICSEARCH_URL"], basic_auth=es_auth(cluster)) as es:
        await es.options(ignore_status=404).indices.delete(index=f"{alias}-*")


async def _delete_keys(cluster: dict[str, str], namespace: str) -> None:
    import redis.asyncio as redis

    client = redis.from_url(cluster["GOVHALL_REDIS_URL"], **redis_credentials(cluster))
    try:
        keys = [key async for key in client.scan_iter(match=f"{namespace}:*")]
        if keys:
            await client.delete(*keys)
    finally:
        await client.aclose()


@pytest.fixture(params=["embedded", "elasticsearch"])
async def stack(request: pytest.FixtureRequest, make_stack: Callable[..., Awaitable[Stack]]) -> Stack:
    return await make_stack(request.param)


# -- catalogue helpers ----------------------------------------------------------------------


async def seed_sites(catalogue: catalogue_pb2_grpc.CatalogueServiceStub) -> None:
    for code, name, level, parent in [
        (PROVINCE, "湖北省", cat.SITE_LEVEL_PROVINCE, ""),
        (CITY, "宜昌市", cat.SITE_LEVEL_CITY, PROVINCE),
        (COUNTY, "西陵区", cat.SITE_LEVEL_COUNTY, CITY),
        (OTHER_CITY, "武汉市", cat.SITE_LEVEL_CITY, PROVINCE),
    ]:
        await catalogue.UpsertSite(
            cat.UpsertSiteRequest(code=code, name=name, level=level, parent_code=parent), metadata=ADMIN
        )
    for code, site, name in [
        ("D1", PROVINCE, "湖北省市场监督管理局"),
        ("D2", COUNTY, "西陵区行政审批局"),
        ("D3", OTHER_CITY, "武汉市市场监督管理局"),
    ]:
        await catalogue.UpsertDepartment(
            cat.UpsertDepartmentRequest(code=code, site_code=site, name=name), metadata=ADMIN
        )


async def publish_matter(
    catalogue: catalogue_pb2_grpc.CatalogueServiceStub,
    code: str,
    site: str,
    name: str,
    department: str,
    *,
    type: int = cat.MATTER_TYPE_LICENSING,
    audiences: tuple[int, ...] = (cat.AUDIENCE_LEGAL_PERSON,),
    online: bool = False,
) -> None:
    draft = cat.MatterDraft(
        name=name,
        department_code=department,
        audiences=list(audiences),  # type: ignore[arg-type]
        type=type,  # type: ignore[arg-type]
        online_application=online,
        handling_type=cat.HANDLING_TYPE_INSTANT,
        online_depth=3 if online else 1,
    )
    await catalogue.CreateMatter(
        cat.CreateMatterRequest(code=code, site_code=site, draft=draft), metadata=ADMIN
    )
    await catalogue.PublishMatter(cat.ChangeMatterStatusRequest(code=code, site_code=site), metadata=ADMIN)


async def search_ids(search: search_pb2_grpc.SearchServiceStub, request: pb.SearchRequest) -> list[str]:
    try:
        reply = await search.Search(request)
    except grpc.aio.AioRpcError:
        return []  # the site copy may not have arrived yet
    return sorted(h.id for h in reply.hits)


def facet(reply: pb.SearchResponse, name: str) -> dict[str, tuple[str, int]]:
    (found,) = [f for f in reply.facets if f.field == name]
    return {v.value: (v.label, v.count) for v in found.values}


async def error_code(call: Awaitable[Any]) -> tuple[grpc.StatusCode, str]:
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await call
    return caught.value.code(), domain_error(caught.value).code


# -- tests ----------------------------------------------------------------------------------


async def test_published_matters_are_searchable_with_facets_and_withdrawn_ones_vanish(stack: Stack) -> None:
    catalogue, search = stack.catalogue, stack.search
    await seed_sites(catalogue)
    await publish_matter(catalogue, "F1", PROVINCE, "食品经营许可", "D1", online=True)
    await publish_matter(catalogue, "F2", COUNTY, "食品生产许可", "D2")
    await publish_matter(catalogue, "F3", OTHER_CITY, "食品小作坊登记", "D3")
    await publish_matter(
        catalogue,
        "F4",
        COUNTY,
        "食品安全投诉举报",
        "D2",
        type=cat.MATTER_TYPE_PUBLIC_SERVICE,
        audiences=(cat.AUDIENCE_PERSON,),
    )
    from_county = pb.SearchRequest(site_code=COUNTY, query="食品")

    async def county_sees_all() -> bool:
        return await search_ids(search, from_county) == ["F1", "F2", "F4"]

    await wait_until(county_sees_all)
    reply = await search.Search(from_county)
    assert reply.page == common_pb2.PageInfo(page=1, page_size=10, total=3)
    hit = next(h for h in reply.hits if h.id == "F1")
    assert (hit.kind, hit.title, hit.site_code, hit.site_name, hit.department_name) == (
        pb.DOCUMENT_KIND_MATTER,
        "食品经营许可",
        PROVINCE,
        "湖北省",
        "湖北省市场监督管理局",
    )
    assert (hit.type, list(hit.audiences), hit.online_application) == (
        cat.MATTER_TYPE_LICENSING,
        [cat.AUDIENCE_LEGAL_PERSON],
        True,
    )
    assert hit.title_highlighted == "<em>食品</em>经营许可" and hit.score > 0
    assert facet(reply, "type") == {
        str(cat.MATTER_TYPE_LICENSING): ("行政许可", 2),
        str(cat.MATTER_TYPE_PUBLIC_SERVICE): ("公共服务", 1),
    }
    assert facet(reply, "audience") == {
        str(cat.AUDIENCE_LEGAL_PERSON): ("法人", 2),
        str(cat.AUDIENCE_PERSON): ("自然人", 1),
    }
    assert facet(reply, "department") == {"D1": ("湖北省市场监督管理局", 1), "D2": ("西陵区行政审批局", 2)}
    assert [f.field for f in reply.facets] == ["type", "audience", "department", "site_level"]

    # Filters are any-of; each facet keeps counting its own field without its own filter.
    licensing = await search.Search(
        pb.SearchRequest(site_code=COUNTY, query="食品", types=[cat.MATTER_TYPE_LICENSING])
    )
    assert sorted(h.id for h in licensing.hits) == ["F1", "F2"]
    assert facet(licensing, "type")[str(cat.MATTER_TYPE_PUBLIC_SERVICE)] == ("公共服务", 1)
    assert facet(licensing, "audience") == {str(cat.AUDIENCE_LEGAL_PERSON): ("法人", 2)}
    online = await search.Search(pb.SearchRequest(site_code=COUNTY, query="食品", online_only=True))
    assert [h.id for h in online.hits] == ["F1"]
    levels = await search.Search(
        pb.SearchRequest(site_code=COUNTY, query="食品", site_levels=[cat.SITE_LEVEL_COUNTY])
    )
    assert sorted(h.id for h in levels.hits) == ["F2", "F4"]
    assert facet(levels, "site_level") == {"1": ("省级", 1), "3": ("县级", 2)}

    # The province's portal looking into another city.
    region = await search.Search(pb.SearchRequest(site_code=PROVINCE, query="食品", region_code=OTHER_CITY))
    assert [h.id for h in region.hits] == ["F3"]
    assert await search_ids(search, pb.SearchRequest(site_code=PROVINCE, query="食品")) == ["F1"]

    await catalogue.WithdrawMatter(
        cat.ChangeMatterStatusRequest(code="F1", site_code=PROVINCE), metadata=ADMIN
    )

    async def withdrawn() -> bool:
        return await search_ids(search, from_county) == ["F2", "F4"]

    await wait_until(withdrawn)


async def test_announcements_and_faqs(stack: Stack) -> None:
    catalogue, search = stack.catalogue, stack.search
    await seed_sites(catalogue)
    await publish_matter(catalogue, "M1", COUNTY, "社保缴费基数申报", "D2")
    due, later = datetime.now(UTC) - timedelta(days=1), datetime.now(UTC) + timedelta(days=30)
    articles = {}
    for key, kind, title, publish_at in [
        ("due", cat.ARTICLE_KIND_ANNOUNCEMENT, "关于调整社保缴费基数的公告", due),
        ("later", cat.ARTICLE_KIND_ANNOUNCEMENT, "关于社保缴费时间调整的公告", later),
        ("faq", cat.ARTICLE_KIND_FAQ, "社保缴费基数如何查询？", None),
    ]:
        save = cat.SaveArticleRequest(
            kind=kind,
            site_code=COUNTY,
            title=title,
            body="详见正文。",
            matter_code="M1" if key == "faq" else "",
        )
        if publish_at:
            save.publish_at.FromDatetime(publish_at)
        saved = await catalogue.SaveArticle(save, metadata=ADMIN)
        await catalogue.PublishArticle(
            cat.ChangeArticleStatusRequest(site_code=COUNTY, id=saved.id), metadata=ADMIN
        )
        articles[key] = saved.id

    async def found(kind: int) -> list[str]:
        return await search_ids(search, pb.SearchRequest(site_code=COUNTY, query="社保缴费", kind=kind))  # type: ignore[arg-type]

    async def faq_indexed() -> bool:
        return await found(pb.DOCUMENT_KIND_FAQ) == [articles["faq"]]

    await wait_until(faq_indexed)
    # The announcement due later is indexed but not shown before its date.
    assert await found(pb.DOCUMENT_KIND_ANNOUNCEMENT) == [articles["due"]]
    assert await found(pb.DOCUMENT_KIND_MATTER) == ["M1"]
    assert await found(pb.DOCUMENT_KIND_UNSPECIFIED) == ["M1"]
    reply = await search.Search(
        pb.SearchRequest(site_code=COUNTY, query="社保缴费", kind=pb.DOCUMENT_KIND_FAQ)
    )
    (faq,) = reply.hits
    assert (faq.kind, faq.matter_code, faq.title) == (pb.DOCUMENT_KIND_FAQ, "M1", "社保缴费基数如何查询？")
    announcement = (
        await search.Search(
            pb.SearchRequest(site_code=COUNTY, query="社保缴费", kind=pb.DOCUMENT_KIND_ANNOUNCEMENT)
        )
    ).hits[0]
    assert abs(announcement.publish_at.ToDatetime(tzinfo=UTC) - due) < timedelta(seconds=1)

    await catalogue.WithdrawArticle(
        cat.ChangeArticleStatusRequest(site_code=COUNTY, id=articles["due"]), metadata=ADMIN
    )

    async def announcement_gone() -> bool:
        return await found(pb.DOCUMENT_KIND_ANNOUNCEMENT) == []

    await wait_until(announcement_gone)


async def test_synonyms_widen_the_query_and_are_reported(stack: Stack) -> None:
    from govhall.search import synonyms

    catalogue, search = stack.catalogue, stack.search
    await seed_sites(catalogue)
    await publish_matter(catalogue, "ID1", PROVINCE, "居民身份证换领", "D1", audiences=(cat.AUDIENCE_PERSON,))
    variants, used = synonyms.expand("身份证")
    assert variants[0] == "身份证" and "居民身份证" in variants and used
    request = pb.SearchRequest(site_code=COUNTY, query="身份证")

    async def found() -> bool:
        return await search_ids(search, request) == ["ID1"]

    await wait_until(found)
    reply = await search.Search(request)
    assert list(reply.synonyms_used) == list(used)
    plain = await search.Search(pb.SearchRequest(site_code=COUNTY, query="换领"))
    assert list(plain.synonyms_used) == []


async def test_queries_as_citizens_ask_them_are_understood(stack: Stack) -> None:
    catalogue, search = stack.catalogue, stack.search
    await seed_sites(catalogue)
    await publish_matter(catalogue, "ID1", PROVINCE, "居民身份证换领", "D1")
    await publish_matter(catalogue, "ID2", PROVINCE, "居民身份证补领", "D1")
    await publish_matter(catalogue, "BL1", PROVINCE, "个体工商户营业执照变更登记", "D1")
    lost = pb.SearchRequest(site_code=COUNTY, query="身份证丢了怎么办？")

    async def found() -> bool:
        return "ID2" in await search_ids(search, lost)

    await wait_until(found)
    reply = await search.Search(lost)
    assert reply.hits[0].id == "ID2"  # 补领 first (Elasticsearch also finds 换领, one bigram off)
    assert list(reply.intents_used) == ["丢了"] and list(reply.synonyms_used) == ["身份证"]
    assert "补领</em>" in reply.hits[0].title_highlighted
    # The Hubei seed's and a citizen's traditional characters find the simplified names.
    assert await search_ids(search, pb.SearchRequest(site_code=COUNTY, query="營業執照")) == ["BL1"]
    renew = await search.Search(pb.SearchRequest(site_code=COUNTY, query="身份證換領"))
    assert renew.hits[0].id == "ID1"
    code, _ = await error_code(search.Search(pb.SearchRequest(site_code=COUNTY, query="？？")))
    assert code == grpc.StatusCode.INVALID_ARGUMENT


async def test_suggestions_and_hot_words(stack: Stack) -> None:
    catalogue, search = stack.catalogue, stack.search
    await seed_sites(catalogue)
    await publish_matter(catalogue, "Y1", PROVINCE, "营业执照设立登记", "D1")
    await publish_matter(catalogue, "Y2", COUNTY, "营业执照变更登记", "D2")
    await publish_matter(catalogue, "Y3", OTHER_CITY, "营业执照注销登记", "D3")
    await publish_matter(catalogue, "Y4", COUNTY, "普通护照签发", "D2")

    async def suggested(prefix: str) -> list[str]:
        try:
            reply = await search.Suggest(pb.SuggestRequest(site_code=COUNTY, prefix=prefix))
        except grpc.aio.AioRpcError:
            return []
        return sorted(s.text for s in reply.suggestions)

    async def suggests(prefix: str, wanted: list[str]) -> bool:
        return await suggested(prefix) == wanted

    # (Suggestions, unlike searches, are no hot words: waiting with them counts nothing.) Both
    # matters, not the first one indexed: the events arrive one after the other.
    await wait_until(lambda: suggests("营业执照", ["营业执照变更登记", "营业执照设立登记"]))
    # The prefix is cleaned like a query.
    await wait_until(lambda: suggests(" 普通 ", ["普通护照签发"]))
    reply = await search.Suggest(pb.SuggestRequest(site_code=COUNTY, prefix="营业执照变", size=5))
    assert [(s.text, s.matter_code, s.site_code) for s in reply.suggestions] == [
        ("营业执照变更登记", "Y2", COUNTY)
    ]
    one = await search.Suggest(pb.SuggestRequest(site_code=COUNTY, prefix="营业", size=1))
    assert len(one.suggestions) == 1

    async def searched(query: str, client: str) -> int:
        reply = await search.Search(pb.SearchRequest(site_code=COUNTY, query=query, client_key=client))
        return int(reply.page.total)

    assert await searched("营业执照", "client-a") == 2
    assert await searched("营业执照", "client-a") == 2  # the same client again: counted once today
    assert await searched("营业执照", "client-b") == 2
    assert await searched("普通护照", "client-a") == 1
    assert await searched("不存在的事项名称", "client-a") == 0  # nothing found: not a hot word
    hot = await search.HotWords(pb.HotWordsRequest(site_code=COUNTY))
    assert [(w.word, w.count) for w in hot.words] == [("营业执照", 2), ("普通护照", 1)]
    top = await search.HotWords(pb.HotWordsRequest(site_code=COUNTY, size=1))
    assert [(w.word, w.count) for w in top.words] == [("营业执照", 2)]
    # Each site has its own.
    assert list((await search.HotWords(pb.HotWordsRequest(site_code=OTHER_CITY))).words) == []


async def test_bad_requests_are_refused_with_codes(stack: Stack) -> None:
    catalogue, search = stack.catalogue, stack.search
    await seed_sites(catalogue)

    async def site_known() -> bool:
        try:
            await search.Search(pb.SearchRequest(site_code=COUNTY, query="护照"))
        except grpc.aio.AioRpcError:
            return False
        return True

    await wait_until(site_known)
    invalid, not_found = grpc.StatusCode.INVALID_ARGUMENT, grpc.StatusCode.NOT_FOUND
    cases: list[tuple[Awaitable[Any], tuple[grpc.StatusCode, str]]] = [
        (search.Search(pb.SearchRequest(site_code=COUNTY, query="   ")), (invalid, "QUERY_EMPTY")),
        (search.Search(pb.SearchRequest(site_code=COUNTY, query="长" * 101)), (invalid, "QUERY_TOO_LONG")),
        (search.Search(pb.SearchRequest(site_code="999999", query="护照")), (not_found, "SITE_NOT_FOUND")),
        (
            search.Search(pb.SearchRequest(site_code=COUNTY, query="护照", region_code="999999")),
            (not_found, "REGION_NOT_FOUND"),
        ),
        (
            search.Search(
                pb.SearchRequest(site_code=COUNTY, query="护照", page=common_pb2.PageRequest(page=101))
            ),
            (invalid, "PAGE_INVALID"),
        ),
        (
            search.Search(pb.SearchRequest(site_code=COUNTY, query="护照", types=[99])),
            (invalid, "FILTER_INVALID"),
        ),  # type: ignore[list-item]
        (search.Search(pb.SearchRequest(site_code=COUNTY, query="护照", kind=9)), (invalid, "KIND_INVALID")),  # type: ignore[arg-type]
        (search.Suggest(pb.SuggestRequest(site_code=COUNTY, prefix=" ")), (invalid, "QUERY_EMPTY")),
        (search.Suggest(pb.SuggestRequest(site_code=COUNTY, prefix="长" * 31)), (invalid, "QUERY_TOO_LONG")),
        (search.Suggest(pb.SuggestRequest(site_code="999999", prefix="护照")), (not_found, "SITE_NOT_FOUND")),
        (
            search.Suggest(pb.SuggestRequest(site_code=COUNTY, prefix="护照", size=-1)),
            (invalid, "SIZE_INVALID"),
        ),
        (search.HotWords(pb.HotWordsRequest(site_code="999999")), (not_found, "SITE_NOT_FOUND")),
    ]
    for call, expected in cases:
        assert await error_code(call) == expected
    # Oversized pages are clamped, not refused.
    reply = await search.Search(
        pb.SearchRequest(site_code=COUNTY, query="护照", page=common_pb2.PageRequest(page=2, page_size=500))
    )
    assert (reply.page.page, reply.page.page_size, reply.page.total) == (2, 50, 0)


async def test_reindex_rebuilds_from_the_catalogue_and_only_for_administrators(stack: Stack) -> None:
    catalogue, search = stack.catalogue, stack.search
    await seed_sites(catalogue)
    await publish_matter(catalogue, "R1", PROVINCE, "公共场所卫生许可", "D1")
    await publish_matter(catalogue, "R2", COUNTY, "公共场所卫生许可变更", "D2")
    faq = await catalogue.SaveArticle(
        cat.SaveArticleRequest(
            kind=cat.ARTICLE_KIND_FAQ, site_code=COUNTY, title="公共场所卫生许可要多久？", body="十个工作日。"
        ),
        metadata=ADMIN,
    )
    await catalogue.PublishArticle(
        cat.ChangeArticleStatusRequest(site_code=COUNTY, id=faq.id), metadata=ADMIN
    )
    request = pb.SearchRequest(site_code=COUNTY, query="公共场所卫生")

    async def indexed() -> bool:
        return await search_ids(search, request) == ["R1", "R2"]

    await wait_until(indexed)

    for caller in [(), PERSON]:
        with pytest.raises(grpc.aio.AioRpcError) as caught:
            async for _ in search.Reindex(pb.ReindexRequest(), metadata=caller):
                pass
        assert caught.value.code() == grpc.StatusCode.PERMISSION_DENIED
        assert domain_error(caught.value).code == "FORBIDDEN"

    progress = [p async for p in search.Reindex(pb.ReindexRequest(batch_size=1), metadata=ADMIN)]
    phases = [p.phase for p in progress]
    assert phases[0] == Phase.PHASE_STARTED and phases[-2:] == [Phase.PHASE_SWAPPED, Phase.PHASE_DONE]
    assert Phase.PHASE_INDEXING in phases
    last = progress[-1]
    assert (last.done, last.total) == (3, 3)
    assert last.new_index and last.new_index != last.old_index
    # Queries keep their answers after the swap.
    await wait_until(indexed)
    faqs = await search.Search(
        pb.SearchRequest(site_code=COUNTY, query="公共场所卫生", kind=pb.DOCUMENT_KIND_FAQ)
    )
    assert [h.id for h in faqs.hits] == [faq.id]
    # Live events after the swap reach the new index.
    await publish_matter(catalogue, "R3", COUNTY, "公共场所卫生许可延续", "D2")

    async def live() -> bool:
        return await search_ids(search, request) == ["R1", "R2", "R3"]

    await wait_until(live)


@pytest.mark.integration  # Elasticsearch, through make_stack: the marker cannot see it by params
async def test_search_works_while_the_hot_word_store_is_down(
    make_stack: Callable[..., Awaitable[Stack]],
) -> None:
    # Nothing listens on port 9 of the loopback: every Redis call fails at once.
    stack = await make_stack("elasticsearch", redis_url="redis://127.0.0.1:9/0")
    catalogue, search = stack.catalogue, stack.search
    await seed_sites(catalogue)
    await publish_matter(catalogue, "K1", PROVINCE, "道路运输经营许可", "D1")
    request = pb.SearchRequest(site_code=COUNTY, query="道路运输", client_key="c1")

    async def found() -> bool:
        return await search_ids(search, request) == ["K1"]

    await wait_until(found)
    assert (await search.Search(request)).page.total == 1
    assert list((await search.HotWords(pb.HotWordsRequest(site_code=COUNTY))).words) == []


async def test_a_site_the_copy_lacks_is_asked_of_the_catalogue(stack: Stack) -> None:
    """Search's copy of the site tree lost a site (an event missed, a restore from backup):
    searching from it asks the catalogue and keeps the answer; an unknown site is still unknown."""
    catalogue, search = stack.catalogue, stack.search
    await seed_sites(catalogue)
    assert stack.search_host is not None
    db = stack.search_host.db

    async def copied() -> bool:
        async with db.reader() as uow:
            return await uow.conn.scalar(sa.select(sa.func.count()).select_from(search_store.sites.t)) == 4

    await wait_until(copied, what="the site events copied")
    async with db.uow() as uow:
        await uow.conn.execute(sa.delete(search_store.sites.t).where(search_store.sites.t.c.code == COUNTY))
        await uow.commit()
    reply = await search.Search(pb.SearchRequest(site_code=COUNTY, query="护照"))
    assert reply.page.total == 0
    async with db.reader() as uow:
        kept = await uow.conn.scalar(
            sa.select(search_store.sites.t.c.path).where(search_store.sites.t.c.code == COUNTY)
        )
    assert kept == f"{PROVINCE},{CITY},{COUNTY}"
    with pytest.raises(grpc.aio.AioRpcError) as caught:
        await search.Search(pb.SearchRequest(site_code="420599", query="护照"))
    assert caught.value.code() == grpc.StatusCode.NOT_FOUND
    assert domain_error(caught.value).code == "SITE_NOT_FOUND"


async def test_queries_reindexes_and_index_writes_are_counted(
    make_stack: Callable[..., Awaitable[Stack]],
) -> None:
    from prometheus_client import REGISTRY

    def value(name: str, **labels: str) -> float:
        return REGISTRY.get_sample_value(name, labels) or 0.0

    names = [
        ("govhall_search_indexed_total", {"outcome": "indexed"}),
        ("govhall_search_indexed_total", {"outcome": "deleted"}),
        ("govhall_search_queries_total", {"kind": "matters", "result": "hits"}),
        ("govhall_search_queries_total", {"kind": "matters", "result": "zero"}),
        ("govhall_search_queries_total", {"kind": "suggest", "result": "hits"}),
        ("govhall_search_query_seconds_count", {"kind": "matters"}),
        ("govhall_search_reindex_total", {"outcome": "ok"}),
    ]
    before = {(n, tuple(sorted(labels.items()))): value(n, **labels) for n, labels in names}

    def moved() -> dict[str, float]:
        return {f"{n}{dict(key)}": value(n, **dict(key)) - was for (n, key), was in before.items()}

    stack = await make_stack("embedded")
    catalogue, search = stack.catalogue, stack.search
    await seed_sites(catalogue)
    await publish_matter(catalogue, "Q1", COUNTY, "户外广告设置许可", "D2")
    await wait_until(lambda: moved()["govhall_search_indexed_total{'outcome': 'indexed'}"] == 1)
    await catalogue.WithdrawMatter(cat.ChangeMatterStatusRequest(code="Q1", site_code=COUNTY), metadata=ADMIN)
    await wait_until(lambda: moved()["govhall_search_indexed_total{'outcome': 'deleted'}"] == 1)
    await publish_matter(catalogue, "Q2", COUNTY, "户外广告变更", "D2")
    request = pb.SearchRequest(site_code=COUNTY, query="户外广告")
    await wait_until(lambda: search_ids(search, request), what="Q2 searchable")  # a hit, or more
    await search.Search(pb.SearchRequest(site_code=COUNTY, query="无此事项"))
    await search.Suggest(pb.SuggestRequest(site_code=COUNTY, prefix="户外"))
    async for _ in search.Reindex(pb.ReindexRequest(), metadata=ADMIN):
        pass
    changes = moved()
    assert changes["govhall_search_indexed_total{'outcome': 'indexed'}"] == 2
    assert changes["govhall_search_queries_total{'kind': 'matters', 'result': 'hits'}"] >= 1
    assert changes["govhall_search_queries_total{'kind': 'matters', 'result': 'zero'}"] >= 1
    assert changes["govhall_search_queries_total{'kind': 'suggest', 'result': 'hits'}"] == 1
    assert changes["govhall_search_query_seconds_count{'kind': 'matters'}"] >= 2
    assert changes["govhall_search_reindex_total{'outcome': 'ok'}"] == 1


# -- suggestions by pinyin, ranked by searches; 你是不是要找 -----------------------------------------


async def _seed_typos(stack: Stack) -> None:
    await seed_sites(stack.catalogue)
    await publish_matter(stack.catalogue, "T1", PROVINCE, "居民身份证首次申领", "D1")
    await publish_matter(stack.catalogue, "T2", COUNTY, "居民身份证换领", "D2")
    await publish_matter(stack.catalogue, "T3", PROVINCE, "营业执照设立登记", "D1")
    await publish_matter(stack.catalogue, "T4", COUNTY, "营业执照变更登记", "D2")
    await publish_matter(stack.catalogue, "T5", COUNTY, "普通护照签发", "D2")

    async def indexed() -> bool:
        return len(
            await search_ids(stack.search, pb.SearchRequest(site_code=COUNTY, query="登记"))
        ) == 2 and (
            len(await search_ids(stack.search, pb.SearchRequest(site_code=COUNTY, query="居民身份证"))) == 2
        )

    await wait_until(indexed)


async def test_suggestions_match_anywhere_by_pinyin_and_initials_most_searched_first(stack: Stack) -> None:
    await _seed_typos(stack)
    search = stack.search

    async def suggested(typed: str) -> list[str]:
        reply = await search.Suggest(pb.SuggestRequest(site_code=COUNTY, prefix=typed))
        return [s.text for s in reply.suggestions]

    assert await suggested("身份") == ["居民身份证换领", "居民身份证首次申领"]  # not the start: anywhere
    for typed in ("yyzz", "yingye", "YingYe", "zhizhao", "zzbg"):
        assert (await suggested(typed))[:1] == ["营业执照变更登记"], typed  # same length: by name
    assert await suggested("zzsl") == ["营业执照设立登记"]
    assert await suggested("hz") == ["普通护照签发"]
    # A name searched more comes first, whatever its length.
    for client in ("a", "b"):
        reply = await search.Search(
            pb.SearchRequest(site_code=COUNTY, query="营业执照设立登记", client_key=client)
        )
        assert reply.page.total == 1
        reply = await search.Search(
            pb.SearchRequest(site_code=COUNTY, query="居民身份证首次申领", client_key=client)
        )
        assert reply.page.total == 1
    assert await suggested("yyzz") == ["营业执照设立登记", "营业执照变更登记"]
    assert await suggested("sfz") == ["居民身份证首次申领", "居民身份证换领"]
    one = await search.Suggest(pb.SuggestRequest(site_code=COUNTY, prefix="yyzz", size=1))
    assert [s.text for s in one.suggestions] == ["营业执照设立登记"]


async def test_did_you_mean_corrects_typos_and_never_a_query_with_good_hits(stack: Stack) -> None:
    await _seed_typos(stack)
    search = stack.search

    async def searched(query: str) -> pb.SearchResponse:
        return await search.Search(pb.SearchRequest(site_code=COUNTY, query=query, client_key="c"))

    # A homophone finds nothing: answered with the correction's hits, and said so.
    typo = await searched("营业执找")
    assert (typo.did_you_mean, typo.corrected, typo.original_query) == ("营业执照", True, "营业执找")
    assert sorted(h.id for h in typo.hits) == ["T3", "T4"] and typo.page.total == 2
    shenfen = await searched("身分证")
    assert (shenfen.did_you_mean, shenfen.corrected) == ("身份证", True)
    assert sorted(h.id for h in shenfen.hits) == ["T1", "T2"]
    # One character off, and a typo inside a longer question.
    assert (await searched("普通护找签发")).did_you_mean == "普通护照签发"
    question = await searched("我的身分证换领怎么办")
    assert (question.did_you_mean, question.corrected) == ("身份证 换领", True)
    assert [h.id for h in question.hits][:1] == ["T2"]  # first (Elasticsearch may add T1 after it)
    # Queries that find good hits (or a known word, even with one hit) are left alone.
    for good in ("营业执照", "居民身份证", "普通护照"):
        reply = await searched(good)
        assert reply.page.total >= 1, good
        assert (reply.did_you_mean, reply.corrected, reply.original_query) == ("", False, ""), good
    # The corrected word is what counts as searched.
    hot = await search.HotWords(pb.HotWordsRequest(site_code=COUNTY))
    assert "营业执找" not in [w.word for w in hot.words] and "营业执照" in [w.word for w in hot.words]
    # A query that finds little (a guide's own typo) keeps its hits and is offered the correction.
    draft = cat.MatterDraft(
        name="个体工商户开业",
        department_code="D2",
        audiences=[cat.AUDIENCE_PERSON],
        type=cat.MATTER_TYPE_LICENSING,
        handling_type=cat.HANDLING_TYPE_INSTANT,
        online_depth=1,
        guide=cat.Guide(acceptance_conditions="领取营业执找后三十日内"),
    )
    await stack.catalogue.CreateMatter(
        cat.CreateMatterRequest(code="T6", site_code=COUNTY, draft=draft), metadata=ADMIN
    )
    await stack.catalogue.PublishMatter(
        cat.ChangeMatterStatusRequest(code="T6", site_code=COUNTY), metadata=ADMIN
    )

    async def little() -> bool:
        return [h.id for h in (await searched("营业执找")).hits] == ["T6"]

    await wait_until(little)
    reply = await searched("营业执找")
    assert (reply.did_you_mean, reply.corrected, reply.original_query) == ("营业执照", False, "")
    # Nothing close: nothing offered.
    nothing = await searched("天气预报")
    assert (nothing.did_you_mean, nothing.corrected, nothing.page.total) == ("", False, 0)
