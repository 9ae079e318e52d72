"""The search routes' suggestions by pinyin and initials, ranked by searches, and 你是不是要找."""

from __future__ import annotations

from typing import Any

import httpx

from govhall.kit.testing import wait_until

from .test_api import MATTER, assert_problem, seed
from .test_catalogue_search_routes import publish, search

NAMES = {"0101": "营业执照设立登记", "0102": "营业执照变更登记", "0103": "居民身份证换领"}


async def _publish_names(gateway: httpx.AsyncClient) -> None:
    await seed(gateway)
    for number, name in NAMES.items():
        await publish(gateway, MATTER | {"code": f"420502-XZSP-{number}", "name": name})

    async def indexed() -> bool:
        return (await search(gateway, "420502", q="登记"))["page"]["total"] == 2 and (
            await search(gateway, "420502", q="居民身份证")
        )["page"]["total"] == 1

    await wait_until(indexed)


async def suggested(gateway: httpx.AsyncClient, q: str, **params: Any) -> list[str]:
    r = await gateway.get("/api/v1/sites/420502/search/suggest", params={"q": q, **params})
    assert r.status_code == 200, r.text
    return [s["text"] for s in r.json()["items"]]


async def test_suggestions_by_any_part_pinyin_or_initials_most_searched_first(
    gateway: httpx.AsyncClient,
) -> None:
    await _publish_names(gateway)
    assert await suggested(gateway, "身份") == ["居民身份证换领"]
    assert await suggested(gateway, "yyzz") == ["营业执照变更登记", "营业执照设立登记"]
    assert await suggested(gateway, "yingye") == ["营业执照变更登记", "营业执照设立登记"]
    assert await suggested(gateway, "执照设立") == ["营业执照设立登记"]
    # Searched once (a hot word now): first.
    assert (await search(gateway, "420502", q="营业执照设立登记"))["page"]["total"] == 1
    assert await suggested(gateway, "yyzz") == ["营业执照设立登记", "营业执照变更登记"]
    assert await suggested(gateway, "yyzz", size=1) == ["营业执照设立登记"]
    assert_problem(
        await gateway.get("/api/v1/sites/420502/search/suggest", params={"q": "长" * 31}),
        400,
        "REQUEST_INVALID",
    )
    assert_problem(
        await gateway.get("/api/v1/sites/420502/search/suggest", params={"q": ""}), 400, "REQUEST_INVALID"
    )


async def test_did_you_mean_on_the_search_route(gateway: httpx.AsyncClient) -> None:
    await _publish_names(gateway)
    typo = await search(gateway, "420502", q="营业执找")
    assert (typo["query"], typo["did_you_mean"], typo["corrected"], typo["original_query"]) == (
        "营业执找",
        "营业执照",
        True,
        "营业执找",
    )
    # The names first (the guide text they share may mention 营业执照 too).
    assert sorted(h["id"] for h in typo["items"][:2]) == ["420502-XZSP-0101", "420502-XZSP-0102"]
    homophone = await search(gateway, "420502", q="身分证")
    assert (homophone["did_you_mean"], homophone["corrected"]) == ("身份证", True)
    assert [h["id"] for h in homophone["items"]][:1] == ["420502-XZSP-0103"]
    # A query with good hits is never corrected.
    good = await search(gateway, "420502", q="营业执照")
    assert good["page"]["total"] >= 2
    assert (good["did_you_mean"], good["corrected"], good["original_query"]) == ("", False, "")
    assert_problem(await gateway.get("/api/v1/sites/420502/search", params={"q": ""}), 400, "REQUEST_INVALID")
    # Documented.
    schema = (await gateway.get("/openapi.json")).json()["components"]["schemas"]["SearchOut"]["properties"]
    assert {"did_you_mean", "corrected", "original_query"} <= set(schema)
