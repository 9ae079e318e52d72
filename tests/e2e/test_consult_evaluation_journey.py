"""Journey (好差评): a citizen's case is concluded, consult hears of it (cases.case.concluded,
durable consult-cases), the citizen rates it 非常不满意, the handling department gets a
rectification item, rectifies and records the callback (回访), and cases hears of the evaluation
(consult.evaluation.submitted, durable cases-evaluations) and shows the case in 已办结. Every
service its own process on the real servers."""

from __future__ import annotations

from typing import Any

import httpx

from govhall.kit.testing import wait_until_sync

from .conftest import SITE
from .test_cases_journey import PNG, act, ok, pdf, publish_matter, staff_token, upload
from .test_identity_journey import bearer, register_and_verify


def test_rated_very_dissatisfied_rectified_called_back_and_done(api: httpx.Client, e2e: Any) -> None:
    matter = publish_matter(api)
    clerk, reviewer, approver = (staff_token(api, r) for r in ("window_clerk", "reviewer", "approver"))
    citizen = register_and_verify(api, e2e, "李评价")
    me = bearer(citizen.access_token)
    draft = ok(
        api.post(
            "/api/v1/cases",
            json={
                "site_code": SITE,
                "matter_code": matter,
                "form": {"shop_name": "李记面馆", "address": "宜昌市西陵区东山大道99号"},
                "delivery": {"method": "pick_up"},
            },
            headers=me,
        ),
        201,
    )
    case_id = draft["id"]
    upload(api, citizen.access_token, case_id, "M01", "申请书.pdf", pdf("申请书"), "application/pdf")
    upload(api, citizen.access_token, case_id, "M02", "平面图.png", PNG, "image/png")
    ok(api.post(f"/api/v1/cases/{case_id}/submit", json={"notice_read": True}, headers=me))
    act(api, clerk, case_id, "accept")
    for _ in range(2):
        act(api, reviewer, case_id, "complete_step", {"outcome": "pass"})
    concluded = act(api, approver, case_id, "conclude", {"decision": "approved"})
    assert concluded["state"] == "concluded_approved"

    # Rated once consult has heard of the conclusion (an event, a moment after).
    def rated() -> httpx.Response | None:
        r = api.post(f"/api/v1/cases/{case_id}/evaluation", json={"level": 5, "text": "等待太久"}, headers=me)
        return None if r.status_code == 409 and r.json()["code"] == "CASE_NOT_CONCLUDED" else r

    evaluation = ok(wait_until_sync(rated, timeout=30, what="consult hearing of the conclusion"), 201)
    assert (evaluation["level_name"], evaluation["rectification_id"] != "") == ("非常不满意", True)

    # The department's queue has the item, and nothing of who rated.
    queue = ok(api.get("/api/v1/staff/evaluations/rectifications", headers=bearer(reviewer)))
    item = next(i for i in queue["items"] if i["rectification_id"] == evaluation["rectification_id"])
    assert item["state"] == "open" and "李评价" not in str(queue)
    base = f"/api/v1/staff/evaluations/rectifications/{item['rectification_id']}"
    rectified = ok(
        api.post(f"{base}/rectify", json={"content": "已核实并优化流程"}, headers=bearer(reviewer))
    )
    assert rectified["state"] == "rectified"
    called = ok(api.post(f"{base}/callback", json={"content": "申请人认可"}, headers=bearer(reviewer)))
    assert called["state"] == "called_back"

    # Cases heard the evaluation: 已办结.
    def done() -> bool:
        listed = ok(api.get("/api/v1/me/cases", params={"tab": "done"}, headers=me))
        return case_id in [c["id"] for c in listed["cases"]]

    wait_until_sync(done, timeout=30, what="the case in 已办结")
    assert ok(api.get(f"/api/v1/cases/{case_id}", headers=me))["state"] == "evaluated"
