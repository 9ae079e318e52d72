"""我的消息 end to end, through separate processes and the real servers: a citizen's case is
accepted → the inbox has the message (cases' event over NATS, consult's durable consumer) and the
acceptance is texted to the citizen's mobile (consult asked identity for it) in the development
SMS file; the citizen reads it and the unread count goes down."""

from __future__ import annotations

import json
from typing import Any

import httpx

from govhall.kit.testing import wait_until_sync

from .test_cases_journey import PNG, act, ok, pdf, publish_matter, staff_token, upload
from .test_identity_journey import bearer, register_and_verify


def texts_to(e2e: Any, mobile: str) -> list[dict[str, Any]]:
    if not e2e.sms_file.exists():
        return []
    lines = [json.loads(line) for line in e2e.sms_file.read_text(encoding="utf-8").splitlines()]
    return [line for line in lines if line["mobile"] == mobile and line["purpose"] == "notify"]


def test_an_accepted_case_arrives_in_the_inbox_and_as_a_text(api: httpx.Client, e2e: Any) -> None:
    matter = publish_matter(api)
    clerk = staff_token(api, "window_clerk")
    citizen = register_and_verify(api, e2e, "李消息")
    me = bearer(citizen.access_token)
    draft = ok(
        api.post(
            "/api/v1/cases",
            json={
                "site_code": "420502",
                "matter_code": matter,
                "form": {"shop_name": "李记茶馆", "address": "宜昌市西陵区夷陵大道52号"},
                "delivery": {"method": "pick_up"},
            },
            headers=me,
        ),
        201,
    )
    upload(api, citizen.access_token, draft["id"], "M01", "申请书.pdf", pdf("申请书"), "application/pdf")
    upload(api, citizen.access_token, draft["id"], "M02", "平面图.png", PNG, "image/png")
    ok(api.post(f"/api/v1/cases/{draft['id']}/submit", json={"notice_read": True}, headers=me))
    accepted = act(api, clerk, draft["id"], "accept", {"opinion": "材料齐全"})

    def arrived() -> dict[str, Any] | None:
        listed = ok(api.get("/api/v1/me/messages", headers=me))
        found = [m for m in listed["items"] if m["subject"] == "cases.case.accepted"]
        return found[0] if found else None

    message = wait_until_sync(arrived, 60, interval=0.3, what="the acceptance in the inbox")
    assert message["title"].startswith("申请已受理") and accepted["case_number"] in message["body"]
    assert (message["link_kind"], message["link_id"], message["read"]) == ("case", draft["id"], False)
    texts = wait_until_sync(lambda: texts_to(e2e, citizen.mobile), 60, interval=0.3, what="the text")
    assert len(texts) == 1 and accepted["case_number"] in texts[0]["text"]

    before = ok(api.get("/api/v1/me/messages/unread-count", headers=me))["unread"]
    assert before >= 1
    ok(api.post(f"/api/v1/me/messages/{message['id']}/read", headers=me))
    assert ok(api.get("/api/v1/me/messages/unread-count", headers=me))["unread"] == before - 1
