"""The gateway's routes for versions, QR codes, articles, browsing, search features and reindex."""

from __future__ import annotations

import json
import xml.dom.minidom
from typing import Any

import httpx

from .conftest import AUTH
from .test_api import MATTER, assert_problem, seed, until

CODE = MATTER["code"]


async def publish(gateway: httpx.AsyncClient, body: dict[str, Any] = MATTER) -> None:
    r = await gateway.post("/api/v1/admin/sites/420502/matters", json=body, headers=AUTH)
    assert r.status_code == 201, r.text
    r = await gateway.post(f"/api/v1/admin/sites/420502/matters/{body['code']}/publish", headers=AUTH)
    assert r.status_code == 200, r.text


async def search(gateway: httpx.AsyncClient, site: str, **params: Any) -> dict[str, Any]:
    r = await gateway.get(f"/api/v1/sites/{site}/search", params=params)
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_an_edit_makes_a_new_version_and_the_public_keeps_the_old_until_published(
    gateway: httpx.AsyncClient,
) -> None:
    await seed(gateway)
    await publish(gateway)
    edited = {k: v for k, v in MATTER.items() if k != "code"} | {"name": "食品经营许可（新办）"}
    r = await gateway.put(f"/api/v1/admin/sites/420502/matters/{CODE}", json=edited, headers=AUTH)
    assert r.status_code == 200 and r.json()["version"] == 2 and r.json()["status"] == "draft"

    public = (await gateway.get(f"/api/v1/sites/420502/matters/{CODE}")).json()
    assert (public["version"], public["name"], public["latest_version"]) == (1, "食品经营许可", 2)
    admin = (await gateway.get(f"/api/v1/admin/sites/420502/matters/{CODE}", headers=AUTH)).json()
    assert (admin["version"], admin["status"]) == (2, "draft")
    # The public may not read the draft by number; the version list shows only published ones.
    assert_problem(
        await gateway.get(f"/api/v1/sites/420502/matters/{CODE}", params={"version": 2}),
        404,
        "MATTER_VERSION_NOT_FOUND",
    )
    versions = (await gateway.get(f"/api/v1/sites/420502/matters/{CODE}/versions")).json()["items"]
    assert [(v["version"], v["status"]) for v in versions] == [(1, "published")]

    r = await gateway.post(f"/api/v1/admin/sites/420502/matters/{CODE}/publish", headers=AUTH)
    assert r.json()["version"] == 2 and r.json()["status"] == "published"
    assert (await gateway.get(f"/api/v1/sites/420502/matters/{CODE}")).json()[
        "name"
    ] == "食品经营许可（新办）"
    old = (await gateway.get(f"/api/v1/sites/420502/matters/{CODE}", params={"version": 1})).json()
    assert (old["name"], old["status"]) == ("食品经营许可", "superseded")
    found = await until(lambda: _titles(gateway, "420502", "食品经营许可"), timeout=5)
    assert found == ["食品经营许可（新办）"]


async def _titles(gateway: httpx.AsyncClient, site: str, q: str) -> list[str] | None:
    titles = [h["title"] for h in (await search(gateway, site, q=q))["items"]]
    return titles if titles and "（新办）" in titles[0] else None


