"""Journey: letters (咨询/投诉/建议) through the gateway, every service its own process on the real
servers. An anonymous complaint, confirmed by an SMS code identity sent and consult consumed, is
claimed and replied to by the department and read back by number and query password; a signed-in
consultation is answered, followed up (追问), answered again (追答) and rated."""

from __future__ import annotations

from typing import Any

import httpx

from .conftest import DEPT, SITE
from .test_cases_journey import ok, staff_token
from .test_identity_journey import bearer, new_mobile, register_and_verify, sms_code


def test_an_anonymous_complaint_is_answered_and_read_back_by_number_and_password(
    api: httpx.Client, e2e: Any
) -> None:
    mobile = new_mobile()
    ok(api.post("/api/v1/auth/sms-codes", json={"mobile": mobile, "purpose": "letter"}))
    body = {
        "site_code": SITE,
        "kind": "complaint",
        "department_code": DEPT,
        "reason": "inaction",
        "title": "多次咨询无人答复",
        "content": "窗口电话长期无人接听。",
        "writer_name": "周匿名",
        "writer_mobile": mobile,
        "sms_code": sms_code(e2e, mobile, "letter"),
    }
    written = ok(api.post("/api/v1/consultations", json=body), 201)
    letter, password = written["letter"], written["query_password"]
    assert mobile not in str(written) and letter["writer_mobile_masked"].startswith(mobile[:3])

    clerk = bearer(staff_token(api, "window_clerk"))
    path = f"/api/v1/staff/consultations/{letter['id']}"
    ok(api.post(f"{path}/claim", json={"revision": 1}, headers=clerk))
    ok(
        api.post(
            f"{path}/reply",
            json={"revision": 2, "content": "已安排专人接听。", "public": False},
            headers=clerk,
        )
    )

    shown = ok(
        api.post(
            "/api/v1/letters/query",
            json={"letter_number": letter["letter_number"], "query_password": password},
        )
    )
    assert shown["state"] == "replied"
    assert [(m["action"], m["content"]) for m in shown["messages"]][-1] == ("reply", "已安排专人接听。")
    wrong = api.post(
        "/api/v1/letters/query", json={"letter_number": letter["letter_number"], "query_password": "WRONG234"}
    )
    assert wrong.status_code == 404 and wrong.json()["code"] == "LETTER_QUERY_FAILED"


def test_a_consultation_with_a_follow_up(api: httpx.Client, e2e: Any) -> None:
    me = register_and_verify(api, e2e, "吴咨询")
    who = bearer(me.access_token)
    body = {
        "site_code": SITE,
        "kind": "consultation",
        "department_code": DEPT,
        "title": "营业时间",
        "content": "周六办理吗？",
    }
    letter = ok(api.post("/api/v1/consultations", json=body, headers=who), 201)["letter"]
    clerk = bearer(staff_token(api, "window_clerk"))
    path = f"/api/v1/staff/consultations/{letter['id']}"
    ok(api.post(f"{path}/claim", json={"revision": 1}, headers=clerk))
    ok(
        api.post(
            f"{path}/reply", json={"revision": 2, "content": "周六上午办理。", "public": True}, headers=clerk
        )
    )
    asked = ok(
        api.post(
            f"/api/v1/consultations/{letter['id']}/follow-ups", json={"content": "下午呢？"}, headers=who
        )
    )
    assert asked["state"] == "followed_up"
    ok(
        api.post(
            f"{path}/reply", json={"revision": asked["revision"], "content": "下午不办理。"}, headers=clerk
        )
    )
    rated = ok(
        api.post(f"/api/v1/consultations/{letter['id']}/rating", json={"rating": "satisfied"}, headers=who)
    )
    assert rated["state"] == "closed"
    assert [m["action"] for m in rated["messages"]] == [
        "consultation",
        "reply",
        "follow_up",
        "follow_up_answer",
    ]
    mine = ok(api.get("/api/v1/me/consultations", headers=who))
    assert [x["id"] for x in mine["items"]] == [letter["id"]]
