"""The portal's halls and letters in a real browser: a real-name citizen books a slot (a second
one, too late, meets SLOT_FULL on the page), the window clerk confirms it in the day view, checks
it in by its code (the booking moved to start in two minutes, as the appointments journey moves
it) and calls, then serves, the ticket in the window's queue; an anonymous complaint written in
the browser shows its number and query password once, the department answers it, and
/query/letter shows the reply; a signed-in consultation lands in 我的咨询; the statistics page
draws its bar and pie charts with the seeded numbers. Every page at both widths."""

from __future__ import annotations

import datetime as dt
import re
import uuid
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from govhall.kit.testing import wait_until_sync

from .browser import check_page, open_page, sign_in_as
from .conftest import ADMIN, DEPT, SITE, Cluster
from .test_appointments_journey import CHINA, HALLS, move_in_time, open_hall, publish_bookable_matter
from .test_cases_journey import STAFF_NAMES, ok, publish_matter, submit_application
from .test_identity_journey import PASSWORD, bearer, login, new_mobile, register_and_verify, sms_code

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


def staff_login(api: httpx.Client, role: str = "window_clerk") -> dict[str, Any]:
    """A staff member of the site's department, signed in: the login answer (tokens and account)."""
    username = f"{role[:6]}{uuid.uuid4().hex[:8]}"
    body = {
        "username": username,
        "name": STAFF_NAMES[role],
        "mobile": f"137{uuid.uuid4().int % 10**8:08d}",
        "password": PASSWORD,
        "site_code": SITE,
        "department_code": DEPT,
        "roles": [role],
    }
    ok(api.post("/api/v1/admin/staff", json=body, headers=ADMIN), 201)
    return dict(
        ok(
            api.post(
                "/api/v1/auth/login", json={"method": "staff", "username": username, "password": PASSWORD}
            )
        )
    )


