"""Both search back ends behave the same: Elasticsearch (the real server) and the embedded index.

Every test runs on both. The Elasticsearch one gets an alias of its own per test (several test
runs share the server) and deletes every generation behind it afterwards.
"""

from __future__ import annotations

import asyncio
import time
import uuid
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from govhall.kit.testing import es_credentials, wait_until
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.search.backend import SearchBackend
from govhall.search.lexicon import builtin
from govhall.search.model import ANNOUNCEMENT, FAQ, MATTER, Query, Result, SearchDoc
from govhall.search.understanding import understand

PROVINCE, CITY, COUNTY, OTHER_CITY, OTHER_COUNTY = "420000", "420500", "420502", "420100", "420102"
SITES = {
    PROVINCE: ("湖北省", cat.SITE_LEVEL_PROVINCE, (PROVINCE,)),
    CITY: ("宜昌市", cat.SITE_LEVEL_CITY, (PROVINCE, CITY)),
    COUNTY: ("西陵区", cat.SITE_LEVEL_COUNTY, (PROVINCE, CITY, COUNTY)),
    OTHER_CITY: ("武汉市", cat.SITE_LEVEL_CITY, (PROVINCE, OTHER_CITY)),
    OTHER_COUNTY: ("江岸区", cat.SITE_LEVEL_COUNTY, (PROVINCE, OTHER_CITY, OTHER_COUNTY)),
}
COUNTY_SCOPE = SITES[COUNTY][2]
DEPARTMENTS = {"D1": "市场监督管理局", "D2": "公安局", "D3": "人力资源和社会保障局"}
PERSON, LEGAL = cat.AUDIENCE_PERSON, cat.AUDIENCE_LEGAL_PERSON
LICENSING, BENEFIT = cat.MATTER_TYPE_LICENSING, cat.MATTER_TYPE_BENEFIT
CONFIRMATION, PUBLIC_SERVICE = cat.MATTER_TYPE_CONFIRMATION, cat.MATTER_TYPE_PUBLIC_SERVICE


