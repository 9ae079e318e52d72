"""好差评 through the gateway: a citizen's case concluded by cases reaches consult as an event,
the citizen rates it 非常不满意, the department works the rectification without learning who
rated, the case moves to 已办结, and the statistics count it; bad input is a problem."""

from __future__ import annotations

from typing import Any

import httpx

from govhall.kit.testing import wait_until

from .conftest import Stack
from .test_cases_routes import seed, staff, submitted
from .test_identity_routes import assert_problem, bearer, person


async def concluded(c: httpx.AsyncClient, owner: dict[str, str], n: int) -> dict[str, Any]:
    case = await submitted(c, owner)
    clerk = await staff(c, f"ev_clerk{n}", "window_clerk")
    reviewer = await staff(c, f"ev_reviewer{n}", "reviewer")
    approver = await staff(c, f"ev_approver{n}", "approver")
    url = f"/api/v1/staff/cases/{case['id']}/actions"
    assert (await c.post(f"{url}/accept", json={}, headers=clerk)).status_code == 200
    r = await c.post(f"{url}/complete_step", json={"outcome": "pass"}, headers=reviewer)
    assert r.status_code == 200, r.text
    r = await c.post(f"{url}/conclude", json={"decision": "approved"}, headers=approver)
    assert r.status_code == 200 and r.json()["state"] == "concluded_approved", r.text
    return dict(r.json())


async def rate(
    c: httpx.AsyncClient, case_id: str, who: dict[str, str], body: dict[str, Any]
) -> httpx.Response:
    """Rate once consult has heard of the conclusion (the event arrives a moment after)."""

    async def answered() -> httpx.Response | None:
        r = await c.post(f"/api/v1/cases/{case_id}/evaluation", json=body, headers=who)
        return None if r.status_code == 409 and r.json()["code"] == "CASE_NOT_CONCLUDED" else r

    return await wait_until(answered, what="consult hearing of the conclusion")


async def test_rated_very_dissatisfied_rectified_called_back_and_done(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    me = bearer((await person(stack, "13812360101", "赵评价"))["access_token"])
    case = await concluded(c, me, 1)

    r = await rate(c, case["id"], me, {"level": 5, "text": "等了很久", "channel": "app"})
    assert r.status_code == 201, r.text
    rated = r.json()
    assert (rated["level"], rated["level_name"], rated["case_number"]) == (
        5,
        "非常不满意",
        case["case_number"],
    )
    assert rated["rectification_id"]
    assert_problem(
        await c.post(f"/api/v1/cases/{case['id']}/evaluation", json={"level": 1}, headers=me),
        409,
        "CASE_ALREADY_EVALUATED",
    )

    # The department's queue: the item, with no trace of who rated.
    reviewer = await staff(c, "ev_dept_reviewer", "reviewer")
    queue = (await c.get("/api/v1/staff/evaluations/rectifications", headers=reviewer)).json()
    assert [i["rectification_id"] for i in queue["items"]] == [rated["rectification_id"]]
    assert "赵评价" not in str(queue) and "rater" not in str(queue)
    rid = rated["rectification_id"]
    base = f"/api/v1/staff/evaluations/rectifications/{rid}"
    r = await c.post(f"{base}/rectify", json={"content": "已核实，优化流程"}, headers=reviewer)
    assert r.status_code == 200 and r.json()["state"] == "rectified", r.text
    # A stale If-Match: 409, nothing changes.
    assert_problem(
        await c.post(f"{base}/callback", json={"content": "x"}, headers={**reviewer, "If-Match": '"1"'}),
        409,
        "RECTIFICATION_CHANGED",
    )
    r = await c.post(f"{base}/callback", json={"content": "申请人认可整改"}, headers=reviewer)
    assert r.status_code == 200 and r.json()["state"] == "called_back", r.text

    # Cases heard the evaluation: the case is in 已办结.
    async def done() -> bool:
        listed = (await c.get("/api/v1/me/cases", params={"tab": "done"}, headers=me)).json()
        return [x["id"] for x in listed["cases"]] == [case["id"]]

    await wait_until(done, what="the case in 已办结")

    # Public statistics, rolled up to the city.
    stats = await c.get("/api/v1/statistics/evaluations", params={"site": "420500"})
    assert stats.status_code == 200, stats.text
    overall = stats.json()["overall"]
    assert (overall["total"], overall["per_level"], overall["rectifications"]) == (1, [0, 0, 0, 0, 1], 1)
    assert (overall["satisfaction_rate"], overall["callback_rate"]) == (0, 1)


async def test_bad_input_and_the_wrong_callers_are_problems(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    me = bearer((await person(stack, "13812360102", "钱错误"))["access_token"])
    other = bearer((await person(stack, "13812360103", "孙旁人"))["access_token"])
    case = await concluded(c, me, 2)
    url = f"/api/v1/cases/{case['id']}/evaluation"
    assert_problem(await c.post(url, json={"level": 1}), 401, "UNAUTHENTICATED")
    for body in ({"level": 9}, {"level": 1, "channel": "fax"}, {"level": 1, "text": "长" * 501}, {}):
        problem = assert_problem(await c.post(url, json=body, headers=me), 400, "REQUEST_INVALID")
        assert problem.get("errors") or problem.get("fields"), problem
    r = await rate(c, case["id"], other, {"level": 1})
    assert_problem(r, 403, "CASE_NOT_YOURS")
    assert_problem(
        await c.post("/api/v1/cases/nope/evaluation", json={"level": 1}, headers=me),
        409,
        "CASE_NOT_CONCLUDED",
    )
    assert_problem(
        await c.get("/api/v1/statistics/evaluations", params={"month_from": "2026-13"}),
        400,
        "REQUEST_INVALID",
    )
    assert_problem(await c.get("/api/v1/staff/evaluations/rectifications", headers=me), 403, "STAFF_ONLY")
