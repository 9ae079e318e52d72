"""Announcements and FAQs over gRPC: drafts, publication dates, edits while published, who may write."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from google.protobuf.timestamp_pb2 import Timestamp

from govhall.protos.catalogue.v1 import catalogue_pb2 as pb
from govhall.protos.common.v1 import common_pb2

from .conftest import ANONYMOUS, CLERK, WUHAN_ADMIN, XILING_ADMIN, YICHANG_ADMIN, Catalogue, draft

ANNOUNCEMENT, FAQ = pb.ARTICLE_KIND_ANNOUNCEMENT, pb.ARTICLE_KIND_FAQ


def _ts(moment: datetime) -> Timestamp:
    out = Timestamp()
    out.FromDatetime(moment)
    return out


def _article(site: str = "420502", **fields: Any) -> pb.SaveArticleRequest:
    fields.setdefault("kind", ANNOUNCEMENT)
    fields.setdefault("title", "关于调整办事大厅工作时间的公告")
    fields.setdefault("body", "自2026年12月1日起，办事大厅周六上午开放。")
    return pb.SaveArticleRequest(site_code=site, **fields)


async def _listed(catalogue: Catalogue, metadata: Any = ANONYMOUS, **kw: Any) -> list[str]:
    kw.setdefault("site_code", "420502")
    kw.setdefault("page", common_pb2.PageRequest(page_size=100))
    reply = await catalogue.call("ListArticles", pb.ListArticlesRequest(**kw), metadata)
    return [a.id for a in reply.articles]


async def _get(catalogue: Catalogue, article_id: str, metadata: Any = ANONYMOUS, **kw: Any) -> pb.Article:
    return await catalogue.call(
        "GetArticle", pb.GetArticleRequest(site_code="420502", id=article_id, **kw), metadata
    )


async def _change(
    catalogue: Catalogue, rpc: str, article_id: str, site: str = "420502", metadata: Any = None
) -> Any:
    request = pb.ChangeArticleStatusRequest(site_code=site, id=article_id)
    return await catalogue.call(rpc, request, *(() if metadata is None else (metadata,)))


def _article_events(catalogue: Catalogue) -> list[tuple[str, int]]:
    return [
        (e.subject.rsplit(".", 1)[0], pb.ArticleChanged.FromString(e.payload).article.revision)
        for e in catalogue.events
        if e.subject.startswith("catalogue.article.")
    ]


async def test_article_lifecycle(catalogue: Catalogue) -> None:
    saved = await catalogue.call("SaveArticle", _article(), YICHANG_ADMIN)
    assert saved.status == pb.ARTICLE_STATUS_DRAFT and saved.revision == 1 and len(saved.id) == 36
    assert saved.site_name == "西陵区" and list(saved.site_path) == ["420000", "420500", "420502"]
    assert saved.site_level == pb.SITE_LEVEL_COUNTY and not saved.HasField("publish_at")
    err = await catalogue.error(
        "GetArticle", pb.GetArticleRequest(site_code="420502", id=saved.id), ANONYMOUS
    )
    assert err.code == "ARTICLE_NOT_FOUND"
    assert (await _get(catalogue, saved.id, XILING_ADMIN, include_unpublished=True)).title == saved.title
    assert await _listed(catalogue) == []

    published = await _change(catalogue, "PublishArticle", saved.id)
    assert published.status == pb.ARTICLE_STATUS_PUBLISHED and published.HasField("publish_at")
    assert published.revision == 2
    assert (await _get(catalogue, saved.id)).body == saved.body
    assert await _listed(catalogue) == [saved.id]

    edited = await catalogue.call(
        "SaveArticle", _article(id=saved.id, title="关于调整工作时间的公告（更正）", expected_revision=2)
    )
    assert edited.status == pb.ARTICLE_STATUS_PUBLISHED and edited.revision == 3
    assert edited.publish_at == published.publish_at, "an edit keeps the publish date"
    err = await catalogue.error("SaveArticle", _article(id=saved.id, expected_revision=2))
    assert err.code == "ARTICLE_REVISION_CONFLICT"

    withdrawn = await _change(catalogue, "WithdrawArticle", saved.id)
    assert withdrawn.status == pb.ARTICLE_STATUS_WITHDRAWN
    err = await catalogue.error(
        "GetArticle", pb.GetArticleRequest(site_code="420502", id=saved.id), ANONYMOUS
    )
    assert err.code == "ARTICLE_NOT_FOUND"
    err = await catalogue.error(
        "WithdrawArticle", pb.ChangeArticleStatusRequest(site_code="420502", id=saved.id)
    )
    assert err.code == "ARTICLE_NOT_IN_STATE"
    again = await _change(catalogue, "PublishArticle", saved.id)
    assert again.status == pb.ARTICLE_STATUS_PUBLISHED and again.publish_at == published.publish_at

    await catalogue.wait_events(12)
    assert _article_events(catalogue) == [
        ("catalogue.article.published", 2),
        ("catalogue.article.published", 3),
        ("catalogue.article.withdrawn", 4),
        ("catalogue.article.published", 5),
    ]


async def test_a_caller_chosen_id_makes_saving_repeatable(catalogue: Catalogue) -> None:
    first = await catalogue.call("SaveArticle", _article(id="xl-notice-2026-01"))
    assert first.id == "xl-notice-2026-01" and first.revision == 1
    second = await catalogue.call("SaveArticle", _article(id="xl-notice-2026-01", body="新的正文"))
    assert second.id == first.id and second.revision == 2 and second.body == "新的正文"
    assert second.status == pb.ARTICLE_STATUS_DRAFT, "a draft stays a draft"
    err = await catalogue.error("SaveArticle", _article("420100", id="xl-notice-2026-01"))
    assert err.code == "ARTICLE_ID_TAKEN", "an id belongs to one site"
    err = await catalogue.error("SaveArticle", _article(id="new-one", expected_revision=3))
    assert err.code == "ARTICLE_REVISION_CONFLICT"


async def test_publish_dates_schedule_and_order_articles(catalogue: Catalogue) -> None:
    now = datetime.now(UTC)
    ids = {}
    for name, when in [
        ("old", now - timedelta(days=30)),
        ("recent", now - timedelta(days=1)),
        ("soon", now + timedelta(days=3)),
    ]:
        saved = await catalogue.call("SaveArticle", _article(id=f"a-{name}", publish_at=_ts(when)))
        await _change(catalogue, "PublishArticle", saved.id)
        ids[name] = saved.id
    undated = await catalogue.call("SaveArticle", _article(id="a-now"))
    await _change(catalogue, "PublishArticle", undated.id)
    # The public sees what is due, newest publish date first.
    assert await _listed(catalogue) == ["a-now", "a-recent", "a-old"]
    err = await catalogue.error(
        "GetArticle", pb.GetArticleRequest(site_code="420502", id="a-soon"), ANONYMOUS
    )
    assert err.code == "ARTICLE_NOT_FOUND", "scheduled, not yet shown"
    assert (await _get(catalogue, "a-soon", XILING_ADMIN, include_unpublished=True)).id == "a-soon"
    # An administrator asking for published articles sees the scheduled one too.
    assert await _listed(catalogue, XILING_ADMIN, status=pb.ARTICLE_STATUS_PUBLISHED) == [
        "a-soon",
        "a-now",
        "a-recent",
        "a-old",
    ]
    err = await catalogue.error(
        "ListArticles", pb.ListArticlesRequest(site_code="420502", status=pb.ARTICLE_STATUS_DRAFT), ANONYMOUS
    )
    assert err.code == "FORBIDDEN"
    # Moving the date into the past shows it.
    await catalogue.call("SaveArticle", _article(id="a-soon", publish_at=_ts(now - timedelta(hours=1))))
    assert await _listed(catalogue) == ["a-now", "a-soon", "a-recent", "a-old"]
    paged = await catalogue.call(
        "ListArticles",
        pb.ListArticlesRequest(site_code="420502", page=common_pb2.PageRequest(page=2, page_size=3)),
    )
    assert [a.id for a in paged.articles] == ["a-old"] and paged.page.total == 4


async def test_filters_and_sites(catalogue: Catalogue) -> None:
    await catalogue.create("M-1", publish=True)
    await catalogue.create("P-1", "420000", draft("居民身份证换领", "420000-GAT"), publish=True)
    for article_id, request in [
        ("prov-ann", _article("420000", id="prov-ann", title="全省政务服务公告")),
        ("city-ann", _article("420500", id="city-ann", title="宜昌市公告")),
        ("wh-ann", _article("420100", id="wh-ann", title="武汉市公告")),
        (
            "xl-faq",
            _article(
                id="xl-faq", kind=FAQ, title="食品经营许可要多久？", body="5个工作日", matter_code="M-1"
            ),
        ),
        (
            "xl-faq2",
            _article(
                id="xl-faq2",
                kind=FAQ,
                title="身份证丢了怎么办？",
                matter_code="P-1",
                department_code="420502-MZ",
            ),
        ),
    ]:
        await catalogue.call("SaveArticle", request)
        await _change(catalogue, "PublishArticle", article_id, request.site_code)
    assert sorted(await _listed(catalogue)) == ["city-ann", "prov-ann", "xl-faq", "xl-faq2"]
    assert sorted(await _listed(catalogue, own_site_only=True)) == ["xl-faq", "xl-faq2"]
    assert sorted(await _listed(catalogue, kind=ANNOUNCEMENT)) == ["city-ann", "prov-ann"]
    assert await _listed(catalogue, kind=FAQ, matter_code="M-1") == ["xl-faq"]
    faq = await _get(catalogue, "xl-faq2")
    assert faq.department_name == "西陵区民政局" and faq.matter_code == "P-1"
    assert (await _get(catalogue, "prov-ann")).site_level == pb.SITE_LEVEL_PROVINCE
    err = await catalogue.error("GetArticle", pb.GetArticleRequest(site_code="420502", id="wh-ann"))
    assert err.code == "ARTICLE_NOT_FOUND", "a sibling city's article is not visible"


async def test_article_input_and_permissions(catalogue: Catalogue) -> None:
    await catalogue.create("W-1", "420100", draft("武汉事项", "420100-SCJG"), publish=True)
    err = await catalogue.error("SaveArticle", _article(title=" ", body="字" * 50_001, kind=0))
    assert err.code == "ARTICLE_INVALID" and {f.field for f in err.fields} == {"kind", "title", "body"}
    err = await catalogue.error("SaveArticle", _article(id="坏编号"))
    assert err.code == "ARTICLE_INVALID" and err.fields[0].field == "id"
    err = await catalogue.error("SaveArticle", _article(department_code="420100-SCJG"))
    assert err.code == "DEPARTMENT_NOT_FOUND" and err.fields[0].field == "department_code"
    err = await catalogue.error("SaveArticle", _article(matter_code="W-1"))
    assert err.code == "MATTER_NOT_FOUND" and err.kind.http_status == 400
    for metadata in (ANONYMOUS, CLERK, WUHAN_ADMIN):
        err = await catalogue.error("SaveArticle", _article(), metadata)
        assert err.code == "FORBIDDEN"
    await catalogue.call("SaveArticle", _article("420000", id="prov"))
    err = await catalogue.error(
        "PublishArticle", pb.ChangeArticleStatusRequest(site_code="420000", id="prov"), XILING_ADMIN
    )
    assert err.code == "FORBIDDEN"
    err = await catalogue.error(
        "PublishArticle", pb.ChangeArticleStatusRequest(site_code="420502", id="prov")
    )
    assert err.code == "FORBIDDEN" and "上级站点" in err.message_zh
    err = await catalogue.error(
        "PublishArticle", pb.ChangeArticleStatusRequest(site_code="420502", id="nope")
    )
    assert err.code == "ARTICLE_NOT_FOUND"
    err = await catalogue.error("ListArticles", pb.ListArticlesRequest(site_code="420502", kind=9))
    assert err.code == "ARTICLE_KIND_INVALID"
