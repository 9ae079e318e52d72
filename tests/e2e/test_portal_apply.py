"""The portal's applying and public pages in a real browser: a citizen signs in, chooses a
situation, accepts the 申报须知, meets the form's Chinese errors (the browser's and the server's),
fills the form drawn from the matter's JSON Schema, attaches two uploads and a drive file, submits
and sees the 申报号 and 查询密码 once; anyone then follows the case (办件查询), a clerk accepts it and
the acceptance notice's QR page verifies it; the licence verify page and 找回密码 work too. Every
page is checked at a phone's and a desktop's width."""

from __future__ import annotations

import re
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from govhall.kit.testing import wait_until_sync

from .browser import check_page, open_page, sign_in_as
from .conftest import SITE
from .test_cases_journey import PNG, act, ok, pdf, publish_matter, staff_token
from .test_identity_journey import PASSWORD, Person, bearer, register_and_verify, sms_code

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

FORM = {
    "type": "object",
    "title": "食品经营许可申请表",
    "properties": {
        "shop_name": {"type": "string", "title": "经营者名称", "minLength": 2, "maxLength": 50},
        "address": {"type": "string", "title": "经营场所", "minLength": 4, "description": "填写到门牌号"},
        "business_type": {
            "type": "string",
            "title": "经营类别",
            "enum": ["餐饮服务", "食品销售", "单位食堂"],
        },
        "opening_date": {"type": "string", "title": "拟开业日期", "format": "date"},
        "staff_count": {"type": "integer", "title": "从业人数", "minimum": 1, "maximum": 500},
        "email": {"type": "string", "title": "联系邮箱", "format": "email"},
        "delivery_service": {"type": "boolean", "title": "提供网络订餐配送"},
        "products": {
            "type": "array",
            "title": "主要经营品种",
            "items": {"type": "string", "maxLength": 20},
            "uniqueItems": True,
        },
        "agent": {
            "type": "object",
            "title": "代办人信息",
            "properties": {
                "name": {"type": "string", "title": "代办人姓名", "minLength": 2},
                "mobile": {"type": "string", "title": "代办人手机号", "pattern": "^1[3-9][0-9]{9}$"},
            },
            "required": ["name", "mobile"],
        },
    },
    "required": ["shop_name", "address", "business_type", "opening_date", "staff_count"],
}


def publish_rich_matter(api: httpx.Client) -> str:
    """A matter whose form has text, enum, date, integer, email, boolean, list and a nested section
    (shown when an agent applies), with two required materials and one the agent situation needs."""
    material = {"form": "electronic", "source": "applicant"}
    return publish_matter(
        api,
        name="食品经营许可（网上新办）",
        guide={"notice": "申请人应对申请材料实质内容的真实性负责。\n提交虚假材料的，一年内不得再次申请。"},
        steps=[
            {"code": "accept", "name": "受理", "role": "window_clerk"},
            {"code": "decide", "name": "决定", "role": "approver"},
        ],
        materials=[
            {**material, "code": "M01", "name": "食品经营许可申请书", "necessity": "required"},
            {**material, "code": "M02", "name": "经营场所平面图", "necessity": "required"},
            {
                **material,
                "code": "M03",
                "name": "授权委托书",
                "necessity": "conditional",
                "condition": "委托他人代办的",
            },
        ],
        situations=[
            {
                "code": "S1",
                "question": "是否委托他人代办？",
                "options": [
                    {"code": "S1A", "label": "本人申请"},
                    {
                        "code": "S1B",
                        "label": "委托他人代办",
                        "material_codes": ["M03"],
                        "form_sections": ["agent"],
                    },
                ],
            }
        ],
        form_schema=FORM,
    )


@pytest.fixture(scope="module")
def forgetful(api: httpx.Client, e2e: Any) -> Person:
    """A citizen who will forget their password, registered as the module starts: identity sends
    one code per mobile a minute, and registering sent one."""
    return register_and_verify(api, e2e, "吴忘记")


def tokens(api: httpx.Client, person: Person, password: str = PASSWORD) -> dict[str, Any]:
    body = {"method": "password", "login_name": person.mobile, "password": password}
    return ok(api.post("/api/v1/auth/login", json=body))  # type: ignore[no-any-return]


def labelled(page: Page, label: str) -> Any:
    """The control labelled exactly `label` (a required field's label ends with its " *")."""
    return page.get_by_label(re.compile(rf"^\s*{re.escape(label)}\s*\*?$"))


def error_for(page: Page, name: str) -> Any:
    return page.locator(f'main [data-error-for="{name}"]')


