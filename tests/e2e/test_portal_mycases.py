"""我的空间 in a real browser: a citizen's cases by tab, a supplement uploaded and resubmitted, the
acceptance notice downloaded as a PDF and sent to 核验, the query password reset, a withdrawal, the
evaluation of a concluded case; messages and the unread badge; a letter answered by staff and
followed up; a booking shown with its QR and cancelled. Seeded through the gateway's API (the journeys'
helpers), checked by what the pages show and by the API's state after each action."""

from __future__ import annotations

import base64
import datetime as dt
import re
import time
import uuid
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from govhall.kit.testing import wait_until_sync

from .browser import check_page, open_page, settled, sign_in_as
from .conftest import ADMIN, DEPT, SITE
from .qr import decode_qr_png
from .test_appointments_journey import HALLS, book, publish_bookable_matter
from .test_cases_journey import act, ok, pdf, publish_matter, staff_token, submit_application
from .test_identity_journey import Person, bearer, login, register_and_verify

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

MATTER_NAME = "食品经营许可（新办）"


def citizen(api: httpx.Client, e2e: Any, name: str) -> tuple[Person, dict[str, Any]]:
    person = register_and_verify(api, e2e, name)
    return person, login(api, person)


def signed_in(pages: tuple[Page, ...], tokens: dict[str, Any]) -> None:
    for page in pages:
        sign_in_as(page, tokens)


def case_state(api: httpx.Client, person: Person, case_id: str) -> str:
    return str(ok(api.get(f"/api/v1/cases/{case_id}", headers=bearer(person.access_token)))["state"])


