"""The portal's public browsing pages in a real browser: the home page with hot words,
suggestions and announcements; an everyday search that finds a matter and opens its 办事指南
with every element, its materials by situation and its QR code; 收藏 and 纠错 by a signed-in
citizen (checked through the API); browsing matters by filters; an article; 咨询公开. Each page
passes check_page at a desktop's and a phone's width."""

from __future__ import annotations

import hashlib
import re
import uuid
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from playwright.sync_api import Page, expect

from govhall.catalogue.formpdf import form_pdf
from govhall.kit.testing import wait_until_sync

from .browser import check_page, open_page, settled, sign_in_as
from .conftest import ADMIN, DEPT, SITE
from .test_cases_journey import ok, staff_token
from .test_identity_journey import bearer, login, register_and_verify

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

NAME = "个体工商户设立登记"
ANNOUNCEMENT = "关于个体工商户登记全程网办的公告"
FAQ = "个体工商户设立登记可以委托他人办理吗？"


def guide_body(code: str, sample_file: str) -> dict[str, Any]:
    """A guide with every element the page shows: situations choosing materials, a charged fee,
    places, legal basis, notice, process steps and both online application and appointments.
    Its first material's blank form is an address elsewhere, its sample a file uploaded here."""
    return {
        "code": code,
        "name": NAME,
        "department_code": DEPT,
        "audiences": ["person", "legal_person"],
        "sub_audiences": ["个体工商户"],
        "themes": ["设立变更"],
        "life_events": ["设立"],
        "type": "licensing",
        "handling_type": "promised",
        "promised_limit": {"value": 3},
        "legal_limit": {"value": 15},
        "online_application": True,
        "online_depth": 4,
        "visits": 0,
        "appointment": True,
        "express_delivery": True,
        "result_name": "营业执照",
        "guide": {
            "acceptance_conditions": "申请人具有经营能力，经营场所符合规定。",
            "legal_basis": "《促进个体工商户发展条例》第八条",
            "notice": "申请人应对申请材料的真实性负责。",
            "consult_phone": "0717-12345",
            "complaint_phone": "0717-12315",
        },
        "fees": {
            "charged": True,
            "items": [{"name": "工本费", "amount": {"amount_fen": 1000}, "basis": "鄂价费〔2020〕1号"}],
        },
        "steps": [
            {"code": "accept", "name": "受理", "role": "window_clerk", "time_limit_days": 1},
            {"code": "decide", "name": "决定", "role": "approver", "time_limit_days": 2},
        ],
        "materials": [
            {
                "code": "M01",
                "name": "个体工商户登记申请书",
                "form": "original",
                "copies": 1,
                "necessity": "required",
                "template_file": "https://zwfw.example.gov.cn/templates/geti-sqs.docx",
                "sample_file": sample_file,
            },
            {"code": "M02", "name": "经营者身份证明", "form": "copy", "copies": 1, "necessity": "required"},
            {
                "code": "M03",
                "name": "委托代理人授权委托书",
                "form": "original",
                "copies": 1,
                "necessity": "conditional",
                "condition": "委托他人代办的",
            },
        ],
        "situations": [
            {
                "code": "S1",
                "question": "是否委托他人代办？",
                "options": [
                    {"code": "S1A", "label": "是，委托他人代办", "material_codes": ["M03"]},
                    {"code": "S1B", "label": "否，本人办理"},
                ],
            }
        ],
        "places": [
            {
                "name": "西陵区政务服务中心",
                "address": "西陵区城东大道 1 号",
                "window": "一楼 市场监管窗口",
                "hours": "工作日 9:00-12:00，13:30-17:00",
            }
        ],
    }


def article(api: httpx.Client, body: dict[str, Any]) -> str:
    made = ok(api.post(f"/api/v1/admin/sites/{SITE}/articles", json=body, headers=ADMIN), 201)
    ok(api.post(f"/api/v1/admin/sites/{SITE}/articles/{made['id']}/publish", headers=ADMIN))
    return str(made["id"])