def test_a_booking_is_made_confirmed_checked_in_and_called(
    api: httpx.Client, e2e: Cluster, desktop: Page, phone: Page
) -> None:
    matter = publish_bookable_matter(api)
    hall, window = open_hall(api, matter, f"西陵区便民服务中心{uuid.uuid4().hex[:4]}")
    first, second = (register_and_verify(api, e2e, name) for name in ("王预约", "李满额"))
    clerk = staff_login(api)

    # A slot far enough ahead for the booking rules' notice, made a single place.
    slots = ok(api.get(f"/api/v1/sites/{SITE}/matters/{matter}/slots", params={"hall": hall}))["items"]
    now = dt.datetime.now(dt.UTC)
    slot = next(
        s for s in slots if dt.datetime.fromisoformat(s["starts_at"]) >= now + dt.timedelta(minutes=40)
    )
    ok(
        api.put(
            f"{HALLS}/{hall}/slots/{slot['id']}/capacity", json={"capacity": 1, "revision": 1}, headers=ADMIN
        )
    )
    day, hhmm = slot["starts_at"][:10], slot["starts_at"][11:16]

    # The second person chooses the slot on a phone but is slower than the first.
    sign_in_as(phone, login(api, second))
    open_page(phone, f"/book/{SITE}/{matter}")
    expect(phone.locator("main h1")).to_contain_text("食品经营许可证补办")
    phone.get_by_label("预约日期").select_option(day)
    phone.get_by_role("button", name=re.compile(f"^{hhmm}–")).click()
    expect(phone.get_by_role("status").filter(has_text="已选择")).to_contain_text(hhmm)
    check_page(phone, "book")

    sign_in_as(desktop, login(api, first))
    open_page(desktop, f"/book/{SITE}/{matter}")
    expect(desktop.get_by_label("联系人")).to_have_value("王预约")
    check_page(desktop, "book")
    desktop.get_by_label("预约日期").select_option(day)
    desktop.get_by_role("button", name=re.compile(f"^{hhmm}–")).click()
    desktop.get_by_label("预约内容").fill("补办食品经营许可证")
    desktop.get_by_role("button", name="确认预约").click()
    expect(desktop.get_by_role("heading", name="预约成功")).to_be_visible()
    code = desktop.locator(".booking-code").inner_text().strip()
    expect(desktop.get_by_role("img", name=re.compile(f"预约号 {code}"))).to_be_visible()
    expect(desktop.get_by_role("link", name="查看预约详情")).to_have_attribute(
        "href", re.compile("^/me/appointments/")
    )
    check_page(desktop, "booked")
    mine = ok(
        api.get("/api/v1/me/appointments", params={"tab": "pending"}, headers=bearer(first.access_token))
    )
    [booked] = [b for b in mine["items"] if b["code"] == code]
    assert (booked["starts_at"], booked["state"], booked["purpose"]) == (
        slot["starts_at"],
        "pending_reply",
        "补办食品经营许可证",
    )

    # The slot is full now: the phone's 确认预约 is refused in Chinese and the slot shows 已约满.
    phone.get_by_role("button", name="确认预约").click()
    expect(phone.locator(".error-summary")).to_be_visible()
    full = api.post(
        "/api/v1/appointments",
        json={"slot_id": slot["id"], "matter_code": matter},
        headers=bearer(second.access_token),
    )
    assert full.status_code == 409 and full.json()["code"] == "SLOT_FULL"
    expect(phone.locator(".error-summary")).to_contain_text(full.json()["detail_zh"])
    expect(phone.get_by_role("button", name=re.compile(f"^{hhmm}–.*已约满"))).to_be_visible()
    assert not ok(api.get("/api/v1/me/appointments", headers=bearer(second.access_token)))["items"]

    # The clerk's day view: the booking waits for a reply; 确认 confirms it.
    sign_in_as(desktop, clerk)
    open_page(desktop, f"/staff/halls?hall={hall}&day={day}")
    expect(desktop.locator("main")).to_contain_text(code)
    check_page(desktop, "staff-halls")
    desktop.get_by_role("button", name=f"确认预约 {code}").click()
    expect(desktop.get_by_role("row").filter(has_text=code)).to_contain_text("已确认")
    shown = ok(api.get(f"/api/v1/appointments/{booked['id']}", headers=bearer(first.access_token)))
    assert shown["state"] == "confirmed"

    # 取号: the booking moved to start in two minutes (the check-in window is 15 minutes around
    # the start), checked in by its code, then called and served at its window.
    starts = (dt.datetime.now(dt.UTC) + dt.timedelta(minutes=2)).replace(microsecond=0) + dt.timedelta(
        seconds=7
    )
    # (In a thread of its own: Playwright's sync API keeps an event loop running in this one.)
    with ThreadPoolExecutor(1) as pool:
        today = pool.submit(move_in_time, e2e, booked["id"], starts).result()
    wait_until_sync(
        lambda: dt.datetime.now(CHINA).date().isoformat() == today, 240, interval=1, what="the booking's day"
    )
    open_page(desktop, f"/staff/halls?hall={hall}&day={today}")
    desktop.get_by_role("textbox", name="预约号", exact=True).fill(code.lower())
    desktop.get_by_role("button", name="取号", exact=True).click()
    expect(desktop.get_by_role("status").filter(has_text="取号成功")).to_contain_text("5号窗口-001")
    queue = desktop.get_by_role("region", name=re.compile("5号窗口 .* 的排队"))
    expect(queue.get_by_role("row").filter(has_text=code)).to_contain_text("等候中")
    desktop.get_by_role("button", name="5号窗口 叫号").click()
    expect(desktop.get_by_role("status").filter(has_text="请 5号窗口-001 号")).to_be_visible()
    expect(queue.get_by_role("row").filter(has_text=code)).to_contain_text("已叫号")
    assert ok(api.get(f"/api/v1/appointments/{booked['id']}", headers=bearer(first.access_token)))[
        "state"
    ] == ("checked_in")
    desktop.get_by_role("button", name="办结 5号窗口-001").click()
    expect(queue.get_by_role("row").filter(has_text=code)).to_contain_text("已办结")
    served = ok(
        api.get(
            f"/api/v1/staff/windows/{window}/queue",
            params={"day": today},
            headers=bearer(clerk["access_token"]),
        )
    )
    assert [(t["booking_code"], t["state"]) for t in served["items"]] == [(code, "done")]
    check_page(desktop, "staff-halls-queue")

    # Finding the booking by its code, on a phone.
    sign_in_as(phone, clerk)
    open_page(phone, f"/staff/halls?hall={hall}&day={today}")
    phone.get_by_label("预约号、手机号或姓名").fill(code)
    phone.get_by_role("button", name="查找").click()
    expect(
        phone.get_by_role("region", name=re.compile("查找结果")).get_by_role("row").filter(has_text=code)
    ).to_contain_text("已取号")
    check_page(phone, "staff-halls")