def test_a_case_from_the_list_through_supplement_notice_and_evaluation(
    api: httpx.Client, e2e: Any, desktop: Page, phone: Page
) -> None:
    matter = publish_matter(api)
    clerk, reviewer, approver = (staff_token(api, r) for r in ("window_clerk", "reviewer", "approver"))
    person, tokens = citizen(api, e2e, "孙办件")
    case_id = submit_application(api, person, matter, "孙记早点", "宜昌市西陵区东山大道12号")
    spare = submit_application(api, person, matter, "孙记夜宵", "宜昌市西陵区东山大道14号")
    signed_in((desktop, phone), tokens)

    # 概览 and the list: the submitted case is 审批中 (待预审), counted on its tab.
    for page in (desktop, phone):
        open_page(page, "/me")
        expect(page.get_by_role("link", name=re.compile(r"2\s*审批中"))).to_be_visible()
        check_page(page, "me-home")
        open_page(page, "/me/cases?tab=in_progress")
        expect(page.get_by_role("link", name="审批中（2）")).to_have_attribute("aria-current", "page")
        card = page.locator(".card").filter(has_text="待预审").first
        expect(card).to_contain_text(MATTER_NAME)
        check_page(page, "me-cases")

    # 撤回 before acceptance, confirmed in a dialog.
    open_page(desktop, f"/me/cases/{spare}")
    desktop.get_by_role("button", name="撤回申请").click()
    dialog = desktop.get_by_role("dialog", name="撤回申请")
    dialog.get_by_label("撤回原因").fill("信息填写有误，重新申报")
    dialog.get_by_role("button", name="确认撤回").click()
    expect(desktop.locator("main")).to_contain_text("已撤回")
    assert case_state(api, person, spare) == "withdrawn"

    # A supplement asked for: 待补正; the citizen uploads again and resubmits in the browser.
    act(
        api,
        clerk,
        case_id,
        "request_supplement",
        {"items": [{"material": "M01", "problem": "申请书缺少签字"}]},
    )
    open_page(desktop, "/me/cases?tab=supplement")
    desktop.get_by_role("link", name=re.compile("查看详情")).first.click()
    settled(desktop)
    expect(desktop.get_by_role("heading", name="补正材料")).to_be_visible()
    expect(desktop.locator("main")).to_contain_text("申请书缺少签字")
    open_page(phone, f"/me/cases/{case_id}")
    check_page(phone, "me-case-supplement")
    check_page(desktop, "me-case-supplement")
    desktop.get_by_label("重新上传：食品经营许可申请书").set_input_files(
        {"name": "申请书（已签字）.pdf", "mimeType": "application/pdf", "buffer": pdf("已签字")}
    )
    desktop.get_by_role("button", name="上传食品经营许可申请书").click()
    expect(desktop.get_by_role("status").filter(has_text="已上传")).to_be_visible()
    desktop.get_by_label("补正说明").fill("已补签字")
    desktop.get_by_role("button", name="补正提交").click()
    expect(desktop.get_by_role("heading", name="补正材料")).to_have_count(0)
    assert case_state(api, person, case_id) == "submitted"
    files = ok(api.get(f"/api/v1/cases/{case_id}", headers=bearer(person.access_token)))["materials"][0][
        "files"
    ]
    assert "申请书（已签字）.pdf" in [f["file_name"] for f in files]

    # Accepted: the acceptance notice downloads as a PDF, and 核验 opens its verification page.
    act(api, clerk, case_id, "accept", {"opinion": "材料齐全"})
    open_page(desktop, f"/me/cases/{case_id}")
    notice = next(
        d
        for d in ok(api.get(f"/api/v1/cases/{case_id}", headers=bearer(person.access_token)))["documents"]
        if d["kind"] == "acceptance"
    )
    expect(desktop.get_by_role("heading", name=notice["title"])).to_be_visible()
    with desktop.expect_download() as got:
        desktop.get_by_role("button", name=f"下载{notice['title']}").click()
    download = got.value
    assert download.suggested_filename == f"{notice['title']}.pdf"
    with open(download.path(), "rb") as f:
        assert f.read(4) == b"%PDF"
    check_page(desktop, "me-case-accepted")

    # 重置查询密码: shown once, and it works at 办件查询.
    desktop.get_by_role("button", name="重置查询密码").click()
    desktop.get_by_role("dialog", name="重置查询密码").get_by_role("button", name="确认重置").click()
    shown = desktop.get_by_role("status").filter(has_text="新的查询密码")
    expect(shown).to_be_visible()
    password = re.search(r"新的查询密码：(\S+?)（", shown.inner_text()).group(1)  # type: ignore[union-attr]
    number = ok(api.get(f"/api/v1/cases/{case_id}", headers=bearer(person.access_token)))["case_number"]
    status = ok(
        api.post("/api/v1/cases/status-query", json={"case_number": number, "query_password": password})
    )
    assert status["case_number"] == number

    desktop.get_by_role("link", name=f"核验{notice['title']}").click()
    expect(desktop).to_have_url(
        re.compile(
            rf"/verify/notice/{re.escape(notice['id'])}\?code={re.escape(notice['verification_code'])}$"
        )
    )

    # Concluded: rated 满意 in the browser (once consult has heard of the conclusion).
    for _ in range(2):
        act(api, reviewer, case_id, "complete_step", {"outcome": "pass"})
    act(api, approver, case_id, "conclude", {"decision": "approved", "opinion": "准予许可"})
    open_page(desktop, f"/me/cases/{case_id}")
    desktop.get_by_role("radio", name="满意", exact=True).check()
    desktop.get_by_role("combobox", name="办事效率").select_option("5")
    desktop.get_by_label("评价内容").fill("办理很快")
    rated = desktop.get_by_role("heading", name="我的评价")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        desktop.get_by_role("button", name="提交评价").click()
        expect(rated.or_(desktop.locator(".error-summary"))).to_be_visible()
        if rated.is_visible():
            break
        desktop.wait_for_timeout(500)  # consult has not yet heard of the conclusion: again
    expect(rated).to_be_visible()
    mine = ok(api.get(f"/api/v1/cases/{case_id}/evaluation", headers=bearer(person.access_token)))
    assert (mine["evaluation"]["level"], mine["evaluation"]["text"]) == (2, "办理很快")
    assert mine["evaluation"]["indicators"] == [{"indicator": "办事效率", "score": 5}]
    for page in (desktop, phone):
        open_page(page, f"/me/cases/{case_id}")
        expect(page.locator("main")).to_contain_text("满意")
        check_page(page, "me-case-evaluated")


