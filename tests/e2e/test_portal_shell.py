"""The portal's frame in a real browser: served at / and at the QR codes' page addresses, in
Chinese, with the header, site switch, search and 长辈版, accessible and fitting a phone and a
desktop; the API's own paths stay problem+json."""

from __future__ import annotations

import httpx
import pytest
from playwright.sync_api import Page, expect

from .browser import check_page, open_page

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


def test_pages_are_the_portal_and_the_api_stays_json(api: httpx.Client) -> None:
    for path in ("/", "/guide/420502/SOME-MATTER", "/verify/notice/doc-1?code=ABC", "/me/cases?tab=x"):
        reply = api.get(path)
        assert reply.status_code == 200, path
        assert reply.headers["content-type"].startswith("text/html")
        assert '<html lang="zh-CN">' in reply.text
        assert "script-src 'self'" in reply.headers["content-security-policy"]
        assert reply.headers["x-frame-options"] == "DENY"
    script = api.get("/portal/app.js")
    assert script.status_code == 200 and "javascript" in script.headers["content-type"]
    # Not a page: the API's 404, never the shell.
    for path in ("/api/v1/nothing-here", "/nothing-here", "/portal/nothing.js"):
        reply = api.get(path)
        assert reply.status_code == 404, path
        assert "<html" not in reply.text


def test_the_frame_works_at_both_widths_and_in_elder_mode(desktop: Page, phone: Page) -> None:
    for page in (desktop, phone):
        open_page(page, "/")
        expect(page.locator("header")).to_contain_text("政务服务网")
        check_page(page, "home-frame")
        # 长辈版: a larger root font, kept across pages.
        normal = page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)")
        page.get_by_role("button", name="长辈版").click()
        expect(page.get_by_role("button", name="标准版")).to_have_attribute("aria-pressed", "true")
        larger = page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)")
        assert larger >= normal * 1.3
        check_page(page, "home-elder")
        open_page(page, "/qa/no/such/page")
        expect(page.locator("main h1")).to_have_text("页面不存在")


def test_the_site_switch_moves_the_visitor_to_a_county(desktop: Page) -> None:
    open_page(desktop, "/")
    desktop.get_by_role("button", name="切换站点").click()
    dialog = desktop.get_by_role("dialog", name="切换站点")
    expect(dialog).to_be_visible()
    dialog.get_by_role("button", name="宜昌市的下级站点").click()
    dialog.get_by_role("button", name="西陵区", exact=True).click()
    expect(desktop.locator("header")).to_contain_text("西陵区政务服务网")
    desktop.reload()
    expect(desktop.locator("header")).to_contain_text("西陵区政务服务网")


def test_a_sub_site_links_its_visitors_to_their_own_site(desktop: Page) -> None:
    open_page(desktop, "/?site=420502")
    expect(desktop.locator("header")).to_contain_text("西陵区政务服务网")
    # The choice stays as the visitor moves on; only the home page's ?site= sets it.
    open_page(desktop, "/qa?site=420000")
    expect(desktop.locator("header")).to_contain_text("西陵区政务服务网")
