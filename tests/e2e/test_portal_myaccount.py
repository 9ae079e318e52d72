"""我的空间's account pages in a real browser: a newly registered citizen verifies their real name
and changes their password with an SMS code, then signs in with the new one; delivery addresses
are added, edited and deleted; the cloud drive gets a folder, a PDF and a PNG, a rename, a move,
a download and a delete; favourites and error reports are listed; a level-C licence is added
and granted to one of the citizen's cases; an enterprise is registered, an agent authorised and
the portal acts for the enterprise. Each page accessible and fitting a phone and a desktop; the
results checked through the API."""

from __future__ import annotations

import json
import re
import uuid
from typing import Any

import httpx
import pytest
from playwright.sync_api import Locator, Page, expect

from govhall.kit.testing import wait_until_sync

from .browser import check_page, open_page, sign_in_as
from .conftest import ADMIN, DEPT, SITE
from .test_cases_journey import PNG, ok, pdf, publish_matter
from .test_consult_reports_journey import site_admin
from .test_identity_journey import (
    PASSWORD,
    Person,
    bearer,
    login,
    masked,
    new_credit_code,
    new_id_number,
    new_mobile,
    register_and_verify,
    sms_code,
)
from .test_licences_journey import ISSUER_CODE, draft_case, publish_reuse_matter

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

NEW_PASSWORD = "Xiling-2027!"


@pytest.fixture(scope="module")
def citizen(api: httpx.Client, e2e: Any) -> Person:
    return register_and_verify(api, e2e, "王晓明")


def signed_in(page: Page, api: httpx.Client, person: Person) -> dict[str, str]:
    """Sign the page in as the person; their bearer header for the API."""
    tokens = login(api, person)
    sign_in_as(page, tokens)
    return bearer(tokens["access_token"])


@pytest.fixture(scope="module")
def newcomer(api: httpx.Client, e2e: Any) -> Person:
    """A person who has registered but not yet verified their real name."""
    return register_unverified(api, e2e)


def register_unverified(api: httpx.Client, e2e: Any) -> Person:
    """A person who has registered but not yet verified their real name."""
    person = Person(new_mobile(), "郑新民", new_id_number())
    ok(api.post("/api/v1/auth/sms-codes", json={"mobile": person.mobile, "purpose": "register"}))
    body = {
        "mobile": person.mobile,
        "sms_code": sms_code(e2e, person.mobile, "register"),
        "password": PASSWORD,
    }
    ok(api.post("/api/v1/auth/register", json=body), 201)
    return person


def test_real_name_verification_and_username(
    desktop: Page, phone: Page, api: httpx.Client, newcomer: Person, citizen: Person
) -> None:
    person = newcomer
    me = signed_in(desktop, api, person)
    open_page(desktop, "/me/security?welcome=1")
    expect(desktop.get_by_role("status").filter(has_text="建议您先完成实名认证")).to_be_visible()
    id_input = desktop.get_by_label("居民身份证号码")
    expect(id_input).to_have_attribute("type", "text")
    expect(id_input).to_have_attribute("autocomplete", "off")
    expect(id_input).to_have_attribute("inputmode", "text")
    check_page(desktop, "security-unverified")

    # 实名认证: the answer shows the number masked, never in full.
    desktop.get_by_role("textbox", name="姓名", exact=True).fill(person.name)
    id_input.fill(person.id_number)
    desktop.get_by_role("button", name="提交实名认证").click()
    shown = f"{person.id_number[:4]}**********{person.id_number[-4:]}"
    expect(desktop.get_by_role("status").filter(has_text="实名认证成功")).to_contain_text(shown)
    assert person.id_number not in desktop.content()
    account = ok(api.get("/api/v1/me", headers=me))
    assert (account["real_name_level"], account["name"]) == ("real_name", person.name)
    expect(desktop.get_by_role("heading", name="实名认证")).to_have_count(0)
    check_page(desktop, "security-verified")

    # The verified account's page on a phone: a username set, the mobile form there.
    signed_in(phone, api, citizen)
    open_page(phone, "/me/security")
    expect(phone.get_by_role("heading", name="更换手机号")).to_be_visible()
    username = f"wx{uuid.uuid4().hex[:8]}"
    phone.get_by_role("textbox", name="用户名", exact=True).fill(username)
    phone.get_by_role("button", name="设置用户名").click()
    expect(phone.get_by_role("status").filter(has_text="用户名已设置")).to_contain_text(username)
    assert ok(api.get("/api/v1/me", headers=bearer(citizen.access_token)))["username"] == username
    check_page(phone, "security")


