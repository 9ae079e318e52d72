"""The embedded back end (SQLite FTS5 trigram): short terms, synonyms, scope, facets, suggestions,
and the generation swap that rebuilds the index while queries continue."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from govhall.kit.errors import DomainError
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.search.fts import EmbeddedBackend
from govhall.search.model import ANNOUNCEMENT, FAQ, MATTER, Query, Result, SearchDoc
from govhall.search.synonyms import expand

PROVINCE, CITY, COUNTY, OTHER_CITY = "420000", "420500", "420502", "420100"
PATHS = {
    PROVINCE: (PROVINCE,),
    CITY: (PROVINCE, CITY),
    COUNTY: (PROVINCE, CITY, COUNTY),
    OTHER_CITY: (PROVINCE, OTHER_CITY),
}
LEVELS = {
    PROVINCE: cat.SITE_LEVEL_PROVINCE,
    CITY: cat.SITE_LEVEL_CITY,
    COUNTY: cat.SITE_LEVEL_COUNTY,
    OTHER_CITY: cat.SITE_LEVEL_CITY,
}
NAMES = {PROVINCE: "湖北省", CITY: "宜昌市", COUNTY: "西陵区", OTHER_CITY: "武汉市"}
COUNTY_SCOPE = PATHS[COUNTY]


def doc(doc_id: str, title: str, site: str = PROVINCE, **fields: Any) -> SearchDoc:
    values: dict[str, Any] = {
        "kind": MATTER,
        "revision": 1,
        "published": True,
        "body": "",
        "department_code": "xzsp",
        "department_name": "行政审批局",
        "type": cat.MATTER_TYPE_LICENSING,
        "audiences": (cat.AUDIENCE_PERSON,),
        "online_application": True,
        "version": 1,
    }
    values.update(fields)
    return SearchDoc(
        id=doc_id,
        site_code=site,
        site_name=NAMES[site],
        site_level=LEVELS[site],
        site_path=PATHS[site],
        title=title,
        **values,
    )


def query(text: str, *, site_codes: tuple[str, ...] = (PROVINCE,), **fields: Any) -> Query:
    variants, _ = expand(text)
    return Query(text=text, variants=variants, site_codes=site_codes, **fields)


@pytest.fixture
async def backend(tmp_path: Path) -> AsyncIterator[EmbeddedBackend]:
    b = EmbeddedBackend(tmp_path / "index.db")
    await b.ensure()
    yield b
    await b.close()


async def put_all(backend: EmbeddedBackend, *docs: SearchDoc) -> None:
    for d in docs:
        assert await backend.put(d) is True


async def ids(backend: EmbeddedBackend, q: Query) -> list[str]:
    result = await backend.search(q)
    assert result.total == len(result.hits)
    return [h.doc.id for h in result.hits]


# --- matching ------------------------------------------------------------------------------------


async def test_two_character_and_one_character_terms_fall_back_to_like(backend: EmbeddedBackend) -> None:
    await put_all(
        backend,
        doc("H1", "普通护照签发"),
        doc("H2", "结婚登记"),
        doc("H3", "出入境证件办理", body="港澳通行证、护照的申领"),
    )
    assert await ids(backend, query("护照")) == ["H1", "H3"]
    assert await ids(backend, query("证")) == ["H3"]
    # A long and a short term together: both must match.
    assert await ids(backend, query("普通护照 签发")) == ["H1"]
    assert await ids(backend, query("普通护照 注销")) == []
    # LIKE wildcards in a term are literal.
    assert await ids(backend, query("%")) == []
    assert await ids(backend, query("_")) == []


async def test_synonyms_widen_the_query_and_the_original_ranks_first(backend: EmbeddedBackend) -> None:
    await put_all(
        backend,
        doc("D1", "机动车驾驶证换证"),
        doc("D2", "驾照考试预约", department_name="公安交管局"),
        doc("D3", "普通护照签发"),
    )
    # The original word (in a name) first, then the official term.
    assert await ids(backend, query("驾照")) == ["D2", "D1"]
    result = await backend.search(query("驾照"))
    assert result.hits[1].title_highlighted == "<em>机动车驾驶证</em>换证"
    # Without synonyms only the literal word matches.
    assert await ids(backend, Query(text="驾照", variants=("驾照",), site_codes=(PROVINCE,))) == ["D2"]


async def test_a_name_containing_the_whole_query_outranks_guide_text(backend: EmbeddedBackend) -> None:
    await put_all(
        backend,
        doc("G1", "社会保障卡申领", body="办理时需携带居民身份证原件"),
        doc("N1", "居民身份证换领", body="有效期满前三个月内申请"),
        doc("N2", "居民身份证首次申领（未满十六周岁）"),
    )
    # Both names contain it; the shorter name first, then the one that has it only in its text.
    assert await ids(backend, query("居民身份证")) == ["N1", "N2", "G1"]
    assert await ids(backend, query("身份证")) == ["N1", "N2", "G1"]


async def test_highlighting_marks_terms_and_variants_and_escapes_the_rest(backend: EmbeddedBackend) -> None:
    body = (
        "申请人应当提交<申请书>。"
        + "其他材料说明。" * 20
        + "办理护照需要居民身份证原件。"
        + "补充说明。" * 20
    )
    await put_all(backend, doc("E1", "普通护照签发<加急>", body=body))
    [hit] = (await backend.search(query("护照"))).hits
    assert hit.title_highlighted == "<em>普通护照</em>签发&lt;加急&gt;"
    assert "<em>护照</em>需要居民身份证" in hit.snippet
    assert len(hit.snippet.replace("<em>", "").replace("</em>", "")) <= 80


# --- scope and filters ---------------------------------------------------------------------------


async def test_site_scope_and_region_scope(backend: EmbeddedBackend) -> None:
    await put_all(
        backend,
        doc("P1", "营业执照设立登记", PROVINCE),
        doc("C1", "个体工商户营业执照变更登记", COUNTY),
        doc("Y1", "营业执照遗失补领", CITY),
        doc("W1", "营业执照注销登记", OTHER_CITY),
    )
    assert sorted(await ids(backend, query("营业执照", site_codes=COUNTY_SCOPE))) == ["C1", "P1", "Y1"]
    assert await ids(backend, query("营业执照", site_codes=(PROVINCE,))) == ["P1"]
    # A region sees its whole subtree, not its ancestors.
    assert sorted(await ids(backend, query("营业执照", site_codes=(), region_code=CITY))) == ["C1", "Y1"]
    assert sorted(await ids(backend, query("营业执照", site_codes=(), region_code=PROVINCE))) == [
        "C1",
        "P1",
        "W1",
        "Y1",
    ]
    assert await ids(backend, query("营业执照", site_codes=(), region_code=OTHER_CITY)) == ["W1"]


async def test_kinds_publish_dates_and_plain_filters(backend: EmbeddedBackend) -> None:
    now = datetime(2025, 6, 1, 8, 0, tzinfo=UTC)
    await put_all(
        backend,
        doc("M1", "城乡居民养老保险参保登记", themes=("社会保障",), life_events=("退休",)),
        doc("M2", "企业职工养老保险关系转移", online_application=False, themes=("社会保障",)),
        doc("1", "关于调整养老保险待遇的公告", kind=ANNOUNCEMENT, publish_at=now - timedelta(days=1)),
        doc("2", "养老保险新政策（明日发布）", kind=ANNOUNCEMENT, publish_at=now + timedelta(hours=1)),
        doc("1", "养老保险可以补缴吗？", kind=FAQ, matter_code="M1"),
    )
    assert sorted(await ids(backend, query("养老保险", now=now))) == ["M1", "M2"]
    assert await ids(backend, query("养老保险", now=now, kind=ANNOUNCEMENT)) == ["1"]
    later = query("养老保险", now=now + timedelta(hours=2), kind=ANNOUNCEMENT)
    assert sorted(await ids(backend, later)) == ["1", "2"]
    [faq] = (await backend.search(query("养老保险", now=now, kind=FAQ))).hits
    assert (faq.doc.kind, faq.doc.id, faq.doc.matter_code) == (FAQ, "1", "M1")
    assert await ids(backend, query("养老保险", now=now, online_only=True)) == ["M1"]
    assert sorted(await ids(backend, query("养老保险", now=now, theme="社会保障"))) == ["M1", "M2"]
    assert await ids(backend, query("养老保险", now=now, life_event="退休")) == ["M1"]
    assert await ids(backend, query("养老保险", now=now, life_event="出生")) == []


async def test_documents_round_trip_every_field(backend: EmbeddedBackend) -> None:
    original = doc(
        "R1",
        "食品经营许可证核发",
        COUNTY,
        revision=7,
        body="申请条件\n材料：营业执照",
        department_code="scjg",
        department_name="市场监督管理局",
        type=cat.MATTER_TYPE_LICENSING,
        audiences=(cat.AUDIENCE_PERSON, cat.AUDIENCE_LEGAL_PERSON),
        themes=("食品", "经营"),
        life_events=("设立",),
        online_application=True,
        version=3,
        publish_at=datetime(2025, 1, 2, 3, 4, 5, 678901, tzinfo=UTC),
        matter_code="",
    )
    await put_all(backend, original)
    [hit] = (await backend.search(query("食品经营", site_codes=COUNTY_SCOPE))).hits
    assert hit.doc == original


async def test_withdrawn_documents_vanish_and_old_revisions_never_return(backend: EmbeddedBackend) -> None:
    await put_all(backend, doc("M1", "食品经营许可", COUNTY, revision=2))
    assert await backend.put(doc("M1", "食品经营许可", COUNTY, revision=3, published=False)) is True
    assert await ids(backend, query("食品经营", site_codes=COUNTY_SCOPE)) == []
    assert await backend.put(doc("M1", "食品经营许可", COUNTY, revision=2)) is False
    assert await backend.put(doc("M1", "食品经营许可", COUNTY, revision=3)) is False
    assert await ids(backend, query("食品经营", site_codes=COUNTY_SCOPE)) == []
    assert await backend.put(doc("M1", "食品经营许可（新）", COUNTY, revision=4)) is True
    # The same id in another kind is another document.
    assert await backend.put(doc("M1", "食品经营许可公告", COUNTY, kind=ANNOUNCEMENT)) is True
    [hit] = (await backend.search(query("食品经营", site_codes=COUNTY_SCOPE))).hits
    assert (hit.doc.id, hit.doc.title, hit.doc.revision) == ("M1", "食品经营许可（新）", 4)


async def test_paging_and_totals(backend: EmbeddedBackend) -> None:
    await put_all(backend, *(doc(f"L{i:02d}", f"道路运输经营许可{i}") for i in range(12)))
    first = await backend.search(query("道路运输", size=5))
    rest = await backend.search(query("道路运输", offset=10, size=5))
    assert first.total == rest.total == 12
    assert len(first.hits) == 5 and len(rest.hits) == 2
    assert not {h.doc.id for h in first.hits} & {h.doc.id for h in rest.hits}


# --- facets --------------------------------------------------------------------------------------


async def test_facets_count_each_field_without_its_own_filter(backend: EmbeddedBackend) -> None:
    person, legal = cat.AUDIENCE_PERSON, cat.AUDIENCE_LEGAL_PERSON
    licensing, service = cat.MATTER_TYPE_LICENSING, cat.MATTER_TYPE_PUBLIC_SERVICE
    health: dict[str, Any] = {"department_code": "wsj", "department_name": "卫生健康委员会"}
    await put_all(
        backend,
        doc("F1", "公共场所卫生许可", PROVINCE, type=licensing, audiences=(legal,), **health),
        doc("F2", "卫生许可证延续", CITY, type=licensing, audiences=(person, legal), **health),
        doc("F3", "卫生许可证注销", COUNTY, type=service, audiences=(person,), department_code="xzsp"),
        doc("F4", "卫生许可咨询", COUNTY, type=service, audiences=(person,), department_code=""),
        doc("F5", "卫生许可（已撤回）", COUNTY, published=False, type=licensing, department_code="old"),
    )
    everything = await backend.search(query("卫生许可", site_codes=COUNTY_SCOPE))
    assert everything.total == 4
    assert everything.facets == {
        "type": [(str(licensing), 2), (str(service), 2)],
        "audience": [(str(person), 3), (str(legal), 2)],
        "department": [("wsj", 2), ("xzsp", 1)],  # no department: not a value
        "site_level": [
            (str(cat.SITE_LEVEL_COUNTY), 2),
            (str(cat.SITE_LEVEL_PROVINCE), 1),
            (str(cat.SITE_LEVEL_CITY), 1),
        ],
    }
    assert everything.department_names == {"wsj": "卫生健康委员会", "xzsp": "行政审批局"}
    filtered: Result = await backend.search(
        query("卫生许可", site_codes=COUNTY_SCOPE, types=(licensing,), audiences=(person,))
    )
    assert [h.doc.id for h in filtered.hits] == ["F2"]
    # type counted with the audience filter only; audience with the type filter only.
    assert filtered.facets["type"] == [(str(service), 2), (str(licensing), 1)]
    assert filtered.facets["audience"] == [(str(legal), 2), (str(person), 1)]
    assert filtered.facets["department"] == [("wsj", 1)]
    assert filtered.facets["site_level"] == [(str(cat.SITE_LEVEL_CITY), 1)]
    by_level = await backend.search(
        query(
            "卫生许可",
            site_codes=COUNTY_SCOPE,
            site_levels=(cat.SITE_LEVEL_COUNTY,),
            department_codes=("xzsp",),
        )
    )
    assert [h.doc.id for h in by_level.hits] == ["F3"]
    assert by_level.facets["department"] == [("xzsp", 1)]
    assert by_level.facets["site_level"] == [(str(cat.SITE_LEVEL_COUNTY), 1)]


async def test_no_match_gives_empty_facets(backend: EmbeddedBackend) -> None:
    await put_all(backend, doc("Z1", "普通护照签发"))
    result = await backend.search(query("不存在的事项"))
    assert (result.hits, result.total) == ([], 0)
    assert result.facets == {"type": [], "audience": [], "department": [], "site_level": []}


# --- suggestions ---------------------------------------------------------------------------------


async def test_suggest_offers_distinct_names_containing_what_was_typed_shortest_first(
    backend: EmbeddedBackend,
) -> None:
    await put_all(
        backend,
        doc("S1", "居民身份证换领", PROVINCE),
        doc("S2", "居民身份证换领", COUNTY),
        doc("S3", "居民身份证首次申领", PROVINCE),
        doc("S4", "临时居民身份证申领", PROVINCE),
        doc("S5", "居民身份证挂失", OTHER_CITY),
        doc("S6", "居民身份证补领（已撤回）", PROVINCE, published=False),
        doc("7", "居民身份证办理须知", PROVINCE, kind=ANNOUNCEMENT),
    )
    suggestions = await backend.suggest(COUNTY_SCOPE, "居民身份证", 10)
    assert [(s.text, s.matter_code, s.site_code) for s in suggestions] == [
        ("居民身份证换领", "S2", COUNTY),  # the searching site's own copy
        ("临时居民身份证申领", "S4", PROVINCE),  # anywhere in the name; same length: by name
        ("居民身份证首次申领", "S3", PROVINCE),
    ]
    assert [s.text for s in await backend.suggest(COUNTY_SCOPE, "临时", 10)] == ["临时居民身份证申领"]
    # Any part of the name, in characters, pinyin (from any syllable) or initials, any case or width.
    for typed in ("身份", "shenfen", "sfz", "ＳＦＺ", "jmsfzhl"):
        assert [s.text for s in await backend.suggest(COUNTY_SCOPE, typed, 10)][:1] == ["居民身份证换领"], (
            typed
        )
    assert [s.text for s in await backend.suggest(COUNTY_SCOPE, "首次", 10)] == ["居民身份证首次申领"]
    assert [s.text for s in await backend.suggest(COUNTY_SCOPE, "lsjm", 10)] == ["临时居民身份证申领"]
    assert await backend.suggest(COUNTY_SCOPE, "身份证换领吗", 10) == []
    assert await backend.suggest(COUNTY_SCOPE, "（）", 10) == []
    assert [s.text for s in await backend.suggest(COUNTY_SCOPE, "居民身份证", 1)] == ["居民身份证换领"]
    assert await backend.suggest(COUNTY_SCOPE, "驾驶证", 5) == []
    assert await backend.suggest((), "居民", 5) == []


async def test_suggestion_keys_follow_revisions_rebuilds_and_reach_generations_of_earlier_releases(
    backend: EmbeddedBackend, tmp_path: Path
) -> None:
    await put_all(backend, doc("K1", "营业执照设立登记"), doc("K2", "普通护照签发"))
    assert [s.text for s in await backend.suggest(COUNTY_SCOPE, "yyzz", 5)] == ["营业执照设立登记"]
    # A newer revision replaces the keys; an older one changes nothing; a withdrawal drops them.
    assert await backend.put(doc("K1", "营业执照变更登记", revision=2)) is True
    assert await backend.put(doc("K1", "排污许可", revision=1)) is False
    assert [s.text for s in await backend.suggest(COUNTY_SCOPE, "yyzz", 5)] == ["营业执照变更登记"]
    assert await backend.suggest(COUNTY_SCOPE, "pwxk", 5) == []
    assert await backend.put(doc("K2", "普通护照签发", revision=2, published=False)) is True
    assert await backend.suggest(COUNTY_SCOPE, "huzhao", 5) == []
    rebuild = await backend.begin_rebuild()
    await rebuild.put_many([doc("K3", "居民身份证换领")])
    await rebuild.commit()
    assert [s.text for s in await backend.suggest(COUNTY_SCOPE, "sfz", 5)] == ["居民身份证换领"]
    # A generation written by an earlier release has no keys table: start-up adds and fills it.
    g = await backend.current_generation()
    async with backend._engine.begin() as conn:
        await conn.exec_driver_sql(f"DROP TABLE sug_{g}")
    await backend.close()
    reopened = EmbeddedBackend(tmp_path / "index.db")
    await reopened.ensure()
    try:
        assert [s.text for s in await reopened.suggest(COUNTY_SCOPE, "jmsfz", 5)] == ["居民身份证换领"]
    finally:
        await reopened.close()


# --- generations: rebuild without downtime -------------------------------------------------------


async def test_rebuild_swaps_while_queries_continue(backend: EmbeddedBackend) -> None:
    old_docs = [doc(f"B{i:04d}", f"不动产登记{i}号", body="不动产权证书" * 5) for i in range(300)]
    await put_all(backend, *old_docs)
    old_generation = await backend.current_generation()
    totals: list[int] = []
    swapped = asyncio.Event()

    async def keep_querying() -> None:
        after_swap = 0
        while after_swap < 5:
            if swapped.is_set():
                after_swap += 1
            totals.append((await backend.search(query("不动产登记", size=3))).total)
            await asyncio.sleep(0)

    reader = asyncio.create_task(keep_querying())
    rebuild = await backend.begin_rebuild()
    assert rebuild.name != old_generation
    new_docs = [replace(d, revision=2) for d in old_docs] + [doc("B9999", "不动产登记（新增）")]
    for start in range(0, len(new_docs), 50):
        assert await rebuild.put_many(new_docs[start : start + 50]) == len(new_docs[start : start + 50])
        # Let the reader query between batches: it must see the old generation, whole.
        seen = len(totals)
        while len(totals) == seen:
            await asyncio.sleep(0)
    assert await backend.current_generation() == old_generation
    assert await rebuild.commit() == rebuild.name
    swapped.set()
    await reader
    assert await backend.current_generation() == rebuild.name
    assert set(totals) <= {300, 301}
    assert totals[0] == 300 and totals[-1] == 301
    assert totals.count(300) >= 7
    # The old generation's tables are gone.
    async with backend._engine.connect() as conn:
        tables = (
            (await conn.execute(sa.text("SELECT name FROM sqlite_master WHERE type = 'table'")))
            .scalars()
            .all()
        )
    assert f"docs_{old_generation}" not in tables and f"docs_{rebuild.name}" in tables


async def test_live_puts_during_a_rebuild_land_in_both_generations(backend: EmbeddedBackend) -> None:
    await put_all(backend, doc("A1", "结婚登记", revision=1), doc("A2", "离婚登记", revision=1))
    rebuild = await backend.begin_rebuild()
    # Live events while the export streams: a new matter, a withdrawal, a newer version.
    assert await backend.put(doc("A3", "补领结婚证", revision=1)) is True
    assert await backend.put(doc("A2", "离婚登记", revision=2, published=False)) is True
    assert await backend.put(doc("A1", "结婚登记（新版）", revision=5)) is True
    # They show at once (in the current generation)...
    assert sorted(await ids(backend, query("结婚"))) == ["A1", "A3"]
    # ...and the export's older copies do not overwrite them in the new one.
    stored = await rebuild.put_many([doc("A1", "结婚登记", revision=4), doc("A2", "离婚登记", revision=1)])
    assert stored == 0
    assert await rebuild.put_many([doc("A4", "结婚登记预约", revision=1)]) == 1
    await rebuild.commit()
    assert sorted(await ids(backend, query("结婚"))) == ["A1", "A3", "A4"]
    [hit] = [h for h in (await backend.search(query("结婚"))).hits if h.doc.id == "A1"]
    assert (hit.doc.title, hit.doc.revision) == ("结婚登记（新版）", 5)
    assert await ids(backend, query("离婚登记")) == []


async def test_abort_leaves_the_current_generation(backend: EmbeddedBackend) -> None:
    await put_all(backend, doc("K1", "残疾人证核发"))
    current = await backend.current_generation()
    rebuild = await backend.begin_rebuild()
    await rebuild.put_many([doc("K2", "残疾人证换领")])
    await rebuild.abort()
    assert await backend.current_generation() == current
    assert await ids(backend, query("残疾证")) == ["K1"]
    with pytest.raises(RuntimeError):
        await rebuild.put_many([doc("K3", "残疾人证迁移")])
    # A put after the abort goes to the current generation only, and a new rebuild can start.
    assert await backend.put(doc("K4", "残疾人证注销")) is True
    assert sorted(await ids(backend, query("残疾证"))) == ["K1", "K4"]
    again = await backend.begin_rebuild()
    assert again.name != rebuild.name
    assert await backend.put(doc("K6", "残疾人证迁移")) is True
    await again.put_many([doc("K5", "残疾人证补领")])
    await again.commit()
    # The new generation holds what its export brought (K5) and what happened meanwhile (K6).
    assert sorted(await ids(backend, query("残疾证"))) == ["K5", "K6"]


async def test_one_rebuild_at_a_time(backend: EmbeddedBackend) -> None:
    rebuild = await backend.begin_rebuild()
    with pytest.raises(DomainError) as raised:
        await backend.begin_rebuild()
    assert raised.value.code == "REINDEX_RUNNING"
    await rebuild.commit()
    with pytest.raises(RuntimeError):
        await rebuild.commit()
    await (await backend.begin_rebuild()).abort()


async def test_a_rebuild_left_by_a_crash_is_dropped_at_start(tmp_path: Path) -> None:
    path = tmp_path / "index.db"
    first = EmbeddedBackend(path)
    await first.ensure()
    await first.put(doc("X1", "低保申请", revision=1))
    rebuild = await first.begin_rebuild()
    await rebuild.put_many([doc("X2", "最低生活保障申请")])
    await first.close()  # the process dies mid-rebuild
    second = EmbeddedBackend(path)
    try:
        await second.ensure()
        generation = await second.current_generation()
        assert generation != rebuild.name
        assert await ids(second, query("低保")) == ["X1"]
        async with second._engine.connect() as conn:
            tables = (await conn.execute(sa.text("SELECT name FROM sqlite_master"))).scalars().all()
        assert not [t for t in tables if rebuild.name in t]
        # The next rebuild gets a fresh name.
        again = await second.begin_rebuild()
        assert again.name not in (generation, rebuild.name)
        await again.abort()
    finally:
        await second.close()


async def test_the_old_matters_only_index_is_replaced(tmp_path: Path) -> None:
    path = tmp_path / "index.db"
    legacy = EmbeddedBackend(path)
    async with legacy._engine.begin() as conn:
        await conn.exec_driver_sql("CREATE TABLE matter_docs (code TEXT PRIMARY KEY, name TEXT)")
        await conn.exec_driver_sql(
            "CREATE VIRTUAL TABLE matter_fts USING fts5(name, content='matter_docs', tokenize='trigram')"
        )
    await legacy.ensure()
    try:
        async with legacy._engine.connect() as conn:
            tables = (await conn.execute(sa.text("SELECT name FROM sqlite_master"))).scalars().all()
        assert not [t for t in tables if t.startswith("matter_")]
        assert await legacy.put(doc("Q1", "普通护照签发")) is True
        assert await ids(legacy, query("护照")) == ["Q1"]
        assert await legacy.ready() is True
    finally:
        await legacy.close()


async def test_a_generation_without_the_word_index_gets_it_at_start(tmp_path: Path) -> None:
    path = tmp_path / "index.db"
    old = EmbeddedBackend(path)
    await old.ensure()
    await old.put(doc("T1", "個體工商戶營業執照變更登記"))
    # Make g1 what an earlier release left: no word table, no word columns.
    async with old._engine.begin() as conn:
        for trigger in ("ai", "ad", "au"):
            await conn.exec_driver_sql(f"DROP TRIGGER docs_g1_tok_{trigger}")
        await conn.exec_driver_sql("DROP TABLE tok_g1")
        await conn.exec_driver_sql("ALTER TABLE docs_g1 DROP COLUMN title_tokens")
        await conn.exec_driver_sql("ALTER TABLE docs_g1 DROP COLUMN body_tokens")
    await old.close()
    upgraded = EmbeddedBackend(path)
    try:
        await upgraded.ensure()
        # Simplified characters find the traditional name through the word index.
        assert await ids(upgraded, query("营业执照")) == ["T1"]
        await upgraded.put(doc("T2", "营业执照注销登记"))
        assert sorted(await ids(upgraded, query("营业执照"))) == ["T1", "T2"]
    finally:
        await upgraded.close()