def test_messages_badge_mark_one_and_all_read(
    api: httpx.Client, e2e: Any, desktop: Page, phone: Page
) -> None:
    matter = publish_matter(api)
    clerk = staff_token(api, "window_clerk")
    person, tokens = citizen(api, e2e, "钱消息")
    case_id = submit_application(api, person, matter, "钱记茶铺", "宜昌市西陵区东山大道16号")
    act(api, clerk, case_id, "accept")
    me = bearer(person.access_token)

    def unread() -> int:
        return int(ok(api.get("/api/v1/me/messages/unread-count", headers=me))["unread"])

    wait_until_sync(lambda: unread() >= 2, 30, interval=0.3, what="the submitted and accepted messages")
    signed_in((desktop, phone), tokens)
    for page in (desktop, phone):
        open_page(page, "/me/messages")
        expect(page.locator("#unread-badge")).to_have_text(str(unread()))
        check_page(page, "me-messages")

    # One read: the badge counts down; one deleted; then all read: the badge is gone.
    before = unread()
    desktop.get_by_role("button", name=re.compile("^标为已读")).first.click()
    expect(desktop.get_by_role("status").filter(has_text="已标为已读")).to_be_visible()
    expect(desktop.locator("#unread-badge")).to_have_text(str(before - 1))
    assert unread() == before - 1
    total = ok(api.get("/api/v1/me/messages", headers=me))["page"]["total"]
    desktop.get_by_role("button", name=re.compile("^删除")).first.click()
    expect(desktop.get_by_role("status").filter(has_text="消息已删除")).to_be_visible()
    assert ok(api.get("/api/v1/me/messages", headers=me))["page"]["total"] == total - 1
    desktop.get_by_role("button", name="全部标为已读").click()
    expect(desktop.locator("#unread-badge")).to_be_hidden()
    expect(desktop.get_by_text("没有未读消息。")).to_be_visible()
    assert unread() == 0
    # A message leads to its case.
    desktop.get_by_role("link", name="查看办件").first.click()
    expect(desktop).to_have_url(re.compile(rf"/me/cases/{case_id}$"))


def test_a_letter_answered_followed_up_with_an_attachment_and_rated(
    api: httpx.Client, e2e: Any, desktop: Page, phone: Page
) -> None:
    person, tokens = citizen(api, e2e, "周咨询")
    who = bearer(person.access_token)
    body = {
        "site_code": SITE,
        "kind": "consultation",
        "department_code": DEPT,
        "title": "周末办理",
        "content": "周六能办理食品经营许可吗？",
    }
    letter = ok(api.post("/api/v1/consultations", json=body, headers=who), 201)["letter"]
    clerk = bearer(staff_token(api, "window_clerk"))
    staff_path = f"/api/v1/staff/consultations/{letter['id']}"
    ok(api.post(f"{staff_path}/claim", json={"revision": 1}, headers=clerk))
    ok(
        api.post(
            f"{staff_path}/reply",
            json={"revision": 2, "content": "周六上午可以办理。", "public": True},
            headers=clerk,
        )
    )
    signed_in((desktop, phone), tokens)
    for page in (desktop, phone):
        open_page(page, "/me/consultations")
        expect(page.get_by_role("link", name="周末办理")).to_be_visible()
        expect(page.get_by_role("link", name="我要咨询投诉")).to_have_attribute("href", "/consult/new")
        check_page(page, "me-consultations")
    desktop.get_by_role("link", name="周末办理").click()
    settled(desktop)
    expect(desktop.locator("main")).to_contain_text("周六上午可以办理。")
    open_page(phone, f"/me/consultations/{letter['id']}")
    check_page(phone, "me-consultation-replied")
    check_page(desktop, "me-consultation-replied")

    # 追问, then a file to go with it while it waits for the answer.
    desktop.get_by_label("追问内容").fill("下午呢？")
    desktop.get_by_role("button", name="提交追问").click()
    expect(desktop.locator("main")).to_contain_text("已追问")
    assert ok(api.get(f"/api/v1/consultations/{letter['id']}", headers=who))["state"] == "followed_up"
    desktop.get_by_label("选择附件").set_input_files(
        {"name": "营业执照.pdf", "mimeType": "application/pdf", "buffer": pdf("执照")}
    )
    desktop.get_by_role("button", name="上传附件").click()
    expect(desktop.get_by_role("button", name="下载 营业执照.pdf")).to_be_visible()
    with desktop.expect_download() as got:
        desktop.get_by_role("button", name="下载 营业执照.pdf").click()
    with open(got.value.path(), "rb") as f:
        assert f.read(4) == b"%PDF"
    check_page(desktop, "me-consultation-followed-up")

    # Answered again; rated 满意 in the browser: closed.
    asked = ok(api.get(f"/api/v1/consultations/{letter['id']}", headers=who))
    ok(
        api.post(
            f"{staff_path}/reply",
            json={"revision": asked["revision"], "content": "下午不办理。"},
            headers=clerk,
        )
    )
    open_page(desktop, f"/me/consultations/{letter['id']}")
    expect(desktop.locator("main")).to_contain_text("下午不办理。")
    desktop.get_by_role("radio", name="满意", exact=True).check()
    desktop.get_by_role("button", name="提交评价").click()
    expect(desktop.locator("main")).to_contain_text("已办结")
    closed = ok(api.get(f"/api/v1/consultations/{letter['id']}", headers=who))
    assert (closed["state"], closed["rating"]) == ("closed", "satisfied")


