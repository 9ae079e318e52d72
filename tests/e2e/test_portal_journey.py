"""The portal's whole journey in a real browser, as a newcomer walks it: at 夷陵区 a citizen
registers with an SMS code, verifies their real name, finds a matter by an everyday search (我想开个
饭店), applies with two uploads and keeps the application number; a window clerk signs in to the
workbench and accepts the case; the citizen sees it in 我的空间, downloads the acceptance notice,
and the notice's QR code (read from the PDF) opens the portal's verification page on a phone,
which shows it verified. Then the citizen asks a question, the clerk answers it in the workbench,
and the citizen reads the answer. Every page passes the accessibility and layout checks."""

from __future__ import annotations

import re
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from playwright.sync_api import Browser, Page, expect

from govhall.kit.testing import wait_until_sync

from .browser import check_page, new_context, open_page, settled, watch_console
from .conftest import ADMIN, Cluster
from .qr import decode_pdf_qr
from .test_cases_journey import PNG, ok, pdf, publish_matter
from .test_identity_journey import PASSWORD, new_id_number, new_mobile, sms_code

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

# The journey's own county (no other module publishes here, so its search is its own).
SITE, DEPT = "420506", "420506-SCJG"


@pytest.fixture(scope="module")
def county(api: httpx.Client) -> dict[str, Any]:
    """夷陵区 with its market regulator, a published matter found by an everyday search there, and
    the regulator's window clerk."""
    ok(
        api.put(
            f"/api/v1/admin/sites/{SITE}",
            json={"name": "夷陵区", "level": "county", "parent_code": "420500"},
            headers=ADMIN,
        )
    )
    ok(
        api.put(
            f"/api/v1/admin/sites/{SITE}/departments/{DEPT}",
            json={"name": "夷陵区市场监督管理局"},
            headers=ADMIN,
        )
    )
    code = publish_matter(
        api,
        SITE,
        DEPT,
        name="食品经营许可（小餐饮新办）",
        audiences=["person"],
        steps=[
            {"code": "accept", "name": "受理", "role": "window_clerk"},
            {"code": "decide", "name": "决定", "role": "approver"},
        ],
    )

    def found() -> bool:
        reply = api.get(f"/api/v1/sites/{SITE}/search", params={"q": "我想开个饭店"})
        return reply.status_code == 200 and any(i.get("id") == code for i in reply.json()["items"])

    wait_until_sync(found, timeout=60, what="the everyday search finding the matter")
    clerk = f"clerk{uuid.uuid4().hex[:8]}"
    staff = {
        "username": clerk,
        "name": "刘受理",
        "mobile": new_mobile(),
        "password": PASSWORD,
        "site_code": SITE,
        "department_code": DEPT,
        "roles": ["window_clerk"],
    }
    ok(api.post("/api/v1/admin/staff", json=staff, headers=ADMIN), 201)
    return {"matter": code, "clerk": clerk}