@pytest.fixture(params=["embedded", "elasticsearch"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    if request.param == "embedded":
        from govhall.search.fts import EmbeddedBackend

        embedded: Any = EmbeddedBackend(tmp_path / "index.db")
        await embedded.ensure()
        yield embedded
        await embedded.close()
        return
    from govhall.search.es import ElasticsearchBackend

    cluster = request.getfixturevalue("cluster")
    alias = f"test-search-{uuid.uuid4().hex[:10]}"
    es = ElasticsearchBackend(cluster["GOVHALL_ELASTICSEARCH_URL"], alias, **es_credentials(cluster))
    await es.ensure()
    yield es
    await es.client.options(ignore_status=404).indices.delete(index=f"{alias}-*")
    await es.close()


def matter(
    id: str,
    title: str,
    site: str = PROVINCE,
    *,
    revision: int = 1,
    published: bool = True,
    body: str = "",
    department: str = "D1",
    type: int = LICENSING,
    audiences: tuple[int, ...] = (PERSON,),
    themes: tuple[str, ...] = (),
    life_events: tuple[str, ...] = (),
    online: bool = False,
) -> SearchDoc:
    name, level, path = SITES[site]
    return SearchDoc(
        kind=MATTER,
        id=id,
        revision=revision,
        published=published,
        site_code=site,
        site_name=name,
        site_level=level,
        site_path=path,
        title=title,
        body=body,
        department_code=department,
        department_name=DEPARTMENTS[department],
        type=type,
        audiences=audiences,
        themes=themes,
        life_events=life_events,
        online_application=online,
        version=1,
    )


def article(
    kind: int,
    id: str,
    title: str,
    site: str = PROVINCE,
    *,
    body: str = "",
    revision: int = 1,
    published: bool = True,
    publish_at: datetime | None = None,
    matter_code: str = "",
) -> SearchDoc:
    name, level, path = SITES[site]
    return SearchDoc(
        kind=kind,
        id=id,
        revision=revision,
        published=published,
        site_code=site,
        site_name=name,
        site_level=level,
        site_path=path,
        title=title,
        body=body,
        department_code="D3",
        department_name=DEPARTMENTS["D3"],
        publish_at=publish_at,
        matter_code=matter_code,
    )


def query(text: str, scope: tuple[str, ...] = COUNTY_SCOPE, **fields: Any) -> Query:
    fields.setdefault("variants", (text,))
    return Query(text=text, site_codes=scope, **fields)


async def sync(backend: SearchBackend) -> None:
    """Make what was written visible to queries (Elasticsearch refreshes; the embedded one needs nothing)."""
    refresh = getattr(backend, "refresh", None)
    if refresh is not None:
        await refresh()


async def put_all(backend: SearchBackend, *docs: SearchDoc) -> None:
    for doc in docs:
        await backend.put(doc)
    await sync(backend)


async def ids(backend: SearchBackend, q: Query) -> list[str]:
    result = await backend.search(q)
    assert result.total == len(result.hits), "every hit fits on the page in these tests"
    return [h.doc.id for h in result.hits]


def facet(result: Result, name: str) -> dict[str, int]:
    values = result.facets[name]
    counts = [count for _, count in values]
    assert counts == sorted(counts, reverse=True), f"{name} values are most frequent first"
    return dict(values)


# -- scope ----------------------------------------------------------------------------------


async def test_a_site_sees_itself_and_its_ancestors_not_its_siblings(backend: SearchBackend) -> None:
    await put_all(
        backend,
        matter("P1", "营业执照设立登记", PROVINCE),
        matter("C1", "营业执照变更登记", CITY),
        matter("X1", "个体工商户营业执照变更登记", COUNTY),
        matter("W1", "营业执照注销登记", OTHER_CITY),
        matter("WX", "营业执照遗失补领", OTHER_COUNTY),
        matter("Z1", "居民身份证换领", PROVINCE),
    )
    assert sorted(await ids(backend, query("营业执照"))) == ["C1", "P1", "X1"]
    assert await ids(backend, query("营业执照", (PROVINCE,))) == ["P1"]
    assert await ids(backend, query("营业执照注销", SITES[OTHER_CITY][2])) == ["W1"]


async def test_a_region_scope_sees_that_regions_whole_subtree(backend: SearchBackend) -> None:
    await put_all(
        backend,
        matter("P1", "食品经营许可", PROVINCE),
        matter("C1", "食品经营许可", CITY),
        matter("W1", "食品经营许可", OTHER_CITY),
        matter("WX", "食品经营许可变更", OTHER_COUNTY),
    )
    # The province's portal looking into one city: that city and its counties, nothing above or beside.
    assert sorted(
        await ids(backend, Query(text="食品经营", variants=("食品经营",), region_code=OTHER_CITY))
    ) == [
        "W1",
        "WX",
    ]
    assert sorted(
        await ids(backend, Query(text="食品经营", variants=("食品经营",), region_code=PROVINCE))
    ) == [
        "C1",
        "P1",
        "W1",
        "WX",
    ]
    assert await ids(backend, Query(text="食品经营", variants=("食品经营",), region_code=OTHER_COUNTY)) == [
        "WX"
    ]


# -- ranking and text -------------------------------------------------------------------------


async def test_the_name_outranks_the_guide_text(backend: SearchBackend) -> None:
    await put_all(
        backend,
        matter("G1", "社会保障卡申领", body="办理时需携带居民身份证原件"),
        matter("N1", "居民身份证换领", body="有效期满前三个月内申请"),
    )
    assert await ids(backend, query("居民身份证")) == ["N1", "G1"]


async def test_a_longer_query_is_not_matched_by_a_common_part_of_it(backend: SearchBackend) -> None:
    # Nearly every guide lists 居民身份证 among its materials; asking for 居民身份证换领 must not
    # return them all (4 of its 6 bigrams), only what is about the renewal.
    await put_all(
        backend,
        matter("Z1", "居民身份证换领", COUNTY),
        matter("F1", "食品经营许可", COUNTY, body="申请材料：居民身份证、营业执照"),
        matter("H1", "结婚登记", COUNTY, body="双方的居民身份证和户口簿"),
    )
    assert await ids(backend, query("居民身份证换领")) == ["Z1"]
    assert sorted(await ids(backend, query("居民身份证"))) == ["F1", "H1", "Z1"]


async def test_two_character_queries_work(backend: SearchBackend) -> None:
    await put_all(backend, matter("H1", "普通护照签发"), matter("H2", "结婚登记"))
    assert await ids(backend, query("护照")) == ["H1"]


async def test_synonym_variants_widen_the_query(backend: SearchBackend) -> None:
    await put_all(
        backend,
        matter("S1", "机动车驾驶证补领"),
        matter("S2", "驾照考试预约"),
        matter("S3", "居民身份证换领"),
    )
    assert await ids(backend, query("驾驶证")) == ["S1"]
    widened = await backend.search(query("驾照", variants=("驾照", "机动车驾驶证")))
    hits = {h.doc.id: h for h in widened.hits}
    assert sorted(hits) == ["S1", "S2"] and widened.total == 2
    assert hits["S1"].title_highlighted == "<em>机动车驾驶证</em>补领"
    assert hits["S2"].title_highlighted == "<em>驾照</em>考试预约"


def understood(text: str) -> Query:
    u = understand(text, builtin())
    return Query(text=u.text, variants=u.variants, site_codes=COUNTY_SCOPE)


async def test_queries_as_citizens_ask_them_find_the_matter(backend: SearchBackend) -> None:
    await put_all(
        backend,
        matter("ID1", "居民身份证换领"),
        matter("ID2", "居民身份证补领"),
        matter("ID3", "居民身份证首次申领", body="携带居民户口簿"),
        matter("BL1", "個體工商戶營業執照變更登記"),  # the Hubei seed's traditional characters
        matter("BL2", "营业执照设立登记"),
        matter("X1", "结婚登记"),
    )
    assert (await ids(backend, understood("身份证丢了怎么办？")))[0] == "ID2"
    assert (await ids(backend, understood("身份证过期了怎么办")))[0] == "ID1"
    assert sorted(await ids(backend, understood("營業執照"))) == ["BL1", "BL2"]
    assert sorted(await ids(backend, understood("营业执照"))) == ["BL1", "BL2"]
    assert (await ids(backend, understood("我想开个店")))[0] == "BL2"
    # Matched by its words only: no page of unrelated matters.
    assert await ids(backend, understood("个体工商户变更")) == ["BL1"]


async def test_paging(backend: SearchBackend) -> None:
    await put_all(backend, *(matter(f"L{i:02d}", f"道路运输经营许可{i}") for i in range(12)))
    first = await backend.search(query("道路运输", size=5))
    second = await backend.search(query("道路运输", offset=5, size=5))
    rest = await backend.search(query("道路运输", offset=10, size=5))
    assert (first.total, len(first.hits), len(second.hits), len(rest.hits)) == (12, 5, 5, 2)
    pages = [h.doc.id for r in (first, second, rest) for h in r.hits]
    assert sorted(pages) == [f"L{i:02d}" for i in range(12)]


# -- filters and facets ---------------------------------------------------------------------


async def test_filters(backend: SearchBackend) -> None:
    await put_all(
        backend,
        matter(
            "F1",
            "出生登记办理指南",
            PROVINCE,
            type=LICENSING,
            audiences=(PERSON,),
            department="D1",
            themes=("户籍",),
            life_events=("出生",),
            online=True,
        ),
        matter(
            "F2",
            "退休审批办理指南",
            CITY,
            type=BENEFIT,
            audiences=(LEGAL,),
            department="D2",
            themes=("社会保障",),
            life_events=("退休",),
        ),
        matter(
            "F3",
            "企业设立办理指南",
            COUNTY,
            type=PUBLIC_SERVICE,
            audiences=(PERSON, LEGAL),
            department="D1",
            themes=("户籍", "社会保障"),
            life_events=("设立",),
            online=True,
        ),
    )

    async def found(**filters: Any) -> list[str]:
        return sorted(await ids(backend, query("办理指南", **filters)))

    assert await found() == ["F1", "F2", "F3"]
    assert await found(types=(BENEFIT,)) == ["F2"]
    assert await found(types=(LICENSING, PUBLIC_SERVICE)) == ["F1", "F3"]
    assert await found(audiences=(LEGAL,)) == ["F2", "F3"]
    assert await found(department_codes=("D1",)) == ["F1", "F3"]
    assert await found(site_levels=(cat.SITE_LEVEL_COUNTY,)) == ["F3"]
    assert await found(site_levels=(cat.SITE_LEVEL_PROVINCE, cat.SITE_LEVEL_CITY)) == ["F1", "F2"]
    assert await found(theme="户籍") == ["F1", "F3"]
    assert await found(life_event="退休") == ["F2"]
    assert await found(online_only=True) == ["F1", "F3"]
    assert await found(types=(PUBLIC_SERVICE,), theme="户籍", online_only=True) == ["F3"]
    assert await found(types=(BENEFIT,), online_only=True) == []


async def test_facets_count_each_field_without_its_own_filter(backend: SearchBackend) -> None:
    await put_all(
        backend,
        matter("M1", "营业执照服务事项", PROVINCE, type=LICENSING, audiences=(PERSON,), department="D1"),
        matter("M2", "户口迁移服务事项", CITY, type=LICENSING, audiences=(LEGAL,), department="D2"),
        matter("M3", "高龄津贴服务事项", COUNTY, type=BENEFIT, audiences=(PERSON,), department="D1"),
        matter(
            "M4", "身份证明服务事项", COUNTY, type=CONFIRMATION, audiences=(PERSON, LEGAL), department="D2"
        ),
        matter("OUT", "别处的服务事项", OTHER_CITY, type=BENEFIT, audiences=(PERSON,), department="D3"),
    )
    everything = await backend.search(query("服务事项"))
    assert everything.total == 4
    assert facet(everything, "type") == {str(LICENSING): 2, str(BENEFIT): 1, str(CONFIRMATION): 1}
    assert facet(everything, "audience") == {str(PERSON): 3, str(LEGAL): 2}
    assert facet(everything, "department") == {"D1": 2, "D2": 2}
    assert facet(everything, "site_level") == {"1": 1, "2": 1, "3": 2}
    assert everything.department_names == {"D1": "市场监督管理局", "D2": "公安局"}

    licensing = await backend.search(query("服务事项", types=(LICENSING,)))
    assert sorted(h.doc.id for h in licensing.hits) == ["M1", "M2"] and licensing.total == 2
    # The type facet still offers the other types; the others count within licensing only.
    assert facet(licensing, "type") == {str(LICENSING): 2, str(BENEFIT): 1, str(CONFIRMATION): 1}
    assert facet(licensing, "audience") == {str(PERSON): 1, str(LEGAL): 1}
    assert facet(licensing, "department") == {"D1": 1, "D2": 1}
    assert facet(licensing, "site_level") == {"1": 1, "2": 1}

    both = await backend.search(query("服务事项", types=(LICENSING,), audiences=(PERSON,)))
    assert [h.doc.id for h in both.hits] == ["M1"] and both.total == 1
    assert facet(both, "type") == {str(LICENSING): 1, str(BENEFIT): 1, str(CONFIRMATION): 1}
    assert facet(both, "audience") == {str(PERSON): 1, str(LEGAL): 1}
    assert facet(both, "department") == {"D1": 1}
    assert facet(both, "site_level") == {"1": 1}

    # Two facet filters: each field is counted with the other's filter only.
    county = await backend.search(
        query("服务事项", site_levels=(cat.SITE_LEVEL_COUNTY,), department_codes=("D2",))
    )
    assert [h.doc.id for h in county.hits] == ["M4"]
    assert facet(county, "site_level") == {"2": 1, "3": 1}
    assert facet(county, "department") == {"D1": 1, "D2": 1}


# -- highlighting ---------------------------------------------------------------------------


async def test_highlighting_marks_matches_and_escapes_the_rest(backend: SearchBackend) -> None:
    await put_all(
        backend,
        matter("H1", "<b>营业执照</b>设立登记", body="申请人应当提交营业执照申请书 & 其他材料"),
        matter("H2", "个体工商户登记", body="<script>alert(1)</script>办理营业执照前请先核名"),
        matter("H3", "营业执照查询", body="本事项无需材料 <i>网上办理</i>"),
    )
    hits = {h.doc.id: h for h in (await backend.search(query("营业执照"))).hits}
    assert hits["H1"].title_highlighted == "&lt;b&gt;<em>营业执照</em>&lt;/b&gt;设立登记"
    assert "<em>营业执照</em>" in hits["H1"].snippet and "&amp;" in hits["H1"].snippet
    assert hits["H2"].title_highlighted == "个体工商户登记"
    assert "<em>营业执照</em>" in hits["H2"].snippet
    assert "&lt;script&gt;" in hits["H2"].snippet and "<script>" not in hits["H2"].snippet
    assert hits["H3"].title_highlighted == "<em>营业执照</em>查询"
    # Nothing in the body matched: the start of the text, escaped.
    assert hits["H3"].snippet == "本事项无需材料 &lt;i&gt;网上办理&lt;/i&gt;"


async def test_a_long_body_gives_a_short_snippet_around_the_match(backend: SearchBackend) -> None:
    body = "本事项的办理条件如下。" * 20 + "申请营业执照需提交身份证明。" + "其他说明事项。" * 20
    await put_all(backend, matter("L1", "企业开办", body=body))
    (hit,) = (await backend.search(query("营业执照"))).hits
    assert "<em>营业执照</em>" in hit.snippet
    assert len(hit.snippet.replace("<em>", "").replace("</em>", "")) <= 2 * 80


async def test_both_back_ends_mark_the_query_words_whole_not_their_pieces(backend: SearchBackend) -> None:
    # Elasticsearch's highlighter marked every matching bigram (营业 of 营业场所 too); both back
    # ends now mark what the embedded one always did: the query's variants and words, whole.
    await put_all(backend, matter("W1", "营业执照与营业场所变更", body="营业时间内办理营业执照变更"))
    (hit,) = (await backend.search(query("营业执照"))).hits
    assert hit.title_highlighted == "<em>营业执照</em>与营业场所变更"
    assert hit.snippet == "营业时间内办理<em>营业执照</em>变更"


# -- versions and withdrawal ----------------------------------------------------------------


async def test_a_newer_revision_replaces_and_an_older_one_is_ignored(backend: SearchBackend) -> None:
    assert await backend.put(matter("V1", "食品经营许可", revision=5)) is True
    assert await backend.put(matter("V1", "食品经营许可（第六版）", revision=6)) is True
    assert await backend.put(matter("V1", "食品经营许可（第四版）", revision=4)) is False
    assert await backend.put(matter("V1", "食品经营许可（又一个第六版）", revision=6)) is False
    await sync(backend)
    (hit,) = (await backend.search(query("食品经营"))).hits
    assert (hit.doc.id, hit.doc.title, hit.doc.revision) == ("V1", "食品经营许可（第六版）", 6)


async def test_a_withdrawn_document_never_comes_back_from_a_stale_publish(backend: SearchBackend) -> None:
    await put_all(backend, matter("M1", "食品经营许可", COUNTY, revision=2))
    assert await ids(backend, query("食品经营")) == ["M1"]
    assert await backend.put(matter("M1", "食品经营许可", COUNTY, revision=3, published=False)) is True
    await sync(backend)
    assert await ids(backend, query("食品经营")) == []
    assert await backend.suggest(COUNTY_SCOPE, "食品", 5) == []
    # Late, older "published" events must not bring it back.
    assert await backend.put(matter("M1", "食品经营许可", COUNTY, revision=2)) is False
    assert await backend.put(matter("M1", "食品经营许可", COUNTY, revision=3)) is False
    await sync(backend)
    assert await ids(backend, query("食品经营")) == []
    # Published again later: back.
    assert await backend.put(matter("M1", "食品经营许可（新）", COUNTY, revision=4)) is True
    await sync(backend)
    (hit,) = (await backend.search(query("食品经营"))).hits
    assert (hit.doc.id, hit.doc.title, hit.doc.revision) == ("M1", "食品经营许可（新）", 4)


# -- articles -------------------------------------------------------------------------------


async def test_announcements_wait_for_their_date_and_faqs_are_a_kind_of_their_own(
    backend: SearchBackend,
) -> None:
    now = datetime.now(UTC)
    await put_all(
        backend,
        article(ANNOUNCEMENT, "A1", "关于调整社保缴费基数的公告", publish_at=now - timedelta(days=1)),
        article(ANNOUNCEMENT, "A2", "关于调整社保缴费时间的公告", CITY, publish_at=now + timedelta(days=10)),
        article(FAQ, "Q1", "社保缴费基数如何查询？", COUNTY, body="登录网上办事大厅查询。", matter_code="M9"),
        matter("M9", "社保缴费基数申报", COUNTY),
    )
    assert await ids(backend, query("社保缴费", kind=ANNOUNCEMENT)) == ["A1"]
    later = await ids(backend, query("社保缴费", kind=ANNOUNCEMENT, now=now + timedelta(days=11)))
    assert sorted(later) == ["A1", "A2"]
    faq = (await backend.search(query("社保缴费", kind=FAQ))).hits
    assert [(h.doc.id, h.doc.kind, h.doc.matter_code) for h in faq] == [("Q1", FAQ, "M9")]
    assert await ids(backend, query("社保缴费")) == ["M9"]
    (announcement,) = (await backend.search(query("社保缴费", kind=ANNOUNCEMENT))).hits
    assert announcement.doc.publish_at is not None
    assert abs(announcement.doc.publish_at - (now - timedelta(days=1))) < timedelta(seconds=1)
    # Withdrawn: gone.
    assert await backend.put(
        article(ANNOUNCEMENT, "A1", "关于调整社保缴费基数的公告", revision=2, published=False)
    )
    await sync(backend)
    assert await ids(backend, query("社保缴费", kind=ANNOUNCEMENT)) == []


# -- suggestions ----------------------------------------------------------------------------


async def test_suggestions_complete_names_of_published_matters_in_scope(backend: SearchBackend) -> None:
    await put_all(
        backend,
        matter("P1", "营业执照设立登记", PROVINCE),
        matter("X1", "营业执照变更登记", COUNTY),
        matter("X2", "营业执照设立登记", COUNTY),
        matter("W1", "营业执照注销登记", OTHER_CITY),
        matter("X3", "营业执照遗失补领", COUNTY, published=False),
        matter("X4", "普通护照签发", COUNTY),
        article(FAQ, "Q1", "营业执照怎么办理？", COUNTY),
    )
    suggestions = await backend.suggest(COUNTY_SCOPE, "营业执照", 10)
    assert sorted(s.text for s in suggestions) == ["营业执照变更登记", "营业执照设立登记"]
    by_text = {s.text: (s.matter_code, s.site_code) for s in suggestions}
    # A name several sites share: the nearest site's copy.
    assert by_text == {"营业执照变更登记": ("X1", COUNTY), "营业执照设立登记": ("X2", COUNTY)}
    assert [(s.text, s.matter_code) for s in await backend.suggest((PROVINCE,), "营业", 10)] == [
        ("营业执照设立登记", "P1")
    ]
    assert len(await backend.suggest(COUNTY_SCOPE, "营业执照", 1)) == 1
    assert [s.text for s in await backend.suggest(SITES[OTHER_CITY][2], "营业执照注", 10)] == [
        "营业执照注销登记"
    ]
    # Anywhere in the name, by pinyin (from any syllable) and by initials: the same on both.
    for typed in ("执照", "yingye", "zhizhao", "YYZZ", "zzbg"):
        assert [s.text for s in await backend.suggest(COUNTY_SCOPE, typed, 10)] == [
            "营业执照变更登记",
            "营业执照设立登记",
        ][: 1 if typed == "zzbg" else 2], typed
    assert [s.text for s in await backend.suggest(COUNTY_SCOPE, "hz", 10)] == ["普通护照签发"]
    assert await backend.suggest(COUNTY_SCOPE, "执照吗", 10) == []


# -- full rebuild ---------------------------------------------------------------------------


async def test_a_rebuild_swaps_in_a_new_generation_while_queries_continue(backend: SearchBackend) -> None:
    await put_all(
        backend,
        matter("R1", "公共场所卫生许可", revision=1),
        matter("R2", "公共场所卫生许可注销", revision=1),
    )
    old = await backend.current_generation()
    rebuild = await backend.begin_rebuild()
    assert rebuild.name != old and await backend.current_generation() == old

    # Live changes while the rebuild runs: a newer R1, and a new matter R4.
    await backend.put(matter("R1", "公共场所卫生许可（新版）", revision=3))
    await backend.put(matter("R4", "公共场所卫生许可延续", revision=1))
    # The export's copies: R1 older than what the live event wrote (not stored), R3 new. R2 is
    # no longer in the catalogue's export.
    stored = await rebuild.put_many(
        [matter("R1", "公共场所卫生许可", revision=2), matter("R3", "公共场所卫生许可变更", revision=1)]
    )
    assert stored == 1
    await sync(backend)
    # Queries still see the current generation.
    assert sorted(await ids(backend, query("公共场所卫生"))) == ["R1", "R2", "R4"]

    before, after = {"R1", "R2", "R4"}, {"R1", "R3", "R4"}
    seen: list[set[str]] = []
    swapped = asyncio.Event()

    async def keep_searching() -> None:
        while not swapped.is_set():
            seen.append(set(await ids(backend, query("公共场所卫生"))))
            await asyncio.sleep(0)

    searcher = asyncio.create_task(keep_searching())
    await wait_until(lambda: seen, what="a search before the swap")
    assert await rebuild.commit() == rebuild.name
    swapped.set()
    await searcher
    # Every query during the swap answered, from one generation or the other, never a mix.
    assert seen and all(ids_seen in (before, after) for ids_seen in seen), seen
    assert set(await ids(backend, query("公共场所卫生"))) == after

    assert await backend.current_generation() == rebuild.name
    hits = {h.doc.id: h.doc for h in (await backend.search(query("公共场所卫生"))).hits}
    assert hits["R1"].title == "公共场所卫生许可（新版）" and hits["R1"].revision == 3
    # Live writes after the swap reach the new generation.
    await put_all(backend, matter("R5", "公共场所卫生许可补办"))
    assert sorted(await ids(backend, query("公共场所卫生"))) == ["R1", "R3", "R4", "R5"]

    # And again: every rebuild makes a new generation.
    second = await backend.begin_rebuild()
    assert second.name not in (old, rebuild.name)
    await second.put_many([matter("R6", "公共场所卫生许可", revision=1)])
    await second.commit()
    assert await backend.current_generation() == second.name
    assert await ids(backend, query("公共场所卫生")) == ["R6"]


async def test_an_aborted_rebuild_leaves_the_current_generation_alone(backend: SearchBackend) -> None:
    await put_all(backend, matter("B1", "建筑工程施工许可"))
    old = await backend.current_generation()
    rebuild = await backend.begin_rebuild()
    await rebuild.put_many([matter("B2", "建筑工程施工许可变更")])
    await rebuild.abort()
    await put_all(backend, matter("B3", "建筑工程施工许可延期"))
    assert await backend.current_generation() == old
    assert sorted(await ids(backend, query("建筑工程"))) == ["B1", "B3"]
    # A later rebuild starts afresh.
    again = await backend.begin_rebuild()
    await again.put_many([matter("B1", "建筑工程施工许可"), matter("B4", "建筑工程竣工验收备案")])
    await again.commit()
    assert sorted(await ids(backend, query("建筑工程"))) == ["B1", "B4"]


# -- Elasticsearch only: how the generations are kept -----------------------------------------


@pytest.fixture
def es_url(cluster: dict[str, str]) -> str:
    return cluster["GOVHALL_ELASTICSEARCH_URL"]


@pytest.fixture
def es_login(cluster: dict[str, str]) -> dict[str, str]:
    """The search service's Elasticsearch user."""
    return es_credentials(cluster)


@pytest.fixture
async def es_backend(es_url: str, es_login: dict[str, str]) -> AsyncIterator[Any]:
    from govhall.search.es import ElasticsearchBackend

    alias = f"test-search-{uuid.uuid4().hex[:10]}"
    es = ElasticsearchBackend(es_url, alias, **es_login)
    await es.ensure()
    yield es
    await es.client.options(ignore_status=404).indices.delete(index=f"{alias}-*")
    await es.close()


async def test_elasticsearch_generations_and_the_next_alias(
    es_backend: Any, es_url: str, es_login: dict[str, str]
) -> None:
    from govhall.kit.errors import DomainError
    from govhall.search.es import ElasticsearchBackend

    es, client = es_backend, es_backend.client
    await es.ensure()  # a second ensure changes nothing
    first = await es.current_generation()
    assert first == f"{es.alias}-000001"
    rebuild = await es.begin_rebuild()
    assert rebuild.name == f"{es.alias}-000002"
    assert set((await client.indices.get_alias(name=es.next_alias)).body) == {rebuild.name}
    # A second rebuild while one runs is refused.
    with pytest.raises(DomainError) as refused:
        await es.begin_rebuild()
    assert refused.value.code == "REINDEX_RUNNING"
    # Another replica (its own client) writes live changes to both generations.
    other = ElasticsearchBackend(es_url, es.alias, **es_login)
    try:
        assert await other.put(matter("E1", "排污许可证核发")) is True
    finally:
        await other.close()
    await rebuild.commit()
    assert not await client.indices.exists_alias(name=es.next_alias)
    assert not await client.indices.exists(index=first)
    aliases = (await client.indices.get_alias(name=es.alias)).body
    assert aliases == {rebuild.name: {"aliases": {es.alias: {"is_write_index": True}}}}
    settings = (await client.indices.get_settings(index=rebuild.name))[rebuild.name]["settings"]["index"]
    assert settings["refresh_interval"] == "1s" and settings["number_of_replicas"] == "0"
    assert await ids(es, query("排污许可")) == ["E1"]
    # A write after the swap with a stale "rebuilding" answer neither fails nor creates an index.
    es._next_seen = (time.monotonic(), True)
    assert await es.put(matter("E2", "排污许可证变更")) is True
    assert not await client.indices.exists(index=es.next_alias)


async def test_elasticsearch_mapping_is_strict_and_suggest_inputs_follow_publication(es_backend: Any) -> None:
    es, client = es_backend, es_backend.client
    await es.put(matter("S1", "取水许可"))
    await es.put(replace(matter("S2", "取水许可延续"), published=False))
    await es.refresh()
    mapping = (await client.indices.get_mapping(index=es.alias)).body
    (mappings,) = [m["mappings"] for m in mapping.values()]
    assert mappings["dynamic"] == "strict"
    sources = {
        h["_id"]: h["_source"]
        for h in (await client.search(index=es.alias, query={"match_all": {}}))["hits"]["hits"]
    }
    assert sources[f"{MATTER}:S1"]["suggest_keys"][:3] == ["取水许可", "qushuixuke", "qsxk"]
    assert sources[f"{MATTER}:S1"]["suggest_length"] == 4
    assert "suggest_keys" not in sources[f"{MATTER}:S2"]


async def test_elasticsearch_down_is_reported_as_unavailable() -> None:
    from govhall.kit.errors import DomainError, ErrorKind
    from govhall.search.es import ElasticsearchBackend

    # Nothing listens on port 9 of the loopback.
    down = ElasticsearchBackend("http://127.0.0.1:9", "test-search-down")
    try:
        with pytest.raises(DomainError) as caught:
            await down.search(query("护照"))
        assert (caught.value.code, caught.value.kind) == ("SEARCH_UNAVAILABLE", ErrorKind.UNAVAILABLE)
        with pytest.raises(DomainError):
            await down.suggest(COUNTY_SCOPE, "护照", 5)
        assert await down.ready() is False
    finally:
        await down.close()


async def test_an_elasticsearch_index_without_the_word_fields_gets_them_at_start(
    es_url: str, es_login: dict[str, str]
) -> None:
    from govhall.search import es as es_module
    from govhall.search.es import ElasticsearchBackend

    alias = f"test-search-{uuid.uuid4().hex[:10]}"
    old = ElasticsearchBackend(es_url, alias, **es_login)
    try:
        # The mapping of an earlier release: no word fields (and `dynamic: strict` refuses them).
        properties = {
            k: v for k, v in es_module.MAPPINGS["properties"].items() if k not in es_module.WORD_FIELDS
        }
        await old.client.indices.create(
            index=f"{alias}-000001",
            mappings={**es_module.MAPPINGS, "properties": properties},
            aliases={alias: {"is_write_index": True}},
        )
        await old.ensure()
        await put_all(old, matter("W1", "個體工商戶營業執照變更登記"))
        assert await ids(old, query("个体工商户 变更", variants=("个体工商户 变更",))) == ["W1"]
    finally:
        await old.client.options(ignore_status=404).indices.delete(index=f"{alias}-*")
        await old.close()


async def test_the_index_lists_its_published_matter_names_once_each(backend: Any) -> None:
    """What the segmenter learns at start-up, so a restarted search cuts questions as before."""
    for doc in (
        matter("M1", "居民身份证补领"),
        matter("M2", "居民身份证补领", site=COUNTY),  # the same name at another site: once
        matter("M3", "机动车驾驶证换证"),
        matter("M4", "已撤回的事项", published=False),
        article(FAQ, "F1", "身份证丢了怎么办"),
    ):
        assert await backend.put(doc)
    await sync(backend)
    assert sorted(await backend.matter_names()) == ["居民身份证补领", "机动车驾驶证换证"]


async def test_elasticsearch_runs_no_aggregations_when_the_facets_are_not_asked_for(
    cluster: dict[str, str],
) -> None:
    """智能问答's lookups want the hits only: the same hits and total, no aggregations asked of
    Elasticsearch (its request carries none), no facet counts in the result."""
    from govhall.search.es import ElasticsearchBackend

    alias = f"test-search-{uuid.uuid4().hex[:10]}"
    es = ElasticsearchBackend(cluster["GOVHALL_ELASTICSEARCH_URL"], alias, **es_credentials(cluster))
    await es.ensure()
    try:
        await put_all(es, matter("M1", "营业执照服务事项"), matter("M2", "户口迁移服务事项", CITY))
        sent: list[dict[str, Any]] = []
        search = es.client.search

        async def spy(**kwargs: Any) -> Any:
            sent.append(kwargs)
            return await search(**kwargs)

        es.client.search = spy  # type: ignore[method-assign]
        full = await es.search(query("服务事项"))
        bare = await es.search(query("服务事项", facets=False))
        assert [h.doc.id for h in bare.hits] == [
            h.doc.id for h in full.hits
        ] and bare.total == full.total == 2
        assert sent[0]["aggs"] and sent[1]["aggs"] is None
        assert bare.facets == {} and facet(full, "site_level") == {"1": 1, "2": 1}
    finally:
        await es.client.options(ignore_status=404).indices.delete(index=f"{alias}-*")
        await es.close()