def choose_agent_situation(page: Page) -> None:
    """Step 1: an agent applies; on to the 申报须知."""
    labelled(page, "委托他人代办").check()
    page.get_by_role("button", name="下一步").click()
    expect(page.get_by_role("heading", name="第二步：申报须知")).to_be_visible()
    expect(page.get_by_text("提交虚假材料的，一年内不得再次申请。")).to_be_visible()


def test_apply_online_submit_query_and_verify(
    api: httpx.Client, e2e: Any, desktop: Page, forgetful: Person
) -> None:
    matter = publish_rich_matter(api)
    citizen = register_and_verify(api, e2e, "林申报")
    me = bearer(tokens(api, citizen)["access_token"])
    drive_file = ok(
        api.post(
            "/api/v1/me/drive/files",
            files={"file": ("委托书.pdf", pdf("授权委托书"), "application/pdf")},
            headers=me,
        ),
        201,
    )

    # Signed out, the apply page sends the visitor to sign in and back.
    page = desktop
    page.goto(f"/apply/{SITE}/{matter}")
    expect(page).to_have_url(re.compile(rf"/login\?next=%2Fapply%2F{SITE}%2F{matter}$"))

    labelled(page, "手机号、身份证号或用户名").fill(citizen.mobile)
    labelled(page, "密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator("main h1")).to_have_text("在线申报：食品经营许可（网上新办）")
    check_page(page, "apply-situations")

    # Step 1 needs an answer; step 2 needs the 须知 accepted.
    page.get_by_role("button", name="下一步").click()
    expect(error_for(page, "situation_answers.S1")).to_have_text("请选择")
    choose_agent_situation(page)
    check_page(page, "apply-notice")
    page.get_by_role("button", name="同意并开始填报").click()
    expect(error_for(page, "notice_read")).to_contain_text("我已阅读并同意")
    labelled(page, "我已阅读并同意").check()
    page.get_by_role("button", name="同意并开始填报").click()
    expect(page.locator("main h1")).to_have_text("填写申请：食品经营许可（网上新办）")
    case_id = page.url.rsplit("/", 1)[-1]
    expect(page.get_by_role("group", name="代办人信息")).to_be_visible()
    check_page(page, "apply-form")

    # Submitted empty (two fields wrongly filled): Chinese errors next to the fields.
    labelled(page, "经营者名称").fill("林")
    labelled(page, "联系邮箱").fill("not-an-email")
    page.get_by_role("button", name="提交申报").click()
    expect(error_for(page, "form.shop_name")).to_have_text("至少 2 个字")
    expect(error_for(page, "form.email")).to_have_text("请输入有效的电子邮箱地址")
    for name in (
        "form.address",
        "form.opening_date",
        "form.staff_count",
        "form.business_type",
        "form.agent.name",
    ):
        expect(error_for(page, name)).to_have_text("此项必填")
    for code in ("M01", "M02", "M03"):
        expect(error_for(page, f"materials.{code}")).to_have_text("请上传此材料")
    expect(page.locator(".error-summary")).to_contain_text("经营者名称：至少 2 个字")
    check_page(page, "apply-form-errors")

    # Filled in; the server's own check (a list's items unique) lands next to its field on 保存.
    labelled(page, "经营者名称").fill("林记早餐")
    labelled(page, "经营场所").fill("宜昌市西陵区东山大道100号")
    labelled(page, "餐饮服务").check()
    labelled(page, "拟开业日期").fill("2027-03-01")
    labelled(page, "从业人数").fill("600")
    labelled(page, "联系邮箱").fill("lin@example.cn")
    labelled(page, "提供网络订餐配送").check()
    labelled(page, "主要经营品种").fill("热干面\n热干面")
    labelled(page, "代办人姓名").fill("林小代")
    labelled(page, "代办人手机号").fill("12345")
    page.get_by_role("button", name="提交申报").click()
    expect(error_for(page, "form.staff_count")).to_have_text("不能大于 500")
    expect(error_for(page, "form.agent.mobile")).to_have_text("格式不正确")
    labelled(page, "从业人数").fill("6")
    labelled(page, "代办人手机号").fill("13912345678")
    page.get_by_role("button", name="保存").click()
    expect(error_for(page, "form.products")).to_contain_text("主要经营品种")
    labelled(page, "主要经营品种").fill("热干面\n豆皮")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("草稿已保存")).to_be_visible()
    saved = ok(api.get(f"/api/v1/cases/{case_id}", headers=me))
    assert saved["state"] == "draft" and saved["form"]["products"] == ["热干面", "豆皮"]

    # Materials: two local uploads and one from the drive (从云盘选择).
    page.locator("#file-M01").set_input_files(
        files=[{"name": "申请书.pdf", "mimeType": "application/pdf", "buffer": pdf("申请书")}]
    )
    expect(page.get_by_text("已上传：申请书.pdf")).to_be_visible()
    page.locator("#file-M02").set_input_files(
        files=[{"name": "平面图.png", "mimeType": "image/png", "buffer": PNG}]
    )
    expect(page.get_by_text("已上传：平面图.png")).to_be_visible()
    page.get_by_role("button", name="授权委托书：从云盘选择").click()
    picker = page.get_by_role("dialog", name="从云盘选择：授权委托书")
    picker.get_by_role("button", name="选择 委托书.pdf").click()
    expect(page.get_by_text("已从云盘添加：委托书.pdf")).to_be_visible()
    expect(page.get_by_role("list", name="授权委托书已上传的文件")).to_contain_text("委托书.pdf")
    check_page(page, "apply-form-filled")

    page.get_by_role("button", name="提交申报").click()
    expect(page.locator("main h1")).to_have_text("申报已提交")
    number = page.get_by_test_id("application-number").inner_text().strip()
    password = page.get_by_test_id("query-password").inner_text().strip()
    assert number.startswith("SB") and len(password) == 8
    expect(page.get_by_text("查询密码只显示这一次")).to_be_visible()
    expect(page.get_by_role("link", name="在我的空间查看办件")).to_have_attribute(
        "href", f"/me/cases/{case_id}"
    )
    check_page(page, "apply-submitted")

    case = ok(api.get(f"/api/v1/cases/{case_id}", headers=me))
    assert case["state"] == "submitted" and case["application_number"] == number
    assert case["situation_answers"] == [{"situation_code": "S1", "option_codes": ["S1B"]}]
    assert case["form"] == {
        "shop_name": "林记早餐",
        "address": "宜昌市西陵区东山大道100号",
        "business_type": "餐饮服务",
        "opening_date": "2027-03-01",
        "staff_count": 6,
        "email": "lin@example.cn",
        "delivery_service": True,
        "products": ["热干面", "豆皮"],
        "agent": {"name": "林小代", "mobile": "13912345678"},
    }
    files = {m["code"]: [f["file_name"] for f in m["files"]] for m in case["materials"]}
    assert files == {"M01": ["申请书.pdf"], "M02": ["平面图.png"], "M03": ["委托书.pdf"]}
    assert case["materials"][2]["files"][0]["sha256"] == drive_file["sha256"]

    # 办件查询 with the application number and the query password.
    open_page(page, "/query/case")
    labelled(page, "办件编号或申报号").fill(number)
    labelled(page, "查询密码").fill("WRONG234")
    page.get_by_role("button", name="查询").click()
    expect(page.locator(".error-summary")).to_contain_text("查询密码不正确")
    labelled(page, "查询密码").fill(password)
    page.get_by_role("button", name="查询").click()
    expect(page.locator(".query-result")).to_contain_text("待预审")
    expect(page.locator(".query-result")).to_contain_text("食品经营许可（网上新办）")
    check_page(page, "query-case")

    # A clerk accepts it: the acceptance notice's QR page verifies it; a wrong code does not.
    clerk = staff_token(api, "window_clerk")
    accepted = act(api, clerk, case_id, "accept", {"opinion": "材料齐全"})
    notice = next(d for d in accepted["documents"] if d["kind"] == "acceptance")
    open_page(page, f"/verify/notice/{notice['id']}?code={notice['verification_code']}")
    expect(page.get_by_role("heading", name="文书核验通过")).to_be_visible()
    verdict = page.locator(".verdict")
    for text in (
        "该文书真实有效",
        "受理通知书",
        accepted["case_number"],
        number,
        "西陵区市场监督管理局",
        notice["sha256"],
    ):
        expect(verdict).to_contain_text(text)
    check_page(page, "verify-notice-ok")
    open_page(page, f"/verify/notice/{notice['id']}?code=WRONG234")
    expect(page.get_by_role("heading", name="核验未通过")).to_be_visible()
    check_page(page, "verify-notice-bad")
    # From the form (no code in the address): typed in lower case, it still verifies.
    open_page(page, f"/verify/notice/{notice['id']}")
    labelled(page, "核验码").fill(notice["verification_code"].lower())
    page.get_by_role("button", name="核验").click()
    expect(page.get_by_role("heading", name="文书核验通过")).to_be_visible()
    # After acceptance the case number follows the case too.
    open_page(page, "/query/case")
    labelled(page, "办件编号或申报号").fill(accepted["case_number"])
    labelled(page, "查询密码").fill(password)
    page.get_by_role("button", name="查询").click()
    expect(page.locator(".query-result")).to_contain_text(accepted["state_zh"])