def test_addresses_add_edit_delete(desktop: Page, phone: Page, api: httpx.Client, citizen: Person) -> None:
    me = signed_in(desktop, api, citizen)
    open_page(desktop, "/me/addresses")
    check_page(desktop, "addresses-empty")
    desktop.get_by_role("textbox", name="收件人", exact=True).fill("王晓明")
    desktop.get_by_label("收件人手机号").fill("13912345678")
    desktop.get_by_label("所在市").select_option(label="宜昌市")
    desktop.get_by_label("所在区县").select_option(label="西陵区")
    desktop.get_by_label("详细地址").fill("东湖大道3号2栋101")
    desktop.get_by_label("邮政编码").fill("443000")
    desktop.get_by_role("button", name="添加地址").click()
    expect(desktop.get_by_role("status").filter(has_text="地址已添加")).to_be_visible()
    [address] = ok(api.get("/api/v1/me/addresses", headers=me))
    assert (address["county_code"], address["detail"], address["mobile"]) == (
        "420502",
        "东湖大道3号2栋101",
        "139****5678",
    )
    expect(desktop.locator("main")).to_contain_text("139****5678")
    assert "13912345678" not in desktop.locator("main").inner_text()
    check_page(desktop, "addresses")

    desktop.get_by_role("button", name="编辑 王晓明 的地址").click()
    expect(desktop.get_by_role("heading", name="编辑地址")).to_be_visible()
    expect(desktop.get_by_label("所在区县")).to_have_value("420502")
    desktop.get_by_label("详细地址").fill("夷陵大道58号")
    desktop.get_by_label("收件人手机号").fill("13912345678")
    desktop.get_by_label("设为默认地址").check()
    desktop.get_by_role("button", name="保存地址").click()
    expect(desktop.get_by_role("status").filter(has_text="地址已保存")).to_be_visible()
    [edited] = ok(api.get("/api/v1/me/addresses", headers=me))
    assert (edited["id"], edited["detail"], edited["is_default"]) == (address["id"], "夷陵大道58号", True)
    expect(desktop.locator("main")).to_contain_text("默认地址")

    signed_in(phone, api, citizen)
    open_page(phone, "/me/addresses")
    check_page(phone, "addresses")

    desktop.get_by_role("button", name="删除 王晓明 的地址").click()
    desktop.get_by_role("dialog", name="删除地址").get_by_role("button", name="确认删除").click()
    expect(desktop.get_by_role("status").filter(has_text="地址已删除")).to_be_visible()
    assert ok(api.get("/api/v1/me/addresses", headers=me)) == []


