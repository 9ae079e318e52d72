"""Journey (纠错): a citizen reports an error on a published matter's guide, the site admin of the
matter's site accepts it saying what was fixed, and the citizen sees it accepted in 我的纠错.
Through the gateway over HTTP, every service its own process on the real servers."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from .conftest import ADMIN, DEPT, SITE
from .test_cases_journey import ok, publish_matter
from .test_identity_journey import PASSWORD, bearer, register_and_verify


def site_admin(api: httpx.Client) -> dict[str, str]:
    username = f"admin{uuid.uuid4().hex[:8]}"
    staff = {
        "username": username,
        "name": "周管理",
        "mobile": f"137{uuid.uuid4().int % 10**8:08d}",
        "password": PASSWORD,
        "site_code": SITE,
        "department_code": DEPT,
        "roles": ["site_admin"],
    }
    ok(api.post("/api/v1/admin/staff", json=staff, headers=ADMIN), 201)
    body = ok(
        api.post("/api/v1/auth/login", json={"method": "staff", "username": username, "password": PASSWORD})
    )
    return bearer(body["access_token"])


def test_a_citizens_error_report_is_accepted_and_shows_in_my_reports(api: httpx.Client, e2e: Any) -> None:
    matter = publish_matter(api)
    me = bearer(register_and_verify(api, e2e, "李纠错").access_token)
    admin = site_admin(api)

    filed = ok(
        api.post(
            f"/api/v1/sites/{SITE}/matters/{matter}/error-reports",
            json={"element": "materials", "content": "经营场所平面图已不再要求提交"},
            headers=me,
        ),
        201,
    )
    assert (filed["matter_name"], filed["state"]) == ("食品经营许可（新办）", "submitted")

    queue = ok(api.get("/api/v1/staff/error-reports", headers=admin))["items"]
    assert filed["id"] in [r["id"] for r in queue]
    accepted = ok(
        api.post(
            f"/api/v1/staff/error-reports/{filed['id']}/accept",
            json={"answer": "已删除“经营场所平面图”", "revision": filed["revision"]},
            headers=admin,
        )
    )
    assert accepted["state"] == "accepted"

    mine = ok(api.get("/api/v1/me/error-reports", headers=me))["items"]
    assert [(r["id"], r["state"], r["state_label"], r["answer"]) for r in mine] == [
        (filed["id"], "accepted", "已采纳", "已删除“经营场所平面图”")
    ]
