"""Who may administer the catalogue through the gateway, withdrawal as the public sees it, and bad
input on the catalogue and search routes (always a problem naming the field, never a 500)."""

from __future__ import annotations

from typing import Any

import httpx

from govhall.kit.testing import wait_until

from .conftest import AUTH, Stack, create_staff
from .test_api import MATTER, assert_problem, seed
from .test_identity_routes import PASSWORD, bearer, person

CODE = MATTER["code"]
MATTERS = "/api/v1/admin/sites/420502/matters"


async def staff_token(c: httpx.AsyncClient, username: str, site: str, mobile: str) -> dict[str, str]:
    body = {
        "username": username,
        "name": "刘管理",
        "mobile": mobile,
        "password": PASSWORD,
        "site_code": site,
        "department_code": f"{site}-XZSP",
        "roles": ["site_admin"],
    }
    r = await create_staff(c, body)
    assert r.status_code == 201, r.text
    r = await c.post(
        "/api/v1/auth/login", json={"method": "staff", "username": username, "password": PASSWORD}
    )
    assert r.status_code == 200, r.text
    return bearer(r.json()["access_token"])


async def test_admin_routes_need_a_caller_who_administers_the_site(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    xiangyang = {"name": "襄阳市", "level": "city", "parent_code": "420000"}
    assert (await c.put("/api/v1/admin/sites/420600", json=xiangyang, headers=AUTH)).status_code == 200
    yichang = await staff_token(c, "yc_admin", "420500", "13900000001")
    other = await staff_token(c, "xy_admin", "420600", "13900000002")
    edited = {k: v for k, v in MATTER.items() if k != "code"} | {"name": "食品经营许可（新办）"}
    article = {"kind": "announcement", "title": "关于延时服务的公告", "body": "周六上午提供延时服务。"}

    # Anonymous: every admin route asks for a token before anything reaches the catalogue.
    for method, url, body in [
        ("POST", MATTERS, MATTER),
        ("GET", f"{MATTERS}/{CODE}", None),
        ("PUT", f"{MATTERS}/{CODE}", edited),
        ("GET", f"{MATTERS}/{CODE}/versions", None),
        ("POST", f"{MATTERS}/{CODE}/publish", None),
        ("POST", f"{MATTERS}/{CODE}/withdraw", None),
        ("POST", "/api/v1/admin/sites/420502/articles", article),
        ("PUT", "/api/v1/admin/sites/420502/articles/a-1", article),
        ("POST", "/api/v1/admin/sites/420502/articles/a-1/publish", None),
        ("POST", "/api/v1/admin/search/reindex", None),
    ]:
        assert_problem(await c.request(method, url, json=body), 401, "UNAUTHENTICATED")

    # A site admin of 襄阳市 does not administer 西陵区 (under 宜昌市); a citizen administers nothing.
    assert_problem(await c.post(MATTERS, json=MATTER, headers=other), 403, "FORBIDDEN")
    citizen = bearer((await person(stack, "13812349001"))["access_token"])
    assert_problem(await c.post(MATTERS, json=MATTER, headers=citizen), 403, "FORBIDDEN")
    assert_problem(
        await c.post("/api/v1/admin/sites/420502/articles", json=article, headers=other), 403, "FORBIDDEN"
    )

    # 宜昌市's site admin administers its counties.
    assert (await c.post(MATTERS, json=MATTER, headers=yichang)).status_code == 201
    assert (await c.post(f"{MATTERS}/{CODE}/publish", headers=yichang)).status_code == 200
    r = await c.put(f"{MATTERS}/{CODE}", json=edited, headers=yichang)
    assert (r.status_code, r.json()["version"], r.json()["status"]) == (200, 2, "draft"), r.text
    assert_problem(await c.put(f"{MATTERS}/{CODE}", json=edited, headers=other), 403, "FORBIDDEN")
    assert_problem(await c.post(f"{MATTERS}/{CODE}/publish", headers=other), 403, "FORBIDDEN")

    def versions(r: httpx.Response) -> list[tuple[int, str]]:
        assert r.status_code == 200, r.text
        return [(v["version"], v["status"]) for v in r.json()["items"]]

    # Drafts are listed and shown to those who administer the matter's site only.
    assert versions(await c.get(f"{MATTERS}/{CODE}/versions", headers=yichang)) == [
        (2, "draft"),
        (1, "published"),
    ]
    assert versions(await c.get(f"{MATTERS}/{CODE}/versions", headers=other)) == [(1, "published")]
    assert (await c.get(f"{MATTERS}/{CODE}", headers=yichang)).json()["version"] == 2
    assert (await c.get(f"{MATTERS}/{CODE}", headers=other)).json()["version"] == 1
    assert_problem(
        await c.get(f"{MATTERS}/{CODE}", params={"version": 2}, headers=other),
        404,
        "MATTER_VERSION_NOT_FOUND",
    )

    # The full reindex is the platform administrators' (the static token) alone.
    assert_problem(await c.post("/api/v1/admin/search/reindex", headers=yichang), 403, "FORBIDDEN")
    assert_problem(await c.post("/api/v1/admin/search/reindex", headers=citizen), 403, "FORBIDDEN")


async def _hits(c: httpx.AsyncClient, q: str) -> list[str]:
    r = await c.get("/api/v1/sites/420502/search", params={"q": q})
    assert r.status_code == 200, r.text
    return [h["id"] for h in r.json()["items"]]


async def test_withdrawal_hides_the_guide_but_its_version_stays_readable(gateway: httpx.AsyncClient) -> None:
    await seed(gateway)
    assert (await gateway.post(MATTERS, json=MATTER, headers=AUTH)).status_code == 201
    assert (await gateway.post(f"{MATTERS}/{CODE}/publish", headers=AUTH)).status_code == 200
    assert await wait_until(lambda: _hits(gateway, "食品经营")) == [CODE]

    r = await gateway.post(f"{MATTERS}/{CODE}/withdraw", headers=AUTH)
    assert r.status_code == 200 and r.json()["status"] == "withdrawn", r.text
    public = f"/api/v1/sites/420502/matters/{CODE}"
    assert_problem(await gateway.get(public), 404, "MATTER_NOT_FOUND")
    # Cases filed under version 1 still read it.
    cited = (await gateway.get(public, params={"version": 1})).json()
    assert (cited["version"], cited["status"]) == (1, "withdrawn")
    assert (await gateway.get("/api/v1/sites/420502/matters")).json()["items"] == []

    async def gone() -> bool:
        return await _hits(gateway, "食品经营") == []

    assert await wait_until(gone)
    assert_problem(await gateway.post(f"{MATTERS}/{CODE}/withdraw", headers=AUTH), 409, "MATTER_NOT_IN_STATE")
    # Published again: back for everyone.
    assert (await gateway.post(f"{MATTERS}/{CODE}/publish", headers=AUTH)).json()["status"] == "published"
    assert (await gateway.get(public)).json()["version"] == 1
    assert await wait_until(lambda: _hits(gateway, "食品经营")) == [CODE]


async def test_article_times_are_beijing_time_at_the_edge(gateway: httpx.AsyncClient) -> None:
    await seed(gateway)
    body = {
        "kind": "announcement",
        "title": "关于元旦假期安排的公告",
        "body": "1月1日休息。",
        "publish_at": "2026-01-01T09:00:00",  # no offset: Beijing time
    }
    r = await gateway.post("/api/v1/admin/sites/420502/articles", json=body, headers=AUTH)
    assert r.status_code == 201, r.text
    assert r.json()["publish_at"] == "2026-01-01T09:00:00+08:00"
    utc = {**body, "publish_at": "2026-01-01T01:00:00Z", "expected_revision": r.json()["revision"]}
    r = await gateway.put(f"/api/v1/admin/sites/420502/articles/{r.json()['id']}", json=utc, headers=AUTH)
    assert r.status_code == 200 and r.json()["publish_at"] == "2026-01-01T09:00:00+08:00", r.text
    assert (await gateway.get(f"/api/v1/admin/sites/420502/articles/{r.json()['id']}", headers=AUTH)).json()[
        "status"
    ] == "draft"


BAD_REQUESTS: list[tuple[str, str, dict[str, Any], set[str]]] = [
    # (method, url, params or JSON body, the fields the problem names)
    ("GET", f"/api/v1/sites/420502/matters/{CODE}", {"version": -1}, {"query.version"}),
    ("GET", "/api/v1/sites/420502/matters/bad code!", {}, {"path.code"}),
    ("GET", "/api/v1/sites/420502/matters", {"type": "tax", "min_online_depth": 5}, {"query.type", "query.min_online_depth"}),
    ("GET", "/api/v1/sites/420502/matters", {"page_size": 101, "online_only": "maybe"}, {"query.page_size", "query.online_only"}),
    ("GET", "/api/v1/sites/420502/hot-matters", {"limit": 0}, {"query.limit"}),
    ("GET", "/api/v1/sites/420502/faqs", {"page": "x"}, {"query.page"}),
    ("GET", "/api/v1/sites/420502/articles/%20", {}, {"path.article_id"}),
    ("GET", "/api/v1/sites/420502/search", {"q": "许可", "region": "hubei", "level": "town"}, {"query.region", "query.level[0]"}),
    ("GET", "/api/v1/sites/420502/search", {"q": "许可", "kind": "news", "page_size": 51}, {"query.kind", "query.page_size"}),
    ("GET", "/api/v1/sites/420502/search/suggest", {}, {"query.q"}),
    ("GET", "/api/v1/sites/420502/search/hot-words", {"size": 51}, {"query.size"}),
    ("POST", "/api/v1/admin/search/reindex?batch_size=0", {}, {"query.batch_size"}),
    ("POST", MATTERS, {**MATTER, "colour": "red"}, {"colour"}),
    ("POST", MATTERS, {**MATTER, "materials": [{"name": "申请书"}]}, {"materials[0].code"}),
    ("POST", MATTERS, {**MATTER, "fees": {"charged": True, "items": [{"name": "工本费", "amount": {"amount_fen": -1}}]}}, {"fees.items[0].amount.amount_fen"}),
    ("POST", MATTERS, {**MATTER, "audiences": [], "visits": 3}, {"audiences", "visits"}),
    ("POST", MATTERS, {**MATTER, "form_schema": ["not", "an", "object"]}, {"form_schema"}),
    ("POST", MATTERS, {**MATTER, "form_schema": "{not json"}, {"form_schema"}),
    ("PUT", f"{MATTERS}/{CODE}", {**MATTER, "expected_revision": -1}, {"code", "expected_revision"}),
    ("POST", "/api/v1/admin/sites/420502/articles", {"kind": "faq", "title": "", "body": "x", "publish_at": "soon"}, {"title", "publish_at"}),
    ("PUT", "/api/v1/admin/sites/420502", {"name": "西陵区", "level": "village"}, {"level"}),
]  # fmt: skip


async def test_bad_input_is_a_problem_naming_the_fields(gateway: httpx.AsyncClient) -> None:
    await seed(gateway)
    for method, url, data, fields in BAD_REQUESTS:
        kwargs: dict[str, Any] = {"params": data} if method == "GET" else {"json": data}
        r = await gateway.request(method, url, headers=AUTH, **kwargs)
        body = assert_problem(r, 400, "REQUEST_INVALID")
        named = {e["field"] for e in body["errors"]}
        assert named == fields, (method, url, named)
        assert all(e["message_zh"] for e in body["errors"])


async def test_the_catalogues_field_errors_name_fields_as_the_body_has_them(
    gateway: httpx.AsyncClient,
) -> None:
    await seed(gateway)
    bad = {
        **MATTER,
        "form_schema": {"type": "array"},
        "situations": [
            {
                "code": "S1",
                "question": "是否委托代办？",
                "options": [{"code": "S1A", "label": "是", "material_codes": ["M99"]}],
            }
        ],
    }
    body = assert_problem(await gateway.post(MATTERS, json=bad, headers=AUTH), 400, "MATTER_INVALID")
    named = {e["field"] for e in body["errors"]}
    assert "form_schema" in named and any(f.startswith("situations[0]") for f in named), named