def test_drive_folder_upload_rename_move_download_delete(
    desktop: Page, phone: Page, api: httpx.Client, e2e: Any
) -> None:
    person = register_and_verify(api, e2e, "周云盘")
    me = signed_in(desktop, api, person)
    open_page(desktop, "/me/drive")
    expect(desktop.get_by_text("此文件夹为空")).to_be_visible()
    expect(desktop.get_by_label("云盘空间：")).to_be_visible()
    check_page(desktop, "drive-empty")

    desktop.get_by_role("button", name="新建文件夹").click()
    dialog = desktop.get_by_role("dialog", name="新建文件夹")
    dialog.get_by_label("文件夹名称").fill("证件")
    dialog.get_by_role("button", name="创建").click()
    expect(desktop.get_by_role("link", name="证件")).to_be_visible()

    content = pdf("营业场所租赁合同")
    for name, mime, data in (("合同.pdf", "application/pdf", content), ("照片.png", "image/png", PNG)):
        desktop.get_by_label("上传文件").set_input_files({"name": name, "mimeType": mime, "buffer": data})
        desktop.get_by_role("button", name="上传", exact=True).click()
        expect(desktop.get_by_role("status").filter(has_text=f"已上传“{name}”")).to_be_visible()
    root = ok(api.get("/api/v1/me/drive", headers=me))
    assert sorted(i["name"] for i in root["items"]) == ["合同.pdf", "照片.png", "证件"]
    assert int(root["usage"]["used_bytes"]) == len(content) + len(PNG)
    expect(desktop.locator("main")).to_contain_text("已用")

    desktop.get_by_role("button", name="重命名 合同.pdf").click()
    dialog = desktop.get_by_role("dialog", name="重命名“合同.pdf”")
    dialog.get_by_label("新名称").fill("租赁合同.pdf")
    dialog.get_by_role("button", name="保存").click()
    expect(desktop.get_by_role("cell", name="租赁合同.pdf", exact=True)).to_be_visible()
    with desktop.expect_download() as got:
        desktop.get_by_role("button", name="下载 租赁合同.pdf").click()
    assert got.value.suggested_filename == "租赁合同.pdf"
    assert open(got.value.path(), "rb").read() == content

    desktop.get_by_role("button", name="移动 照片.png").click()
    dialog = desktop.get_by_role("dialog", name="移动“照片.png”")
    dialog.get_by_label("移动到").select_option(label="证件")
    dialog.get_by_role("button", name="移动").click()
    expect(desktop.get_by_role("status").filter(has_text="已移动")).to_be_visible()
    folder = next(i for i in root["items"] if i["name"] == "证件")
    inside = ok(api.get("/api/v1/me/drive", params={"folder": folder["id"]}, headers=me))
    assert [i["name"] for i in inside["items"]] == ["照片.png"]

    desktop.get_by_role("link", name="证件").click()
    expect(desktop.get_by_role("navigation", name="当前位置")).to_contain_text("证件")
    expect(desktop.get_by_role("cell", name="照片.png", exact=True)).to_be_visible()
    check_page(desktop, "drive-folder")
    desktop.get_by_role("button", name="删除 照片.png").click()
    desktop.get_by_role("dialog", name="确认删除").get_by_role("button", name="确认删除").click()
    expect(desktop.get_by_text("此文件夹为空")).to_be_visible()
    assert ok(api.get("/api/v1/me/drive", params={"folder": folder["id"]}, headers=me))["items"] == []
    assert int(ok(api.get("/api/v1/me/drive", headers=me))["usage"]["used_bytes"]) == len(content)

    signed_in(phone, api, person)
    open_page(phone, "/me/drive")
    expect(phone.get_by_role("cell", name="租赁合同.pdf", exact=True)).to_be_visible()
    check_page(phone, "drive")


def test_favourites_and_error_reports(desktop: Page, phone: Page, api: httpx.Client, citizen: Person) -> None:
    matter = publish_matter(api)
    me = signed_in(desktop, api, citizen)
    ok(api.put(f"/api/v1/me/favourites/{SITE}/{matter}", headers=me))
    filed = ok(
        api.post(
            f"/api/v1/sites/{SITE}/matters/{matter}/error-reports",
            json={"element": "fees", "content": "收费标准已取消，指南仍写收费"},
            headers=me,
        ),
        201,
    )
    ok(
        api.post(
            f"/api/v1/staff/error-reports/{filed['id']}/accept",
            json={"answer": "已改为不收费", "revision": filed["revision"]},
            headers=site_admin(api),
        )
    )

    open_page(desktop, "/me/error-reports")
    expect(desktop.locator("main")).to_contain_text("收费标准已取消，指南仍写收费")
    expect(desktop.locator("main")).to_contain_text("已采纳")
    expect(desktop.locator("main")).to_contain_text("已改为不收费")
    check_page(desktop, "error-reports")

    open_page(desktop, "/me/favourites")
    guide = desktop.get_by_role("link", name="食品经营许可（新办）")
    expect(guide).to_have_attribute("href", f"/guide/{SITE}/{matter}")
    expect(desktop.locator("main")).to_contain_text("可办理")
    check_page(desktop, "favourites")

    signed_in(phone, api, citizen)
    for path in ("/me/favourites", "/me/error-reports"):
        open_page(phone, path)
        check_page(phone, path.rsplit("/", 1)[-1])

    desktop.get_by_role("button", name="取消收藏 食品经营许可（新办）").click()
    expect(desktop.get_by_text("您还没有收藏事项")).to_be_visible()
    assert ok(api.get("/api/v1/me/favourites", headers=me))["items"] == []