def test_apply_and_public_pages_fit_a_phone(api: httpx.Client, e2e: Any, phone: Page) -> None:
    matter = publish_rich_matter(api)
    citizen = register_and_verify(api, e2e, "陈手机")
    sign_in_as(phone, tokens(api, citizen))
    open_page(phone, f"/apply/{SITE}/{matter}")
    check_page(phone, "apply-situations")
    labelled(phone, "本人申请").check()
    phone.get_by_role("button", name="下一步").click()
    labelled(phone, "我已阅读并同意").check()
    check_page(phone, "apply-notice")
    phone.get_by_role("button", name="同意并开始填报").click()
    expect(phone.locator("main h1")).to_have_text("填写申请：食品经营许可（网上新办）")
    # 本人申请: no agent section, and the agent's letter is not needed.
    expect(phone.get_by_role("group", name="代办人信息")).to_have_count(0)
    expect(labelled(phone, "经营者名称")).to_be_visible()
    phone.get_by_role("button", name="提交申报").click()
    expect(error_for(phone, "form.shop_name")).to_have_text("此项必填")
    expect(error_for(phone, "materials.M03")).to_have_count(1)
    expect(error_for(phone, "materials.M03")).to_have_text("")
    check_page(phone, "apply-form-errors")

    for path, heading in (
        ("/query/case", "办件查询"),
        ("/verify/notice/no-such-document", "文书核验"),
        ("/verify/notice/no-such-document?code=ABCD2345", "文书核验"),
        ("/verify/licence", "电子证照核验"),
        ("/verify/licence?code=NO-SUCH-CODE", "电子证照核验"),
        ("/forgot", "找回密码"),
    ):
        open_page(phone, path)
        expect(phone.locator("main h1")).to_have_text(heading)
        check_page(phone, path.strip("/").replace("/", "-").replace("?", "-"))