def open_own_hall(api: httpx.Client, matter: str) -> str:
    """A hall of this module's own (hall names are unique per site, and the appointments journey
    opens its own at the same site in the same cluster): one window serving `matter`, replying to
    bookings, 30-minute slots all day every day, as test_appointments_journey.open_hall does."""
    name = f"西陵区便民服务中心{uuid.uuid4().hex[:4].upper()}"
    hall = ok(api.post(HALLS, json={"name": name, "requires_reply": True}, headers=ADMIN), 201)
    ok(
        api.post(
            f"{HALLS}/{hall['id']}/windows", json={"name": "3号窗口", "matter_codes": [matter]}, headers=ADMIN
        ),
        201,
    )
    sessions = [{"weekday": d, "start": "00:00", "end": "23:59"} for d in range(1, 8)]
    timetable = {"sessions": sessions, "slot_minutes": 30, "capacity": 2}
    ok(api.put(f"{HALLS}/{hall['id']}/timetables", json=timetable, headers=ADMIN))
    return str(hall["id"])


def test_a_booking_shown_and_cancelled(api: httpx.Client, e2e: Any, desktop: Page, phone: Page) -> None:
    matter = publish_bookable_matter(api)
    hall = open_own_hall(api, matter)
    person, tokens = citizen(api, e2e, "郑预约")
    slots = ok(api.get(f"/api/v1/sites/{SITE}/matters/{matter}/slots", params={"hall": hall}))["items"]
    later = dt.datetime.now(dt.UTC) + dt.timedelta(hours=3)
    slot = next(s for s in slots if dt.datetime.fromisoformat(s["starts_at"]) >= later)
    booked = book(api, person, slot["id"], matter)
    signed_in((desktop, phone), tokens)
    for page in (desktop, phone):
        open_page(page, "/me/appointments")
        expect(page.locator("main")).to_contain_text(booked["code"])
        check_page(page, "me-appointments")
        open_page(page, f"/me/appointments/{booked['id']}")
        expect(page.locator(".me-code-big")).to_have_text(booked["code"])
        expect(page.locator("main")).to_contain_text(slot["starts_at"][11:16])
        expect(page.locator("main")).to_contain_text("待确认")
        # The QR shown at the hall to check in, on the detail page as on the booking answer.
        qr = page.get_by_role("img", name=f"预约号 {booked['code']} 的二维码")
        expect(qr).to_be_visible()
        expect(qr).to_have_class("me-qr")
        src = qr.get_attribute("src") or ""
        assert src.startswith("data:image/png;base64,"), src[:40]
        assert decode_qr_png(base64.b64decode(src.split(",", 1)[1])) == booked["code"]
        check_page(page, "me-appointment")

    desktop.get_by_role("button", name="取消预约").click()
    dialog = desktop.get_by_role("dialog", name="取消预约")
    dialog.get_by_label("取消原因").fill("临时有事")
    dialog.get_by_role("button", name="确认取消预约").click()
    expect(desktop.locator("main")).to_contain_text("已取消")
    # A cancelled booking can no longer be checked in with: its QR is gone.
    expect(desktop.locator("img.me-qr")).to_have_count(0)
    shown = ok(api.get(f"/api/v1/appointments/{booked['id']}", headers=bearer(person.access_token)))
    assert shown["state"] == "cancelled"
    open_page(desktop, "/me/appointments?tab=history")
    expect(desktop.locator("main")).to_contain_text(booked["code"])
    check_page(desktop, "me-appointments-history")