async def test_guide_qr_codes(gateway: httpx.AsyncClient) -> None:
    await seed(gateway)
    await publish(gateway)
    png = await gateway.get(f"/api/v1/sites/420502/matters/{CODE}/qrcode.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png"
    assert png.content.startswith(b"\x89PNG\r\n\x1a\n") and "max-age" in png.headers["cache-control"]
    svg = await gateway.get(f"/api/v1/sites/420502/matters/{CODE}/qrcode.svg")
    assert svg.headers["content-type"].startswith("image/svg+xml")
    assert xml.dom.minidom.parseString(svg.content).documentElement.tagName == "svg"
    assert_problem(
        await gateway.get("/api/v1/sites/420502/matters/NOPE-1/qrcode.png"), 404, "MATTER_NOT_FOUND"
    )


async def test_browse_filters_taxonomy_and_departments(gateway: httpx.AsyncClient) -> None:
    await seed(gateway)
    await publish(gateway)
    taxonomy = (await gateway.get("/api/v1/taxonomy")).json()
    assert "准营准办" in taxonomy["legal_person_themes"] and "出生" in taxonomy["person_life_events"]
    departments = (await gateway.get("/api/v1/sites/420502/departments")).json()["items"]
    assert [d["name"] for d in departments] == ["西陵区行政审批局"]
    children = (await gateway.get("/api/v1/sites/420500/children")).json()["items"]
    assert [c["code"] for c in children] == ["420502"] and children[0]["level"] == "county"

    def codes(r: httpx.Response) -> list[str]:
        assert r.status_code == 200, r.text
        return [m["code"] for m in r.json()["items"]]

    browse = "/api/v1/sites/420502/matters"
    assert codes(await gateway.get(browse, params={"theme": "准营准办"})) == [CODE]
    assert codes(await gateway.get(browse, params={"theme": "婚姻登记"})) == []
    assert codes(await gateway.get(browse, params={"handling_type": "promised", "min_online_depth": 4})) == [
        CODE
    ]
    assert codes(await gateway.get(browse, params={"handling_type": "instant"})) == []
    assert_problem(await gateway.get(browse, params={"handling_type": "later"}), 400, "REQUEST_INVALID")
    hot = (await gateway.get("/api/v1/sites/420502/hot-matters")).json()
    assert hot["items"] == [] or hot["items"][0]["applications"] >= 0


async def test_articles_publish_and_list(gateway: httpx.AsyncClient) -> None:
    await seed(gateway)
    await publish(gateway)
    faq = {"kind": "faq", "title": "食品经营许可证丢了怎么办？", "body": "可申请补办。", "matter_code": CODE}
    r = await gateway.put("/api/v1/admin/sites/420502/articles/faq-1", json=faq, headers=AUTH)
    assert r.status_code == 200 and r.json()["status"] == "draft", r.text
    assert (await gateway.get("/api/v1/sites/420502/faqs")).json()["items"] == []
    r = await gateway.post("/api/v1/admin/sites/420502/articles/faq-1/publish", headers=AUTH)
    assert r.json()["status"] == "published"
    listed = (await gateway.get("/api/v1/sites/420502/faqs", params={"matter": CODE})).json()
    assert [a["id"] for a in listed["items"]] == ["faq-1"] and listed["items"][0]["kind"] == "faq"
    r = await gateway.post(
        "/api/v1/admin/sites/420500/articles",
        json={"kind": "announcement", "title": "关于延时服务的公告", "body": "周六上午提供延时服务。"},
        headers=AUTH,
    )
    assert r.status_code == 201
    announcement = r.json()["id"]
    await gateway.post(f"/api/v1/admin/sites/420500/articles/{announcement}/publish", headers=AUTH)
    # A county sees its city's announcements.
    items = (await gateway.get("/api/v1/sites/420502/announcements")).json()["items"]
    assert [a["title"] for a in items] == ["关于延时服务的公告"]
    assert (await gateway.get(f"/api/v1/sites/420502/articles/{announcement}")).json()[
        "site_name"
    ] == "宜昌市"
    found = await until(lambda: _kind_hits(gateway, "延时服务", "announcement"))
    assert found == [announcement]
    assert_problem(
        await gateway.post("/api/v1/admin/sites/420502/articles", json={**faq, "kind": "news"}, headers=AUTH),
        400,
        "REQUEST_INVALID",
    )


async def _kind_hits(gateway: httpx.AsyncClient, q: str, kind: str) -> list[str]:
    return [h["id"] for h in (await search(gateway, "420502", q=q, kind=kind))["items"]]


async def test_search_facets_region_suggestions_and_hot_words(gateway: httpx.AsyncClient) -> None:
    await seed(gateway)
    await publish(gateway)
    found = await until(lambda: _kind_hits(gateway, "食品经营", "matter"))
    assert found == [CODE]
    result = await search(gateway, "420502", q="食品经营")
    facets = {f["field"]: f["values"] for f in result["facets"]}
    # Facet values are the ones the filter named in `param` accepts (not enum numbers).
    assert {"value": "licensing", "label": "行政许可", "count": 1} in facets["type"]
    assert [(v["value"], v["label"]) for v in facets["site_level"]] == [("county", "县级")]
    assert {f["field"]: f["param"] for f in result["facets"]} == {
        "type": "type",
        "audience": "audience",
        "department": "department",
        "site_level": "level",
    }
    for facet in result["facets"]:
        for value in facet["values"]:
            narrowed = await search(gateway, "420502", q="食品经营", **{facet["param"]: value["value"]})
            assert narrowed["page"]["total"] == value["count"], (facet["field"], value)
    assert (await search(gateway, "420502", q="食品经营", type="benefit"))["items"] == []
    assert (await search(gateway, "420502", q="食品经营", level=["county", "city"]))["page"]["total"] == 1
    # The province sees only its own matters, unless it searches a region.
    assert (await search(gateway, "420000", q="食品经营"))["items"] == []
    assert (await search(gateway, "420000", q="食品经营", region="420500"))["page"]["total"] == 1
    assert_problem(
        await gateway.get("/api/v1/sites/420502/search", params={"q": "x", "type": "nope"}),
        400,
        "REQUEST_INVALID",
    )

    suggestions = (await gateway.get("/api/v1/sites/420502/search/suggest", params={"q": "食品"})).json()[
        "items"
    ]
    assert [s["text"] for s in suggestions] == ["食品经营许可"]
    words = (await gateway.get("/api/v1/sites/420502/search/hot-words")).json()["items"]
    assert words and words[0]["word"] == "食品经营" and words[0]["count"] == 1  # one client, counted once


async def test_reindex_is_for_platform_administrators(gateway: httpx.AsyncClient) -> None:
    await seed(gateway)
    await publish(gateway)
    assert_problem(await gateway.post("/api/v1/admin/search/reindex"), 401, "UNAUTHENTICATED")
    r = await gateway.post("/api/v1/admin/search/reindex", headers=AUTH)
    assert r.status_code == 200 and r.headers["content-type"] == "application/x-ndjson"
    lines = [json.loads(line) for line in r.text.splitlines()]
    phases = [p["phase"] for p in lines]
    assert phases[0] == "started" and "indexing" in phases and phases[-2:] == ["swapped", "done"]
    assert lines[-1]["done"] == lines[-1]["total"] == 1
    assert (await search(gateway, "420502", q="食品经营"))["page"]["total"] == 1