def test_licence_verify_and_password_reset(
    api: httpx.Client, e2e: Any, desktop: Page, forgetful: Person
) -> None:
    page = desktop
    open_page(page, "/verify/licence")
    check_page(page, "verify-licence-form")
    page.get_by_role("button", name="核验").click()
    expect(error_for(page, "code")).to_have_text("请输入核验码")
    labelled(page, "核验码").fill("NO-SUCH-CODE")
    page.get_by_role("button", name="核验").click()
    expect(page.get_by_role("heading", name="核验未通过")).to_be_visible()
    expect(page).to_have_url(page.url.split("/verify")[0] + "/verify/licence?code=NO-SUCH-CODE")
    check_page(page, "verify-licence-bad")
    open_page(page, "/verify/notice/no-such-document?code=ABCD2345")
    expect(page.get_by_role("heading", name="核验未通过")).to_be_visible()

    # 找回密码 by SMS: the code sent, a new password set, the old one refused.
    citizen = forgetful
    open_page(page, "/forgot")
    check_page(page, "forgot")
    labelled(page, "手机号").fill(citizen.mobile)
    send = page.get_by_role("button", name="获取验证码")
    sent = page.get_by_text("验证码已发送至")

    # Until a minute has passed since registering, the page says when to ask again.
    def code_sent() -> bool:
        if sent.count():
            return True
        if send.is_enabled():
            send.click()
        return False

    wait_until_sync(code_sent, 90, interval=1, what="the reset code sent")
    labelled(page, "短信验证码").fill(sms_code(e2e, citizen.mobile, "reset_password"))
    labelled(page, "新密码").fill("Xiling-New-2027")
    labelled(page, "确认新密码").fill("Xiling-New-2028")
    page.get_by_role("button", name="重置密码").click()
    expect(error_for(page, "password_again")).to_have_text("两次输入的密码不一致")
    labelled(page, "确认新密码").fill("Xiling-New-2027")
    page.get_by_role("button", name="重置密码").click()
    expect(page.get_by_text("密码已重置")).to_be_visible()
    check_page(page, "forgot-done")
    assert tokens(api, citizen, "Xiling-New-2027")["account"]["kind"] == "person"
    refused = api.post(
        "/api/v1/auth/login", json={"method": "password", "login_name": citizen.mobile, "password": PASSWORD}
    )
    assert refused.status_code in (400, 401), refused.text