def keepable_type(api: httpx.Client) -> str:
    """A licence type holders may keep their own of (level C), with two fields of its own."""
    code = f"JK{uuid.uuid4().hex[:10].upper()}"
    body = {
        "code": code,
        "name": "健康证明",
        "issuer_department_code": DEPT,
        "issuer_name": "西陵区市场监督管理局",
        "issuer_code": ISSUER_CODE,
        "holder_kind": "person",
        "validity_years": 1,
        "holder_maintained": True,
        "fields": [
            {"key": "hospital", "label": "体检机构", "required": True},
            {"key": "job", "label": "从业岗位", "required": False},
        ],
    }
    ok(api.post("/api/v1/admin/licence-types", json=body, headers=ADMIN), 201)
    return code


def test_licence_of_my_own_added_edited_and_granted(
    desktop: Page, phone: Page, api: httpx.Client, e2e: Any
) -> None:
    person = register_and_verify(api, e2e, "吴证照")
    me = signed_in(desktop, api, person)
    kind = keepable_type(api)
    case = draft_case(api, person.access_token, publish_reuse_matter(api, kind))

    open_page(desktop, "/me/licences")
    expect(desktop.get_by_text("您的证照库暂无证照")).to_be_visible()
    desktop.get_by_label("证照类型").select_option(kind)
    desktop.get_by_label("体检机构").fill("宜昌市第一人民医院")
    desktop.get_by_label("证照编号").fill("JK-2026-0001")
    desktop.get_by_label("发证日期").fill("2026-01-05")
    desktop.get_by_label("证照扫描件或照片").set_input_files(
        {"name": "健康证明.png", "mimeType": "image/png", "buffer": PNG}
    )
    check_page(desktop, "licences-add")
    desktop.get_by_role("button", name="保存证照").click()
    expect(desktop.get_by_role("status").filter(has_text="证照已保存")).to_be_visible()
    [licence] = ok(api.get("/api/v1/me/licences", headers=me))["items"]
    assert (licence["level"], licence["type_code"], licence["number"]) == ("C", kind, "JK-2026-0001")
    assert licence["metadata"] == {"hospital": "宜昌市第一人民医院"}
    expect(desktop).to_have_url(re.compile(f"/me/licences/{licence['id']}\\?added=1$"))
    expect(desktop.locator("main")).to_contain_text("体检机构")
    check_page(desktop, "licence")

    # Edit it (under its revision).
    desktop.get_by_role("button", name="编辑证照").click()
    dialog = desktop.get_by_role("dialog", name="编辑证照")
    dialog.get_by_label("从业岗位").fill("餐饮服务")
    dialog.get_by_role("button", name="保存修改").click()
    expect(desktop.locator("main")).to_contain_text("餐饮服务")
    edited = ok(api.get(f"/api/v1/me/licences/{licence['id']}", headers=me))
    assert edited["metadata"] == {"hospital": "宜昌市第一人民医院", "job": "餐饮服务"}

    # 用证授权: to the draft case whose material M02 takes a licence of this type.
    desktop.get_by_label("选择办件").select_option(case["id"])
    expect(desktop.get_by_label("作为哪项材料")).to_have_value("M02")
    desktop.get_by_label("用途").fill("健康证明用于办件")
    desktop.get_by_role("button", name="确认授权").click()
    grants_table = desktop.get_by_role("region", name="授权记录")
    expect(grants_table).to_contain_text("健康证明用于办件")
    expect(grants_table).to_contain_text("有效")
    [grant] = ok(api.get(f"/api/v1/me/licences/{licence['id']}/grants", headers=me))["items"]
    assert (grant["case_id"], grant["material_code"], grant["state"]) == (case["id"], "M02", "active")
    shown = ok(api.get(f"/api/v1/cases/{case['id']}", headers=me))
    [m02] = [m for m in shown["materials"] if m["code"] == "M02"]
    assert m02["licence"]["licence_id"] == licence["id"]
    check_page(desktop, "licence-granted")

    open_page(desktop, "/me/licences?level=C")
    expect(desktop.get_by_role("link", name="健康证明")).to_be_visible()
    check_page(desktop, "licences")
    signed_in(phone, api, person)
    open_page(phone, "/me/licences")
    check_page(phone, "licences")
    open_page(phone, f"/me/licences/{licence['id']}")
    check_page(phone, "licence")

    # While the grant lives the licence cannot be deleted: the page says why.
    desktop.goto(f"/me/licences/{licence['id']}")
    desktop.get_by_role("button", name="删除证照").click()
    desktop.get_by_role("dialog", name="删除证照").get_by_role("button", name="确认删除").click()
    expect(desktop.get_by_role("alert")).to_contain_text("该证照正授权给办件使用，请先撤销授权后再删除")
    assert ok(api.get(f"/api/v1/me/licences/{licence['id']}", headers=me))["id"] == licence["id"]

    # Revoke the grant; then the licence (with its revoked grant) is deleted.
    desktop.get_by_role("button", name="撤销授权 健康证明用于办件").click()
    expect(desktop.get_by_role("region", name="授权记录")).to_contain_text("已撤销")
    [revoked] = ok(api.get(f"/api/v1/me/licences/{licence['id']}/grants", headers=me))["items"]
    assert revoked["state"] == "revoked"
    desktop.get_by_role("button", name="删除证照").click()
    desktop.get_by_role("dialog", name="删除证照").get_by_role("button", name="确认删除").click()
    expect(desktop).to_have_url(re.compile(r"/me/licences$"))
    assert ok(api.get("/api/v1/me/licences", headers=me))["items"] == []