@pytest.fixture(scope="module")
def seeded(api: httpx.Client) -> dict[str, str]:
    code = f"{DEPT}-BR{uuid.uuid4().hex[:6].upper()}"
    # The site's administrator uploads the sample the guide links to.
    name, content = form_pdf("个体工商户登记申请书（示例样表）.pdf")
    sample = ok(
        api.post(
            f"/api/v1/admin/sites/{SITE}/files",
            files={"file": (name, content, "application/pdf")},
            headers=ADMIN,
        ),
        201,
    )
    body = guide_body(code, sample["path"])
    ok(api.post(f"/api/v1/admin/sites/{SITE}/matters", json=body, headers=ADMIN), 201)
    ok(api.post(f"/api/v1/admin/sites/{SITE}/matters/{code}/publish", headers=ADMIN))
    faq = article(api, {"kind": "faq", "title": FAQ, "body": "可以，需提交授权委托书。", "matter_code": code})
    news = article(api, {"kind": "announcement", "title": ANNOUNCEMENT, "body": "即日起……\n特此公告。"})

    # An everyday word (个体户) finds it once search has the event; searching counts a hot word.
    def found() -> bool:
        reply = api.get(f"/api/v1/sites/{SITE}/search", params={"q": "个体户"})
        return code in [h["id"] for h in ok(reply)["items"]]

    wait_until_sync(found, 30, what="the matter found by 个体户")

    def hot() -> bool:
        words = ok(api.get(f"/api/v1/sites/{SITE}/search/hot-words"))["items"]
        return "个体户" in [w["word"] for w in words]

    wait_until_sync(hot, 30, what="个体户 a hot word")
    return {
        "code": code,
        "faq": faq,
        "news": news,
        "sample": sample["path"],
        "sample_sha256": sample["sha256"],
    }


