"""ExportCatalogue: what search rebuilds its index from, in order, page by page, for services only."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any, cast

import pytest

from govhall.catalogue import export
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb

from .conftest import ADMIN, ANONYMOUS, SERVICE, XILING_ADMIN, Catalogue, draft


async def _publish_article(catalogue: Catalogue, article_id: str, site: str = "420502") -> None:
    await catalogue.call(
        "SaveArticle",
        pb.SaveArticleRequest(
            id=article_id, site_code=site, kind=pb.ARTICLE_KIND_ANNOUNCEMENT, title="公告", body="正文"
        ),
    )
    await catalogue.call("PublishArticle", pb.ChangeArticleStatusRequest(site_code=site, id=article_id))


@pytest.fixture(params=[1_000, 2], ids=["one-page", "pages-of-2"])
def page_size(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> int:
    # The service runs in this process, so a small page makes the keyset paging visible.
    monkeypatch.setattr(export, "PAGE", request.param)
    return int(request.param)


async def test_export_contents_and_order(catalogue: Catalogue, page_size: int) -> None:
    await catalogue.create("E-A", d=draft("已发布"), publish=True)
    await catalogue.create("E-B", d=draft("从未发布"))
    await catalogue.create("E-C", d=draft("一版"), publish=True)
    await catalogue.update("E-C", draft("二版草稿"))
    await catalogue.create("E-D", d=draft("已撤回"), publish=True)
    await catalogue.withdraw("E-D")
    await catalogue.create("E-E", d=draft("旧版"), publish=True)
    await catalogue.update("E-E", draft("新版"))
    await catalogue.publish("E-E")
    await catalogue.create("E-P", "420000", draft("省级", "420000-GAT"), publish=True)
    await _publish_article(catalogue, "art-1")
    await catalogue.call(
        "SaveArticle",
        pb.SaveArticleRequest(
            id="art-2", site_code="420502", kind=pb.ARTICLE_KIND_FAQ, title="草稿问答", body="答"
        ),
    )
    await _publish_article(catalogue, "art-3", "420000")
    await catalogue.call("WithdrawArticle", pb.ChangeArticleStatusRequest(site_code="420000", id="art-3"))

    items = await catalogue.stream("ExportCatalogue", pb.ExportCatalogueRequest(), SERVICE)
    kinds = [item.WhichOneof("item") for item in items]
    assert kinds == ["header"] + ["site"] * 4 + ["matter"] * 5 + ["article"] * 2
    header = items[0].header
    assert (header.sites, header.matters, header.articles) == (4, 5, 2)

    sites = [item.site.code for item in items if item.HasField("site")]
    assert sites == ["420000", "420100", "420500", "420502"], "parents first"
    assert list(items[4].site.path) == ["420000", "420500", "420502"]

    matters = {item.matter.code: item.matter for item in items if item.HasField("matter")}
    assert list(matters) == ["E-A", "E-C", "E-D", "E-E", "E-P"], "by code; never-published drafts left out"
    assert matters["E-A"].status == pb.MATTER_STATUS_PUBLISHED and matters["E-A"].revision == 2
    assert matters["E-C"].draft.name == "一版" and matters["E-C"].latest_version == 2, "the live version"
    assert matters["E-D"].status == pb.MATTER_STATUS_WITHDRAWN and matters["E-D"].published_version == 0
    assert (matters["E-E"].version, matters["E-E"].draft.name, matters["E-E"].revision) == (2, "新版", 4)
    assert matters["E-P"].site_level == pb.SITE_LEVEL_PROVINCE and list(matters["E-P"].site_path) == [
        "420000"
    ]
    assert matters["E-A"].department_name == "西陵区行政审批局" and matters["E-A"].site_name == "西陵区"
    assert list(matters["E-A"].site_path) == ["420000", "420500", "420502"]

    articles = [item.article for item in items if item.HasField("article")]
    assert [(a.id, a.status) for a in articles] == [
        ("art-1", pb.ARTICLE_STATUS_PUBLISHED),
        ("art-3", pb.ARTICLE_STATUS_WITHDRAWN),
    ]
    assert articles[1].revision == 3 and articles[1].site_level == pb.SITE_LEVEL_PROVINCE


async def test_an_empty_catalogue_exports_its_header(catalogue: Catalogue) -> None:
    items = await catalogue.stream("ExportCatalogue", pb.ExportCatalogueRequest(), ADMIN)
    assert items[0].header.matters == 0 and items[0].header.articles == 0
    assert [item.WhichOneof("item") for item in items[1:]] == ["site"] * 4


async def test_only_services_and_platform_admins_export(catalogue: Catalogue) -> None:
    for metadata in (ANONYMOUS, XILING_ADMIN):
        err = await catalogue.stream_error("ExportCatalogue", pb.ExportCatalogueRequest(), metadata)
        assert err.code == "FORBIDDEN" and err.kind.http_status == 403


class _Reader:
    """A database whose reads the fetch functions below answer (the paging alone)."""

    @asynccontextmanager
    async def reader(self) -> AsyncIterator[None]:
        yield None


async def test_the_next_page_is_read_while_one_streams(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export, "PAGE", 2)
    rows = ["a", "b", "c", "d", "e"]
    reads: list[str] = []

    async def fetch(uow: Any, after: str, limit: int) -> list[str]:
        reads.append(after)
        await asyncio.sleep(0)
        return [r for r in rows if r > after][:limit]

    got = []
    async for row in export._pages(cast(Any, _Reader()), fetch, lambda r: r):
        got.append(row)
        if row == "a":
            for _ in range(3):
                await asyncio.sleep(0)  # the reader busy with the first row
            assert reads == ["", "b"], "the second page is read while the first streams"
    assert got == rows
    assert reads == ["", "b", "d"]


async def test_closing_the_stream_stops_the_read_ahead(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(export, "PAGE", 1)
    started, cancelled = asyncio.Event(), asyncio.Event()

    async def fetch(uow: Any, after: str, limit: int) -> list[str]:
        if not after:
            return ["a"]
        started.set()
        try:
            await asyncio.Event().wait()  # the database never answers
        except asyncio.CancelledError:
            cancelled.set()
            raise
        return []

    pages = export._pages(cast(Any, _Reader()), fetch, lambda r: r)
    assert await anext(pages) == "a"
    await asyncio.wait_for(started.wait(), 5)
    await pages.aclose()
    await asyncio.wait_for(cancelled.wait(), 5)
