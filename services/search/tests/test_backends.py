"""Both search back ends behave the same: Elasticsearch (real server) and embedded SQLite FTS5."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.search.backend import SearchBackend
from govhall.search.model import MatterDoc

PROVINCE, CITY, COUNTY, OTHER_CITY = "420000", "420500", "420502", "420100"
COUNTY_PATH = [PROVINCE, CITY, COUNTY]


@pytest.fixture(params=["embedded", "elasticsearch"])
async def backend(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[Any]:
    if request.param == "embedded":
        from govhall.search.fts import EmbeddedBackend

        b: Any = EmbeddedBackend(tmp_path / "index.db")
        await b.ensure()
        yield b
        await b.close()
        return
    from govhall.search.es import ElasticsearchBackend

    cluster = request.getfixturevalue("cluster")
    alias = f"test-matters-{uuid.uuid4().hex[:8]}"
    b = ElasticsearchBackend(cluster["GOVHALL_ELASTICSEARCH_URL"], alias)
    await b.ensure()
    yield b
    await b.client.indices.delete(index=f"{alias}-v1", ignore_unavailable=True)
    await b.close()


def doc(
    code: str, name: str, site: str, revision: int = 1, published: bool = True, body: str = ""
) -> MatterDoc:
    return MatterDoc(
        code=code,
        revision=revision,
        published=published,
        site_code=site,
        site_name={PROVINCE: "湖北省", CITY: "宜昌市", COUNTY: "西陵区", OTHER_CITY: "武汉市"}[site],
        name=name,
        department_name="行政审批局",
        type=cat.MATTER_TYPE_LICENSING,
        audiences=(cat.AUDIENCE_PERSON, cat.AUDIENCE_LEGAL_PERSON),
        online_application=True,
        body=body,
    )


async def put_all(backend: SearchBackend, *docs: MatterDoc) -> None:
    for d in docs:
        await backend.put(d)
    if hasattr(backend, "refresh"):
        await backend.refresh()  # type: ignore[attr-defined]


async def codes(backend: SearchBackend, sites: list[str], query: str) -> list[str]:
    hits, total = await backend.search(sites, query, 0, 20)
    assert total == len(hits)
    return [h.doc.code for h in hits]


async def test_chinese_query_finds_matters_of_the_site_and_its_ancestors(backend: SearchBackend) -> None:
    await put_all(
        backend,
        doc("P1", "营业执照设立登记", PROVINCE),
        doc("C1", "个体工商户营业执照变更登记", COUNTY),
        doc("W1", "营业执照注销登记", OTHER_CITY),
        doc("X1", "居民身份证换领", PROVINCE),
    )
    assert sorted(await codes(backend, COUNTY_PATH, "营业执照")) == ["C1", "P1"]
    assert await codes(backend, [PROVINCE], "营业执照") == ["P1"]
    assert await codes(backend, [PROVINCE, OTHER_CITY], "营业执照注销") == ["W1"]


async def test_name_outranks_guide_text(backend: SearchBackend) -> None:
    await put_all(
        backend,
        doc("G1", "社会保障卡申领", PROVINCE, body="办理时需携带居民身份证原件"),
        doc("N1", "居民身份证换领", PROVINCE, body="有效期满前三个月内申请"),
    )
    assert await codes(backend, [PROVINCE], "居民身份证") == ["N1", "G1"]


async def test_two_character_queries_work(backend: SearchBackend) -> None:
    await put_all(backend, doc("H1", "普通护照签发", PROVINCE), doc("H2", "结婚登记", PROVINCE))
    assert await codes(backend, [PROVINCE], "护照") == ["H1"]


async def test_withdrawn_matters_disappear_and_stale_revisions_are_ignored(backend: SearchBackend) -> None:
    await put_all(backend, doc("M1", "食品经营许可", COUNTY, revision=2))
    assert await codes(backend, COUNTY_PATH, "食品经营") == ["M1"]
    assert await backend.put(doc("M1", "食品经营许可", COUNTY, revision=3, published=False)) is True
    await put_all(backend)
    assert await codes(backend, COUNTY_PATH, "食品经营") == []
    # A late, older "published" event must not bring it back.
    assert await backend.put(doc("M1", "食品经营许可", COUNTY, revision=2)) is False
    assert await backend.put(doc("M1", "食品经营许可", COUNTY, revision=3)) is False
    await put_all(backend)
    assert await codes(backend, COUNTY_PATH, "食品经营") == []
    # Republished later: back.
    assert await backend.put(doc("M1", "食品经营许可（新）", COUNTY, revision=4)) is True
    await put_all(backend)
    hits, _ = await backend.search(COUNTY_PATH, "食品经营", 0, 10)
    assert [(h.doc.code, h.doc.name, h.doc.revision) for h in hits] == [("M1", "食品经营许可（新）", 4)]


async def test_paging(backend: SearchBackend) -> None:
    await put_all(backend, *(doc(f"L{i:02d}", f"道路运输经营许可{i}", PROVINCE) for i in range(12)))
    first, total = await backend.search([PROVINCE], "道路运输", 0, 5)
    rest, _ = await backend.search([PROVINCE], "道路运输", 10, 5)
    assert total == 12 and len(first) == 5 and len(rest) == 2
    assert not {h.doc.code for h in first} & {h.doc.code for h in rest}