def test_home_search_and_guide(seeded: dict[str, str], desktop: Page, phone: Page) -> None:
    code = seeded["code"]
    for page in (desktop, phone):
        open_page(page, "/")
        expect(page.locator("main h1")).to_contain_text("湖北省")
        check_page(page, "home-province")
        # The matter, its announcement and hot words are the county's: go there (the site choice).
        page.evaluate("(s) => localStorage.setItem('govhall.site', s)", SITE)
        open_page(page, "/")
        main = page.locator("main")
        expect(main.locator("h1")).to_contain_text("西陵区")
        expect(
            main.get_by_role("navigation", name="热门搜索").get_by_role("link", name="个体户")
        ).to_be_visible()
        expect(main.get_by_role("link", name=ANNOUNCEMENT)).to_be_visible()
        expect(main.get_by_role("link", name="个人办事")).to_have_attribute(
            "href", "/matters?audience=person"
        )
        check_page(page, "home")

    page = desktop
    box = page.get_by_role("combobox", name="搜索事项、办事指南")
    box.fill("个体")
    suggestion = page.get_by_role("option", name=NAME).first
    expect(suggestion).to_be_visible()
    expect(box).to_have_attribute("aria-expanded", "true")
    box.press("ArrowDown")
    expect(page.get_by_role("option").first).to_have_attribute("aria-selected", "true")
    box.press("Escape")
    expect(box).to_have_attribute("aria-expanded", "false")

    # An everyday search finds it and opens its guide.
    box.fill("个体户")
    box.press("Enter")
    expect(page).to_have_url(re.compile(r"/search\?q="))
    settled(page)
    hit = page.locator(f'main a[href="/guide/{SITE}/{code}"]')
    expect(hit).to_be_visible()
    expect(hit.locator("mark").first).to_be_visible()
    check_page(page, "search")
    open_page(phone, "/search?q=" + "个体户")
    expect(phone.locator(f'main a[href="/guide/{SITE}/{code}"]')).to_be_visible()
    check_page(phone, "search")
    hit.click()
    expect(page).to_have_url(re.compile(f"/guide/{SITE}/{code}$"))
    settled(page)
    main = page.locator("main")
    expect(main.locator("h1")).to_have_text(NAME)
    expect(main).not_to_contain_text("null")
    for text in (
        "行政许可",
        "承诺件",
        "3 个工作日",
        "15 个工作日",
        "四级",
        "营业执照",
        "0717-12345",
        "《促进个体工商户发展条例》",
        "申请人应对申请材料的真实性负责",
        "工本费：10.00 元",
        "一楼 市场监管窗口",
        "受理",
        "决定",
        FAQ,
    ):
        expect(main).to_contain_text(text)
    qr = main.get_by_role("img", name=re.compile("二维码"))
    expect(qr).to_have_attribute("src", f"/api/v1/sites/{SITE}/matters/{code}/qrcode.svg")
    # The QR image loads (waited for: the SVG comes a moment after the page is drawn).
    page.wait_for_function("(img) => img.complete && img.naturalWidth > 0", arg=qr.element_handle())
    expect(main.get_by_role("link", name="在线申报")).to_have_attribute("href", f"/apply/{SITE}/{code}")
    expect(main.get_by_role("link", name="预约办理")).to_have_attribute("href", f"/book/{SITE}/{code}")
    expect(main.get_by_role("link", name=re.compile("下载空白表格"))).to_have_attribute(
        "href", re.compile("geti-sqs.docx")
    )
    # The sample uploaded here downloads from the link, as the PDF uploaded under its own name.
    sample = main.get_by_role("link", name=re.compile("下载示例样表"))
    expect(sample).to_have_attribute("href", seeded["sample"])
    got = page.request.get(sample.get_attribute("href") or "")
    assert got.status == 200 and got.headers["content-type"] == "application/pdf"
    assert hashlib.sha256(got.body()).hexdigest() == seeded["sample_sha256"]
    assert (
        "filename*=UTF-8''" + quote("个体工商户登记申请书（示例样表）.pdf")
        in got.headers["content-disposition"]
    )
    # Materials by situation: 本人办理 needs no 授权委托书, 委托他人 does.
    materials = main.locator("#g-materials ol.materials")
    expect(materials).to_contain_text("委托代理人授权委托书")
    main.get_by_label("否，本人办理").check()
    expect(materials).not_to_contain_text("委托代理人授权委托书")
    expect(materials).to_contain_text("经营者身份证明")
    main.get_by_label("是，委托他人代办").check()
    expect(materials).to_contain_text("委托代理人授权委托书")
    check_page(page, "guide")

    open_page(phone, f"/guide/{SITE}/{code}")
    expect(phone.locator("main h1")).to_have_text(NAME)
    check_page(phone, "guide")
    # Signed out, 收藏 asks to sign in.
    phone.get_by_role("button", name="收藏").click()
    expect(phone.get_by_role("dialog", name="请先登录")).to_be_visible()
    phone.get_by_role("button", name="取消").click()

    for page in (desktop, phone):
        open_page(page, f"/guide/{SITE}/NO-SUCH-MATTER")
        expect(page.locator("main h1")).to_have_text("没有找到该事项")
        check_page(page, "guide-missing")


def test_favourite_and_error_report_by_a_citizen(
    seeded: dict[str, str], api: httpx.Client, e2e: Any, desktop: Page
) -> None:
    code = seeded["code"]
    person = register_and_verify(api, e2e, "周浏览")
    tokens = login(api, person)
    page = desktop
    sign_in_as(page, tokens)
    open_page(page, f"/guide/{SITE}/{code}")
    main = page.locator("main")
    main.get_by_role("button", name="收藏", exact=True).click()
    expect(main.get_by_role("button", name="取消收藏")).to_have_attribute("aria-pressed", "true")
    kept = ok(api.get("/api/v1/me/favourites", headers=bearer(person.access_token)))["items"]
    assert [f["matter_code"] for f in kept] == [code]
    # Still kept after a reload; then 取消收藏.
    open_page(page, f"/guide/{SITE}/{code}")
    main.get_by_role("button", name="取消收藏").click()
    expect(main.get_by_role("button", name="收藏", exact=True)).to_have_attribute("aria-pressed", "false")
    assert ok(api.get("/api/v1/me/favourites", headers=bearer(person.access_token)))["items"] == []

    main.get_by_role("button", name="纠错").click()
    dialog = page.get_by_role("dialog", name="指南纠错")
    expect(dialog).to_be_visible()
    check_page(page, "guide-error-report")
    dialog.get_by_role("button", name="提交纠错").click()
    expect(dialog.get_by_role("alert")).to_contain_text("请填写具体说明")
    dialog.get_by_label("有误的内容").select_option("fees")
    dialog.get_by_label("具体说明").fill("工本费已于今年取消，指南仍写收取 10 元。")
    dialog.get_by_role("button", name="提交纠错").click()
    expect(main.get_by_role("status").filter(has_text="纠错已提交")).to_be_visible()
    reports = ok(api.get("/api/v1/me/error-reports", headers=bearer(person.access_token)))["items"]
    assert len(reports) == 1
    assert reports[0]["matter_code"] == code and reports[0]["element"] == "fees"
    assert "工本费已于今年取消" in reports[0]["content"]