def staff_page(browser: Browser, portal_url: str, username: str) -> Page:
    """The clerk's own browser, signed in through the workbench's login page."""
    page = new_context(browser, portal_url, "desktop").new_page()
    watch_console(page)
    open_page(page, "/login?method=staff")
    page.get_by_label("工作人员用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).to_have_url(re.compile(r"/staff$"))
    settled(page)
    return page


def test_a_newcomer_applies_a_clerk_accepts_and_the_notice_qr_verifies(
    api: httpx.Client,
    e2e: Cluster,
    county: dict[str, Any],
    browser: Browser,
    desktop: Page,
    portal_url: str,
    tmp_path: Path,
) -> None:
    page = desktop
    matter = county["matter"]
    mobile, name = new_mobile(), "孙开店"

    # At the province's home page, the visitor moves to 夷陵区.
    open_page(page, "/")
    page.get_by_role("button", name="切换站点").click()
    switch = page.get_by_role("dialog", name="切换站点")
    switch.get_by_role("button", name="宜昌市的下级站点").click()
    switch.get_by_role("button", name="夷陵区", exact=True).click()
    expect(page.locator("header")).to_contain_text("夷陵区政务服务网")
    check_page(page, "1-home")

    # 注册: mobile, the SMS code (read where the development sender "delivers" it), a password.
    page.get_by_role("link", name="注册").click()
    settled(page)
    page.get_by_label("手机号").fill(mobile)
    page.get_by_role("button", name="获取验证码").click()
    expect(page.get_by_role("status").filter(has_text="验证码已发送")).to_be_visible()
    page.get_by_label("短信验证码").fill(sms_code(e2e, mobile, "register"))
    page.get_by_label("设置密码").fill(PASSWORD)
    page.get_by_label("确认密码").fill(PASSWORD)
    check_page(page, "2-register")
    page.get_by_role("button", name="注册").click()

    # 实名认证 in 账号安全, where registering leads (and where applying sends one who has not).
    expect(page).to_have_url(re.compile(r"/me/security"))
    settled(page)
    open_page(page, f"/apply/{SITE}/{matter}")
    expect(page.get_by_role("alert")).to_contain_text("在线申报需要先完成实名认证")
    page.get_by_role("link", name="去实名认证").click()
    expect(page).to_have_url(re.compile(r"/me/security$"))
    settled(page)
    check_page(page, "3-real-name")
    page.get_by_label("姓名").fill(name)
    page.get_by_label("居民身份证号码").fill(new_id_number())
    page.get_by_role("button", name="提交实名认证").click()
    expect(page.locator("main")).to_contain_text(f"实名认证成功：{name}")

    # An everyday search in the header finds the matter; its guide offers 在线申报.
    page.get_by_role("searchbox", name="搜索事项").fill("我想开个饭店")
    page.get_by_role("searchbox", name="搜索事项").press("Enter")
    settled(page)
    hit = page.locator(f'main a[href="/guide/{SITE}/{matter}"]').first
    expect(hit).to_be_visible()
    check_page(page, "4-search")
    hit.click()
    expect(page.locator("main h1")).to_have_text("食品经营许可（小餐饮新办）")
    settled(page)
    check_page(page, "5-guide")
    page.get_by_role("link", name="在线申报").click()

    # 申报须知, the form drawn from the matter's schema, two uploads, 提交申报.
    settled(page)
    page.get_by_label(re.compile("我已阅读并同意")).check()
    page.get_by_role("button", name="同意并开始填报").click()
    expect(page.locator("main h1")).to_have_text("填写申请：食品经营许可（小餐饮新办）")
    settled(page)
    page.get_by_role("textbox", name="经营者名称", exact=True).fill("孙记小馆")
    page.get_by_role("textbox", name="经营场所", exact=True).fill("夷陵区东湖大道 8 号")
    page.locator("#file-M01").set_input_files(
        files=[{"name": "申请书.pdf", "mimeType": "application/pdf", "buffer": pdf("申请书")}]
    )
    expect(page.get_by_text("已上传：申请书.pdf")).to_be_visible()
    page.locator("#file-M02").set_input_files(
        files=[{"name": "平面图.png", "mimeType": "image/png", "buffer": PNG}]
    )
    expect(page.get_by_text("已上传：平面图.png")).to_be_visible()
    check_page(page, "6-apply")
    page.get_by_role("button", name="提交申报").click()
    expect(page.locator("main h1")).to_have_text("申报已提交")
    number = page.get_by_test_id("application-number").inner_text().strip()
    assert page.get_by_test_id("query-password").inner_text().strip()
    check_page(page, "7-submitted")

    # The clerk, in a browser of their own, finds it in the queue and accepts it.
    clerk = staff_page(browser, portal_url, county["clerk"])
    check_page(clerk, "8-workbench")
    clerk.get_by_role("navigation", name="工作台").get_by_role("link", name="待办办件").click()
    expect(clerk.get_by_role("table", name="待办办件列表")).to_contain_text(number)
    clerk.get_by_role("link", name=f"办理 {number}").click()
    settled(clerk)
    # The applicant's verified name, which the tokens issued after 实名认证 carry.
    expect(clerk.locator("main")).to_contain_text(name)
    check_page(clerk, "9-staff-case")
    clerk.get_by_role("button", name="受理", exact=True).click()
    dialog = clerk.get_by_role("dialog", name="受理")
    dialog.get_by_label("受理意见").fill("材料齐全，予以受理")
    dialog.get_by_role("button", name="确认受理").click()
    expect(clerk.get_by_role("status").filter(has_text="受理已完成")).to_contain_text("受理通知书")

    # The citizen sees it accepted in 我的空间 and downloads the acceptance notice.
    page.get_by_role("link", name="我的空间").first.click()
    settled(page)
    open_page(page, "/me/cases?tab=in_progress")
    page.get_by_role("link", name=re.compile("查看详情")).first.click()
    settled(page)
    expect(page.locator("main")).to_contain_text(number)
    check_page(page, "10-my-case")
    with page.expect_download() as event:
        page.get_by_role("button", name="下载受理通知书").click()
    notice = tmp_path / "受理通知书.pdf"
    event.value.save_as(notice)
    assert notice.read_bytes().startswith(b"%PDF")

    # Its QR code opens the portal's verification page (on a phone, as one scans it), verified.
    target = decode_pdf_qr(notice.read_bytes())
    assert re.fullmatch(rf"{re.escape(portal_url)}/verify/notice/[^/?]+\?code=\w+", target), target
    scanner = new_context(browser, portal_url, "phone").new_page()
    watch_console(scanner)
    open_page(scanner, target)
    expect(scanner.get_by_role("heading", name="文书核验通过")).to_be_visible()
    expect(scanner.locator("main")).to_contain_text("食品经营许可（小餐饮新办）")
    check_page(scanner, "11-notice-verified")

    # 我要咨询: the clerk answers in the workbench, the citizen reads it in 我的空间.
    title = f"小餐饮需要健康证吗{uuid.uuid4().hex[:4]}"
    open_page(page, f"/consult/new?site={SITE}&matter={matter}")
    page.get_by_label("受理部门").select_option(DEPT)
    page.get_by_label("标题").fill(title)
    page.get_by_label("内容").fill("开小餐馆，从业人员需要办理健康证吗？")
    check_page(page, "12-consult")
    page.get_by_role("button", name="提交").click()
    expect(page.get_by_role("heading", name="提交成功")).to_be_visible()

    open_page(clerk, "/staff/letters")
    clerk.get_by_role("link", name=title).click()
    settled(clerk)
    clerk.get_by_role("button", name="签收").click()
    expect(clerk.get_by_role("status").filter(has_text="签收已完成")).to_be_visible()
    clerk.get_by_role("button", name="回复", exact=True).click()
    reply = clerk.get_by_role("dialog", name="回复来信")
    reply.get_by_label("答复内容").fill("需要。从事接触直接入口食品工作的人员应取得健康证明。")
    reply.get_by_role("button", name="发送答复").click()
    expect(clerk.get_by_role("status").filter(has_text="回复已完成")).to_contain_text("已答复")
    check_page(clerk, "13-staff-letter")

    open_page(page, "/me/consultations")
    page.get_by_role("link", name=title).click()
    settled(page)
    expect(page.locator("main")).to_contain_text("应取得健康证明")
    check_page(page, "14-answered")

    # What the pages showed is what the API holds.
    mine = ok(
        api.post(
            "/api/v1/auth/login", json={"method": "password", "login_name": mobile, "password": PASSWORD}
        )
    )
    who = {"Authorization": f"Bearer {mine['access_token']}"}
    [case] = ok(api.get("/api/v1/me/cases", params={"tab": "in_progress"}, headers=who))["cases"]
    shown = ok(api.get(f"/api/v1/cases/{case['id']}", headers=who))
    assert shown["application_number"] == number and shown["state"] == "accepted"
    assert {m["code"] for m in shown["materials"] if m.get("files")} == {"M01", "M02"}
    clerk.context.close()
    scanner.context.close()
