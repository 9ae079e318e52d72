"""纠错 through the gateway: a person reports an error on a guide, follows it in 我的纠错, the site
admin of the matter's site works the queue; other people and other sites' staff are refused, and
bad input is a problem naming the field (never a 500)."""

from __future__ import annotations

from .conftest import Stack
from .test_cases_routes import MATTER, SITE, seed, staff
from .test_catalogue_admin_routes import staff_token
from .test_identity_routes import assert_problem, bearer, person

REPORTS = f"/api/v1/sites/{SITE}/matters/{MATTER}/error-reports"


async def test_a_report_is_filed_decided_by_the_site_admin_and_followed_by_its_reporter(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    me = bearer((await person(stack, "13812350201", "陈纠错"))["access_token"])
    other = bearer((await person(stack, "13812350202", "王旁人"))["access_token"])
    admin = await staff_token(c, "xl_er_admin", SITE, "13900003001")
    city_admin = await staff_token(c, "yc_er_admin", "420500", "13900003002")
    clerk = await staff(c, "xl_er_clerk", "window_clerk")

    r = await c.post(REPORTS, json={"element": "fees", "content": "收费标准已于2026年取消"}, headers=me)
    assert r.status_code == 201, r.text
    filed = r.json()
    assert (filed["site_code"], filed["matter_name"], filed["element"], filed["element_label"]) == (
        SITE,
        "食品经营许可",
        "fees",
        "收费标准",
    )
    assert (filed["state"], filed["state_label"], filed["revision"]) == ("submitted", "待处理", 1)

    queue = (await c.get("/api/v1/staff/error-reports", headers=admin)).json()
    assert [i["id"] for i in queue["items"]] == [filed["id"]] and queue["page"]["total"] == 1
    assert (await c.get("/api/v1/staff/error-reports", headers=city_admin)).json()["items"] == []
    assert_problem(await c.get("/api/v1/staff/error-reports", headers=clerk), 403, "SITE_ADMIN_ONLY")
    assert_problem(await c.get("/api/v1/staff/error-reports", headers=me), 403, "SITE_ADMIN_ONLY")
    decision = {"answer": "已更正收费标准", "revision": filed["revision"]}
    accept = f"/api/v1/staff/error-reports/{filed['id']}/accept"
    assert_problem(await c.post(accept, json=decision, headers=clerk), 403, "SITE_ADMIN_ONLY")
    assert_problem(await c.post(accept, json=decision, headers=city_admin), 404, "ERROR_REPORT_NOT_FOUND")

    r = await c.post(accept, json=decision, headers=admin)
    assert r.status_code == 200, r.text
    assert (r.json()["state"], r.json()["state_label"], r.json()["answer"]) == (
        "accepted",
        "已采纳",
        "已更正收费标准",
    )
    # The same decision again, at the revision first read: someone else already decided.
    refuse = f"/api/v1/staff/error-reports/{filed['id']}/refuse"
    assert_problem(await c.post(refuse, json=decision, headers=admin), 409, "ERROR_REPORT_CHANGED")
    accepted = (await c.get("/api/v1/staff/error-reports?state=accepted", headers=admin)).json()["items"]
    assert [i["id"] for i in accepted] == [filed["id"]]

    mine = (await c.get("/api/v1/me/error-reports", headers=me)).json()
    assert [(i["id"], i["state"], i["answer"]) for i in mine["items"]] == [
        (filed["id"], "accepted", "已更正收费标准")
    ]
    assert (await c.get("/api/v1/me/error-reports", headers=other)).json()["items"] == []


async def test_no_sign_in_bad_input_and_unknown_matters_are_problems(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    me = bearer((await person(stack, "13812350203", "李错误"))["access_token"])
    body = {"element": "phones", "content": "电话打不通"}
    assert_problem(await c.post(REPORTS, json=body), 401, "UNAUTHENTICATED")
    assert_problem(await c.get("/api/v1/me/error-reports"), 401, "UNAUTHENTICATED")
    assert_problem(
        await c.post(REPORTS, json={**body, "element": "colour"}, headers=me), 400, "REQUEST_INVALID"
    )
    assert_problem(await c.post(REPORTS, json={"element": "fees"}, headers=me), 400, "REQUEST_INVALID")
    r = await c.post(REPORTS, json={**body, "content": "   "}, headers=me)
    assert_problem(r, 400, "ERROR_REPORT_TEXT_REQUIRED")
    assert "content" in r.text
    r = await c.post(REPORTS, json={**body, "content": "电话\u0007打不通"}, headers=me)
    assert_problem(r, 400, "ERROR_REPORT_TEXT_INVALID")
    assert_problem(
        await c.post(f"/api/v1/sites/{SITE}/matters/420502-NONE-0001/error-reports", json=body, headers=me),
        404,
        "MATTER_NOT_FOUND",
    )
    assert_problem(
        await c.post(f"/api/v1/sites/42/matters/{MATTER}/error-reports", json=body, headers=me),
        400,
        "REQUEST_INVALID",
    )
    assert_problem(await c.get("/api/v1/staff/error-reports?state=open", headers=me), 400, "REQUEST_INVALID")
    assert_problem(
        await c.post(
            "/api/v1/staff/error-reports/x/accept", json={"answer": "好", "revision": "1"}, headers=me
        ),
        400,
        "REQUEST_INVALID",
    )