def test_an_anonymous_complaint_is_answered_and_a_signed_in_consultation_is_mine(
    api: httpx.Client, e2e: Cluster, desktop: Page, phone: Page
) -> None:
    matter = publish_bookable_matter(api)
    clerk = bearer(staff_login(api)["access_token"])

    # Anonymous, from the guide's 我要咨询: the matter's department is chosen already.
    open_page(desktop, f"/consult/new?site={SITE}&matter={matter}")
    expect(desktop.get_by_label("受理部门")).to_have_value(DEPT)
    check_page(desktop, "consult-new")
    desktop.get_by_role("radio", name="投诉").check()
    desktop.get_by_label("投诉原因").select_option("inaction")
    desktop.get_by_label("标题").fill("窗口电话无人接听")
    desktop.get_by_label("内容").fill("多次拨打窗口电话无人接听。")
    desktop.get_by_label("同意公开").check()
    mobile = new_mobile()
    desktop.get_by_role("textbox", name="姓名", exact=True).fill("周匿名")
    desktop.get_by_label("手机号").fill(mobile)
    desktop.get_by_role("button", name="获取验证码").click()
    expect(desktop.get_by_role("status").filter(has_text="验证码已发送")).to_be_visible()
    desktop.get_by_label("短信验证码").fill(sms_code(e2e, mobile, "letter"))
    desktop.get_by_role("button", name="提交").click()
    expect(desktop.get_by_role("heading", name="提交成功")).to_be_visible()
    number = desktop.locator(".letter-number").inner_text().strip()
    password = desktop.locator(".query-password").inner_text().strip()
    assert number and len(password) >= 6
    check_page(desktop, "consult-written")

    # The department claims and answers it.
    queue = ok(api.get("/api/v1/staff/consultations", headers=clerk))["items"]
    [letter] = [x for x in queue if x["letter_number"] == number]
    assert (letter["kind"], letter["reason"], letter["anonymous"]) == ("complaint", "inaction", True)
    path = f"/api/v1/staff/consultations/{letter['id']}"
    ok(api.post(f"{path}/claim", json={"revision": letter["revision"]}, headers=clerk))
    ok(
        api.post(
            f"{path}/reply",
            json={"revision": letter["revision"] + 1, "content": "已安排专人接听窗口电话。", "public": False},
            headers=clerk,
        )
    )

    # Read back by number and password; a wrong password is refused in Chinese.
    open_page(desktop, "/query/letter")
    check_page(desktop, "query-letter")
    desktop.get_by_label("信件编号").fill(number)
    desktop.get_by_label("查询密码").fill("WRONG234")
    desktop.get_by_role("button", name="查询").click()
    expect(desktop.locator(".error-summary")).to_be_visible()
    desktop.get_by_label("查询密码").fill(password)
    desktop.get_by_role("button", name="查询").click()
    expect(desktop.locator(".letter-thread")).to_contain_text("已安排专人接听窗口电话。")
    expect(desktop.locator("main")).to_contain_text("已答复")
    check_page(desktop, "query-letter-answered")

    # Signed in on a phone: a consultation that lands in 我的咨询.
    me = register_and_verify(api, e2e, "吴咨询")
    sign_in_as(phone, login(api, me))
    open_page(phone, "/query/letter")
    check_page(phone, "query-letter")
    open_page(phone, f"/consult/new?site={SITE}")
    expect(phone.get_by_role("textbox", name="姓名", exact=True)).to_have_count(0)
    phone.get_by_label("受理部门").select_option(DEPT)
    phone.get_by_label("标题").fill("周六是否办理")
    phone.get_by_label("内容").fill("请问周六上午可以办理食品经营许可吗？")
    check_page(phone, "consult-new")
    phone.get_by_role("button", name="提交").click()
    expect(phone.get_by_role("heading", name="提交成功")).to_be_visible()
    expect(phone.locator(".query-password")).to_have_count(0)
    check_page(phone, "consult-written")
    mine = ok(api.get("/api/v1/me/consultations", headers=bearer(me.access_token)))["items"]
    assert [(x["title"], x["kind"], x["department_code"]) for x in mine] == [
        ("周六是否办理", "consultation", DEPT)
    ]


def test_the_statistics_page_draws_the_seeded_numbers(
    api: httpx.Client, e2e: Cluster, desktop: Page, phone: Page
) -> None:
    citizen = register_and_verify(api, e2e, "钱统计")
    submit_application(api, citizen, publish_matter(api), "钱记小吃", "宜昌市西陵区夷陵大道1号")
    clerk = staff_login(api)
    stats = ok(api.get("/api/v1/statistics/cases", headers=bearer(clerk["access_token"])))
    assert stats["total"] >= 1 and stats["by_state"] and stats["by_matter_type"] and stats["by_month"]

    for page in (desktop, phone):
        sign_in_as(page, clerk)
        open_page(page, "/staff/statistics")
        main = page.locator("main")
        expect(main.locator(".stat-figure").filter(has_text="办件总量")).to_contain_text(str(stats["total"]))
        charts = main.locator("svg[role=img]")
        expect(charts).to_have_count(5)
        # Each chart's summary names every value; its table has the same numbers.
        for row, chart in (
            (stats["by_state"][0], "网上申报按办理状态"),
            (stats["by_month"][0], "每月申报量"),
        ):
            label = row["label"] or row["key"]
            expect(main.locator("svg title").filter(has_text=chart)).to_contain_text(
                f"{label} {row['count']}"
            )
            table = page.get_by_role("region", name=f"{chart}（数据表）")
            expect(table.get_by_role("row").filter(has_text=label)).to_contain_text(str(row["count"]))
        kind = stats["by_matter_type"][0]
        expect(main.locator("svg path, svg circle").first).to_be_visible()
        expect(main.locator("svg text").filter(has_text=kind["label"] or kind["key"]).first).to_be_visible()
        expect(page.get_by_role("region", name="本部门咨询投诉按状态（数据表）")).to_contain_text("待签收")
        check_page(page, "staff-statistics")
