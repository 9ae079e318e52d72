"""A site's search words through the gateway: who may maintain them, bad input as problems naming
the field, the audit, and the next search at the site using a new word."""

from __future__ import annotations

from typing import Any

import httpx

from govhall.kit.testing import wait_until

from .conftest import AUTH, Stack
from .test_api import MATTER, assert_problem, seed
from .test_catalogue_admin_routes import staff_token
from .test_identity_routes import bearer, person

LEXICON = "/api/v1/admin/sites/420502/search/lexicon"
SCHOOL = {**MATTER, "code": "420502-XZSP-0009", "name": "义务教育入学登记"}


async def _hits(c: httpx.AsyncClient, q: str) -> list[str]:
    r = await c.get("/api/v1/sites/420502/search", params={"q": q})
    assert r.status_code == 200, r.text
    return [h["id"] for h in r.json()["items"]]


async def test_a_site_admin_adds_and_hides_words_and_the_next_search_uses_them(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    xiangyang = {"name": "襄阳市", "level": "city", "parent_code": "420000"}
    assert (await c.put("/api/v1/admin/sites/420600", json=xiangyang, headers=AUTH)).status_code == 200
    assert (await c.post("/api/v1/admin/sites/420502/matters", json=SCHOOL, headers=AUTH)).status_code == 201
    r = await c.post(f"/api/v1/admin/sites/420502/matters/{SCHOOL['code']}/publish", headers=AUTH)
    assert r.status_code == 200, r.text
    assert await wait_until(lambda: _hits(c, "入学登记")) == [SCHOOL["code"]]
    yichang = await staff_token(c, "yc_admin", "420500", "13900000001")
    other = await staff_token(c, "xy_admin", "420600", "13900000002")
    citizen = bearer((await person(stack, "13812349001"))["access_token"])
    word = f"{LEXICON}/synonym/小孩上学"

    # Anonymous callers are refused by the gateway; a citizen and another city's admin by search.
    for method, url, body in [
        ("GET", LEXICON, None),
        ("GET", f"{LEXICON}/changes", None),
        ("PUT", word, {"terms": ["入学"]}),
        ("DELETE", f"{LEXICON}/synonym/户口本", None),
    ]:
        assert_problem(await c.request(method, url, json=body), 401, "UNAUTHENTICATED")
        for who in (citizen, other):
            assert_problem(await c.request(method, url, json=body, headers=who), 403, "FORBIDDEN")
    assert_problem(
        await c.get("/api/v1/admin/sites/429999/search/lexicon", headers=AUTH), 404, "SITE_NOT_FOUND"
    )

    # Bad input: a problem naming the field, in English and Chinese.
    # (The last two the gateway refuses itself, the others the search service.)
    cases: list[tuple[str, dict[str, Any], str, str]] = [
        (f"{LEXICON}/synonym/{'小' * 21}", {"terms": ["入学"]}, "word", "LEXICON_WORD_INVALID"),
        (word, {"terms": ["入学", "入学"]}, "terms", "LEXICON_TERMS_INVALID"),
        (word, {"terms": []}, "terms", "LEXICON_TERMS_INVALID"),
        (word, {"terms": ["入学", "  "]}, "terms", "LEXICON_TERMS_INVALID"),
        (word, {"terms": ["学" * 31]}, "terms", "LEXICON_TERMS_INVALID"),
        (f"{LEXICON}/antonym/小孩上学", {"terms": ["入学"]}, "path.kind", "REQUEST_INVALID"),
        (word, {"terms": "入学"}, "terms", "REQUEST_INVALID"),
    ]
    for url, body, field, code in cases:
        problem = assert_problem(await c.put(url, json=body, headers=yichang), 400, code)
        assert [e["field"] for e in problem["errors"]] == [field] and problem["errors"][0]["message_zh"]

    assert await _hits(c, "小孩上学") == []
    r = await c.put(word, json={"terms": ["入学"]}, headers=yichang)
    assert r.status_code == 200, r.text
    entry = r.json()
    assert (entry["kind"], entry["word"], entry["terms"], entry["source"], entry["revision"]) == (
        "synonym",
        "小孩上学",
        ["入学"],
        "site",
        1,
    )
    r = await c.get("/api/v1/sites/420502/search", params={"q": "小孩上学"})
    assert ([h["id"] for h in r.json()["items"]], r.json()["synonyms_used"]) == (
        [SCHOOL["code"]],
        ["小孩上学"],
    )
    # A stale revision is a conflict.
    stale = await c.put(word, json={"terms": ["入学", "上学"], "expected_revision": 7}, headers=yichang)
    assert_problem(stale, 409, "LEXICON_REVISION_CHANGED")

    r = await c.delete(f"{LEXICON}/synonym/户口本", headers=yichang)
    assert r.status_code == 200, r.text
    assert (r.json()["entry"]["removed"], r.json()["entry"]["builtin"]) == (True, True)

    r = await c.get(LEXICON, headers=yichang)
    assert r.status_code == 200, r.text
    items = {(e["kind"], e["word"]): e for e in r.json()["items"]}
    assert items["synonym", "小孩上学"]["source"] == "site"
    assert items["synonym", "户口本"]["removed"]
    assert (items["synonym", "身份证"]["source"], items["synonym", "身份证"]["terms"]) == (
        "builtin",
        ["居民身份证"],
    )

    r = await c.get(f"{LEXICON}/changes", headers=yichang)
    assert r.status_code == 200, r.text
    changes = r.json()["items"]
    assert [(x["change"], x["word"], x["changed_by_name"]) for x in changes] == [
        ("hidden", "户口本", "刘管理"),
        ("created", "小孩上学", "刘管理"),
    ]
    assert changes[1]["before"] is None and changes[1]["after"]["terms"] == ["入学"]
    assert changes[0]["changed_by"] and changes[0]["changed_at"] and r.json()["page"]["total"] == 2

    # The platform admin may remove the site's own word; it is gone from the next search.
    r = await c.delete(word, headers=AUTH)
    assert (r.status_code, r.json()["entry"]) == (200, None), r.text
    assert await _hits(c, "小孩上学") == []

    # A site's own intent phrase: the search says it understood the query by it.
    assert (await c.get("/api/v1/sites/420502/search", params={"q": "户口簿整没了"})).json()[
        "intents_used"
    ] == []
    r = await c.put(f"{LEXICON}/intent/整没了", json={"terms": ["补领"]}, headers=yichang)
    assert r.status_code == 200, r.text
    r = await c.get("/api/v1/sites/420502/search", params={"q": "户口簿整没了"})
    assert r.status_code == 200 and r.json()["intents_used"] == ["整没了"], r.text