def test_enterprise_registered_agent_authorised_and_acted_for(
    desktop: Page, phone: Page, api: httpx.Client, e2e: Any
) -> None:
    rep = register_and_verify(api, e2e, "张建国")
    agent = register_and_verify(api, e2e, "李秀英")
    me = signed_in(desktop, api, rep)
    open_page(desktop, "/me/enterprises")
    check_page(desktop, "enterprises-empty")

    credit_code = new_credit_code()
    desktop.get_by_label("统一社会信用代码").fill(credit_code)
    desktop.get_by_label("单位名称").fill("宜昌市西陵区三峡食品有限公司")
    desktop.get_by_label("法人账号密码").fill("Xiling-Food-88")
    desktop.get_by_label("确认密码").fill("Xiling-Food-88")
    desktop.get_by_role("button", name="注册法人").click()
    expect(desktop.get_by_role("status").filter(has_text="注册成功")).to_be_visible()
    [enterprise] = ok(api.get("/api/v1/me/enterprises", headers=me))
    assert (enterprise["credit_code"], enterprise["relation"]) == (credit_code, "representative")

    desktop.get_by_text("新增经办人授权").click()
    desktop.get_by_label("经办人姓名").fill(agent.name)
    desktop.get_by_label("经办人身份证号").fill(agent.id_number)
    desktop.get_by_label("预约办事").check()
    desktop.get_by_role("button", name="授权经办人").click()
    agents = desktop.get_by_role("region", name="宜昌市西陵区三峡食品有限公司的经办人")
    expect(agents).to_contain_text(agent.name)
    expect(agents).to_contain_text(masked(agent.mobile))
    assert agent.id_number not in desktop.content()
    [grant] = ok(api.get(f"/api/v1/enterprises/{enterprise['id']}/agents", headers=me))
    assert grant["status"] == "active" and grant["agent_name"] == agent.name
    assert sorted(grant["scopes"]) == ["appointments.book", "cases.apply", "cases.view"]
    check_page(desktop, "enterprises")

    # The agent sees the enterprise (on a phone) and acts for it.
    signed_in(phone, api, agent)
    open_page(phone, "/me/enterprises")
    expect(phone.locator("main")).to_contain_text("宜昌市西陵区三峡食品有限公司")
    expect(phone.locator("main")).to_contain_text("经办人")
    check_page(phone, "enterprises-agent")
    phone.get_by_role("button", name="以企业身份办事：宜昌市西陵区三峡食品有限公司").click()
    expect(phone.get_by_role("heading", name="正在以企业身份办事")).to_be_visible()
    expect(phone.locator("header")).to_contain_text("您好，宜昌市西陵区三峡食品有限公司")
    acting = json.loads(phone.evaluate("() => sessionStorage.getItem('govhall.session')"))
    assert (acting["account"]["kind"], acting["account"]["id"]) == ("legal_person", enterprise["id"])
    reply = api.get(f"/api/v1/enterprises/{enterprise['id']}", headers=bearer(acting["access_token"]))
    assert reply.status_code == 200 and reply.json()["relation"] == "agent", reply.text
    check_page(phone, "enterprises-acting")
    phone.get_by_role("button", name="切换回个人身份").click()
    expect(phone.get_by_role("status").filter(has_text="已切换回个人身份")).to_be_visible()
    expect(phone.locator("header")).to_contain_text(f"您好，{agent.name}")

    # The representative revokes the authorisation.
    desktop.get_by_role("button", name=f"撤销 {agent.name} 的授权").click()
    desktop.get_by_role("dialog", name="撤销授权").get_by_role("button", name="确认撤销").click()
    expect(agents).to_contain_text("已撤销")
    [revoked] = ok(api.get(f"/api/v1/enterprises/{enterprise['id']}/agents", headers=me))
    assert revoked["status"] == "revoked"