def public_letter(api: httpx.Client, e2e: Any, code: str) -> str:
    """A citizen's consultation about the matter, answered publicly (咨询公开 shows it)."""
    me = register_and_verify(api, e2e, "郑咨询")
    body = {
        "site_code": SITE,
        "kind": "consultation",
        "department_code": DEPT,
        "matter_code": code,
        "title": "个体户登记要多久",
        "content": "材料齐全的话几天能拿到营业执照？",
        "agrees_to_publish": True,
    }
    letter = ok(api.post("/api/v1/consultations", json=body, headers=bearer(me.access_token)), 201)["letter"]
    clerk = bearer(staff_token(api, "window_clerk"))
    path = f"/api/v1/staff/consultations/{letter['id']}"
    ok(api.post(f"{path}/claim", json={"revision": 1}, headers=clerk))
    answer = "材料齐全的，3 个工作日内办结。"
    ok(api.post(f"{path}/reply", json={"revision": 2, "content": answer, "public": True}, headers=clerk))
    return answer


def test_matters_article_and_qa(
    seeded: dict[str, str], api: httpx.Client, e2e: Any, desktop: Page, phone: Page
) -> None:
    code = seeded["code"]
    answer = public_letter(api, e2e, code)
    for page in (desktop, phone):
        page.goto("/")
        page.evaluate("(s) => localStorage.setItem('govhall.site', s)", SITE)
        open_page(page, "/matters?audience=legal_person")
        main = page.locator("main")
        expect(main.locator("h1")).to_have_text("法人办事")
        expect(main.get_by_label("服务对象")).to_have_value("legal_person")
        main.get_by_label("主题").select_option("设立变更")
        main.get_by_role("button", name="筛选").click()
        expect(page).to_have_url(re.compile("theme="))
        settled(page)
        expect(main.locator(f'a[href="/guide/{SITE}/{code}"]')).to_be_visible()
        expect(main).not_to_contain_text("null")
        check_page(page, "matters")
        # A theme nothing is filed under: no matter of ours.
        open_page(page, f"/matters?audience=person&theme={'死亡殡葬'}")
        expect(main.locator(f'a[href="/guide/{SITE}/{code}"]')).to_have_count(0)

        open_page(page, f"/articles/{SITE}/{seeded['news']}")
        expect(main.locator("h1")).to_have_text(ANNOUNCEMENT)
        expect(main).to_contain_text("特此公告。")
        check_page(page, "article")

        open_page(page, "/search?q=不存在的事项名称xyz")
        expect(main).to_contain_text("没有找到")
        check_page(page, "search-empty")

        open_page(page, "/qa")
        expect(main.locator("h1")).to_have_text("咨询公开")
        expect(main.get_by_text(FAQ)).to_be_visible()
        expect(main.locator(".letter")).to_contain_text(answer)
        expect(main.locator(".letter").get_by_role("link", name="相关办事指南")).to_have_attribute(
            "href", f"/guide/{SITE}/{code}"
        )
        expect(main.get_by_role("link", name="我要咨询").first).to_have_attribute(
            "href", re.compile("/consult/new\\?site=")
        )
        check_page(page, "qa")

    # 智能问答 on /qa: an answer with its source, or 我要咨询.
    page = desktop
    page.get_by_label("您的问题").fill("个体工商户设立登记需要什么材料")
    page.get_by_role("button", name="提问").click()
    answer = page.locator(".ask-result")
    expect(answer.get_by_role("link").first).to_be_visible()
    check_page(page, "qa-answer")