def ask_for_code(form: Locator) -> None:
    """Click 获取验证码 until a code is sent: identity sends a number one code a minute, and the
    newcomer's number had its registration code when the module began."""
    status = form.get_by_role("status")

    def sent() -> bool:
        status.evaluate("(e) => { e.textContent = ''; }")
        form.get_by_role("button", name="获取验证码").click()
        expect(status).not_to_be_empty()
        return "验证码已发送至" in status.inner_text()

    wait_until_sync(sent, 90, interval=2, what="an SMS code sent")


# Last in the module, so that the newcomer's number is most likely free for another code.
def test_password_change_with_sms_code_then_sign_in_again(
    desktop: Page, api: httpx.Client, e2e: Any, newcomer: Person
) -> None:
    person = newcomer
    me = signed_in(desktop, api, person)
    open_page(desktop, "/me/security")
    # 修改密码 with an SMS code to the bound number: every session ends, sign in again.
    desktop.get_by_label("当前密码").fill(PASSWORD)
    desktop.get_by_label(re.compile(r"^新密码")).fill(NEW_PASSWORD)
    desktop.get_by_label("确认新密码").fill(NEW_PASSWORD)
    password_form = desktop.locator("form").filter(has=desktop.get_by_label("当前密码"))
    ask_for_code(password_form)
    expect(password_form.get_by_role("status")).to_contain_text(f"验证码已发送至 {masked(person.mobile)}")
    password_form.get_by_label("短信验证码").fill(sms_code(e2e, person.mobile, "change_password"))
    password_form.get_by_role("button", name="确认修改密码").click()
    expect(desktop).to_have_url(re.compile(r"/login\?notice=password_changed$"))
    expect(desktop.get_by_role("status").filter(has_text="密码已修改")).to_be_visible()
    assert desktop.evaluate("() => sessionStorage.getItem('govhall.session')") is None
    assert api.get("/api/v1/me", headers=me).status_code == 401
    old = {"method": "password", "login_name": person.mobile, "password": PASSWORD}
    assert api.post("/api/v1/auth/login", json=old).status_code == 401
    desktop.get_by_label("手机号、身份证号或用户名").fill(person.mobile)
    desktop.get_by_label(re.compile(r"^密码")).fill(NEW_PASSWORD)
    desktop.get_by_role("button", name="登录").click()
    expect(desktop).to_have_url(re.compile(r"/me$"))
    expect(desktop.locator("header")).to_contain_text(f"您好，{person.name}")
