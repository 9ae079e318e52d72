"""The staff workbench in a real browser: a window clerk signs in, finds a submitted case in the
queue, accepts it (受理通知书) and sends another a supplement notice (补正告知); reviewers pass
their steps (and open and close a special procedure) and the approver concludes; a letter is
claimed and replied to; a site admin accepts an error report; supervision shows performance.
Each page is checked at a desktop's and a phone's width; results are asserted through the API."""

from __future__ import annotations

import uuid
from typing import Any

import httpx
import pytest
from playwright.sync_api import Page, expect

from .browser import check_page, open_page, sign_in_as
from .conftest import ADMIN, DEPT, SITE
from .test_cases_journey import act, ok, publish_matter, submit_application
from .test_identity_journey import PASSWORD, bearer, register_and_verify

pytestmark = [pytest.mark.integration, pytest.mark.e2e]

NAMES = {"window_clerk": "刘受理", "reviewer": "陈审核", "approver": "赵审批", "supervisor": "孙督办"}


def staff(api: httpx.Client, *roles: str) -> dict[str, Any]:
    """A staff member of the journeys' department with these roles: their login tokens (with the
    account sign_in_as needs) and their username."""
    username = f"{roles[0][:6]}{uuid.uuid4().hex[:8]}"
    ok(
        api.post(
            "/api/v1/admin/staff",
            json={
                "username": username,
                "name": NAMES.get(roles[0], "周管理"),
                "mobile": f"137{uuid.uuid4().int % 10**8:08d}",
                "password": PASSWORD,
                "site_code": SITE,
                "department_code": DEPT,
                "roles": list(roles),
            },
            headers=ADMIN,
        ),
        201,
    )
    tokens = ok(
        api.post("/api/v1/auth/login", json={"method": "staff", "username": username, "password": PASSWORD})
    )
    return {**tokens, "username": username}


def number_of(api: httpx.Client, token: str, case_id: str) -> str:
    return str(ok(api.get(f"/api/v1/cases/{case_id}", headers=bearer(token)))["application_number"])


def test_a_clerk_signs_in_accepts_a_case_and_asks_for_a_supplement(
    api: httpx.Client, e2e: Any, desktop: Page, phone: Page
) -> None:
    matter = publish_matter(api)
    citizen = register_and_verify(api, e2e, "王小明")
    first = submit_application(api, citizen, matter, "王记小面", "宜昌市西陵区东山大道88号")
    second = submit_application(api, citizen, matter, "李记热干面", "宜昌市西陵区夷陵大道1号")
    third = submit_application(api, citizen, matter, "赵记米粉", "宜昌市西陵区珍珠路3号")
    clerk = staff(api, "window_clerk")
    token = clerk["access_token"]
    number = number_of(api, token, first)

    # Sign in through the staff tab of the login page: the workbench says who I am.
    open_page(desktop, "/login?method=staff")
    desktop.get_by_label("工作人员用户名").fill(clerk["username"])
    desktop.get_by_label("密码").fill(PASSWORD)
    desktop.get_by_role("button", name="登录").click()
    expect(desktop.locator("main h1")).to_have_text("工作台")
    expect(desktop.locator("main")).to_contain_text("窗口受理人员")
    expect(desktop.locator("main")).to_contain_text("西陵区市场监督管理局")
    expect(desktop.locator("main")).to_contain_text("待预审")
    check_page(desktop, "staff-home")

    # The queue lists the submitted case; open it.
    desktop.get_by_role("navigation", name="工作台").get_by_role("link", name="待办办件").click()
    expect(desktop.get_by_role("table", name="待办办件列表")).to_contain_text(number)
    check_page(desktop, "staff-queue")
    desktop.get_by_role("combobox", name="办件状态").select_option("submitted")
    desktop.get_by_role("button", name="筛选").click()
    expect(desktop).to_have_url(f"{desktop.url.split('/staff')[0]}/staff/queue?state=submitted")
    desktop.get_by_role("link", name=f"办理 {number}").click()
    expect(desktop.locator("main")).to_contain_text("王记小面")
    expect(desktop.get_by_role("button", name="下载 申请书.pdf")).to_be_visible()
    check_page(desktop, "staff-case-submitted")

    # 受理: the case is accepted with a case number and a 受理通知书.
    desktop.get_by_role("button", name="受理", exact=True).click()
    dialog = desktop.get_by_role("dialog", name="受理")
    dialog.get_by_label("受理意见").fill("材料齐全，予以受理")
    dialog.get_by_role("button", name="确认受理").click()
    expect(desktop.get_by_role("status").filter(has_text="受理已完成")).to_contain_text("受理通知书")
    expect(desktop.get_by_role("table", name="已生成的文书")).to_contain_text("受理通知书")
    shown = ok(api.get(f"/api/v1/cases/{first}", headers=bearer(token)))
    assert shown["state"] == "accepted" and shown["case_number"]
    assert [d["kind"] for d in shown["documents"]] == ["acceptance"]
    check_page(desktop, "staff-case-accepted")

    # 补正告知 on the other case: nothing filled is refused in Chinese, one item is sent.
    open_page(desktop, f"/staff/cases/{second}")
    desktop.get_by_role("button", name="补正告知").click()
    dialog = desktop.get_by_role("dialog", name="补正告知（一次性告知）")
    dialog.get_by_role("button", name="发送补正告知").click()
    expect(dialog.get_by_role("alert")).to_contain_text("请至少填写一项需要补正的材料或内容")
    dialog.get_by_label("食品经营许可申请书（M01）存在的问题").fill("申请书缺少经营者签字")
    dialog.get_by_label("告知说明").fill("请一次性补正")
    dialog.get_by_role("button", name="发送补正告知").click()
    expect(desktop.get_by_role("status").filter(has_text="补正告知已完成")).to_contain_text("待补正")
    expect(desktop.get_by_role("table", name="需补正的内容")).to_contain_text("申请书缺少经营者签字")
    mine = ok(api.get("/api/v1/me/cases", params={"tab": "supplement"}, headers=bearer(citizen.access_token)))
    assert [c["id"] for c in mine["cases"]] == [second]
    assert mine["cases"][0]["state_zh"] == "待补正"

    # 不予受理 needs a reason, in Chinese.
    open_page(desktop, f"/staff/cases/{third}")
    desktop.get_by_role("button", name="不予受理").click()
    dialog = desktop.get_by_role("dialog", name="不予受理")
    dialog.get_by_role("button", name="确认不予受理").click()
    expect(dialog.get_by_role("alert")).to_contain_text("请填写不予受理理由")
    dialog.get_by_label("不予受理理由").fill("不属于本部门职责范围")
    dialog.get_by_role("button", name="确认不予受理").click()
    expect(desktop.get_by_role("status").filter(has_text="不予受理已完成")).to_contain_text("不予受理通知书")
    refused = ok(api.get(f"/api/v1/cases/{third}", headers=bearer(token)))
    assert refused["state"] == "not_accepted" and refused["result_reason"] == "不属于本部门职责范围"

    # The same pages at a phone's width.
    sign_in_as(phone, clerk)
    for path, name in (
        ("/staff", "staff-home"),
        ("/staff/queue", "staff-queue"),
        (f"/staff/cases/{second}", "staff-case"),
    ):
        open_page(phone, path)
        check_page(phone, name)


def test_reviewers_pass_their_steps_and_the_approver_concludes(
    api: httpx.Client, e2e: Any, desktop: Page, phone: Page
) -> None:
    matter = publish_matter(api)
    citizen = register_and_verify(api, e2e, "张小红")
    case_id = submit_application(api, citizen, matter, "张记豆皮", "宜昌市西陵区解放路9号")
    clerk, reviewer, approver = (staff(api, r) for r in ("window_clerk", "reviewer", "approver"))
    act(api, clerk["access_token"], case_id, "accept", {"opinion": "受理"})
    read = bearer(reviewer["access_token"])

    sign_in_as(desktop, reviewer)
    open_page(desktop, f"/staff/cases/{case_id}")
    expect(desktop.locator("main")).to_contain_text("初审")
    # 特别程序: a wrong length is refused in Chinese; then opened and closed again.
    desktop.get_by_role("button", name="启动特别程序").click()
    dialog = desktop.get_by_role("dialog", name="启动特别程序")
    dialog.get_by_label("特别程序类型").select_option("site_check")
    dialog.get_by_label("启动理由").fill("需要现场核查经营场所")
    dialog.get_by_label("时限（天）").fill("0")
    dialog.get_by_role("button", name="启动特别程序").click()
    expect(dialog.get_by_role("alert")).to_contain_text("时限应为1至365天的整数")
    dialog.get_by_label("时限（天）").fill("5")
    dialog.get_by_role("button", name="启动特别程序").click()
    expect(desktop.get_by_role("status").filter(has_text="启动特别程序已完成")).to_contain_text("特别程序")
    assert ok(api.get(f"/api/v1/cases/{case_id}", headers=read))["state"] == "special_procedure"
    check_page(desktop, "staff-case-special")
    desktop.get_by_role("button", name="结束特别程序").click()
    dialog = desktop.get_by_role("dialog", name="结束特别程序")
    dialog.get_by_label("特别程序结果").fill("现场核查合格")
    dialog.get_by_role("button", name="结束特别程序").click()
    expect(desktop.get_by_role("status").filter(has_text="结束特别程序已完成")).to_be_visible()

    # 初审 and 复审 passed.
    for opinion in ("初审通过", "复审通过"):
        desktop.get_by_role("button", name="审核通过").click()
        dialog = desktop.get_by_role("dialog", name="审核通过")
        dialog.get_by_label("审核意见").fill(opinion)
        dialog.get_by_role("button", name="确认通过").click()
        expect(desktop.get_by_role("table", name="办理过程记录")).to_contain_text(opinion)
    shown = ok(api.get(f"/api/v1/cases/{case_id}", headers=read))
    assert shown["state"] == "under_review"
    assert [s["code"] for s in shown["steps"] if s["current"]] == ["decide"]
    expect(desktop.locator("main")).to_contain_text("不在您的岗位办理范围内")

    # The approver concludes: 准予许可, with its decision document.
    sign_in_as(desktop, approver)
    open_page(desktop, f"/staff/cases/{case_id}")
    desktop.get_by_role("button", name="办结", exact=True).click()
    dialog = desktop.get_by_role("dialog", name="办结")
    dialog.get_by_label("准予许可").check()
    dialog.get_by_label("决定意见").fill("准予许可")
    dialog.get_by_role("button", name="确认办结").click()
    expect(desktop.get_by_role("status").filter(has_text="办结已完成")).to_contain_text("准予许可决定书")
    done = ok(api.get(f"/api/v1/cases/{case_id}", headers=read))
    assert done["state"] == "concluded_approved"
    assert "approval" in [d["kind"] for d in done["documents"]]
    expect(desktop.locator("main")).to_contain_text("无需办理")
    check_page(desktop, "staff-case-concluded")

    sign_in_as(phone, approver)
    open_page(phone, f"/staff/cases/{case_id}")
    check_page(phone, "staff-case-concluded")


def test_a_letter_is_claimed_and_replied_to(api: httpx.Client, e2e: Any, desktop: Page, phone: Page) -> None:
    writer = register_and_verify(api, e2e, "吴咨询")
    who = bearer(writer.access_token)
    title = f"周六办理吗{uuid.uuid4().hex[:4]}"
    body = {
        "site_code": SITE,
        "kind": "consultation",
        "department_code": DEPT,
        "title": title,
        "content": "周六上午办理食品经营许可吗？",
    }
    letter = ok(api.post("/api/v1/consultations", json=body, headers=who), 201)["letter"]
    clerk = staff(api, "window_clerk", "supervisor")

    sign_in_as(desktop, clerk)
    open_page(desktop, "/staff/letters")
    expect(desktop.get_by_role("table", name="来信列表：待处理")).to_contain_text(title)
    check_page(desktop, "staff-letters")
    desktop.get_by_role("link", name=title).click()
    expect(desktop.locator("main")).to_contain_text("周六上午办理食品经营许可吗？")
    check_page(desktop, "staff-letter-pending")
    desktop.get_by_role("button", name="签收").click()
    expect(desktop.get_by_role("status").filter(has_text="签收已完成")).to_contain_text("办理中")
    # 延期申请, and as a supervisor too, its approval.
    desktop.get_by_role("button", name="延期申请").click()
    dialog = desktop.get_by_role("dialog", name="延期申请")
    dialog.get_by_label("延期工作日数").fill("3")
    dialog.get_by_label("延期理由").fill("需要向窗口核实办理时间")
    dialog.get_by_role("button", name="提交延期申请").click()
    expect(desktop.get_by_role("status").filter(has_text="延期申请已完成")).to_be_visible()
    desktop.get_by_role("button", name="延期审批").click()
    dialog = desktop.get_by_role("dialog", name="延期审批")
    dialog.get_by_role("button", name="提交审批").click()
    expect(desktop.get_by_role("status").filter(has_text="延期审批已完成")).to_be_visible()
    expect(desktop.locator("main")).to_contain_text("已同意延期 3 个工作日")
    assert ok(api.get(f"/api/v1/consultations/{letter['id']}", headers=who))["extension_state"] == "approved"
    desktop.get_by_role("button", name="回复", exact=True).click()
    dialog = desktop.get_by_role("dialog", name="回复来信")
    dialog.get_by_role("button", name="发送答复").click()
    expect(dialog.get_by_role("alert")).to_contain_text("请填写答复内容")
    dialog.get_by_label("答复内容").fill("周六上午九点至十二点办理。")
    dialog.get_by_label("公开（来信人同意时可在咨询公开栏目展示）").check()
    dialog.get_by_role("button", name="发送答复").click()
    expect(desktop.get_by_role("status").filter(has_text="回复已完成")).to_contain_text("已答复")
    check_page(desktop, "staff-letter-replied")

    shown = ok(api.get(f"/api/v1/consultations/{letter['id']}", headers=who))
    assert shown["state"] == "replied" and shown["public_reply"] is True
    assert [(m["action"], m["content"]) for m in shown["messages"]][-1] == (
        "reply",
        "周六上午九点至十二点办理。",
    )

    sign_in_as(phone, clerk)
    open_page(phone, "/staff/letters?view=supervised")
    check_page(phone, "staff-letters")
    open_page(phone, f"/staff/letters/{letter['id']}")
    expect(phone.locator("main")).to_contain_text("周六上午九点至十二点办理。")
    check_page(phone, "staff-letter-replied")


def test_supervision_and_an_error_report(api: httpx.Client, e2e: Any, desktop: Page, phone: Page) -> None:
    matter = publish_matter(api)
    citizen = register_and_verify(api, e2e, "钱纠错")
    mine = bearer(citizen.access_token)
    # An accepted case, so that the department has a row of performance whatever ran before.
    case_id = submit_application(api, citizen, matter, "钱记烧饼", "宜昌市西陵区云集路2号")
    act(api, staff(api, "window_clerk")["access_token"], case_id, "accept", {"opinion": "受理"})
    content = f"收费标准写的是旧标准（{uuid.uuid4().hex[:6]}）"
    report = ok(
        api.post(
            f"/api/v1/sites/{SITE}/matters/{matter}/error-reports",
            json={"element": "fees", "content": content},
            headers=mine,
        ),
        201,
    )
    admin = staff(api, "supervisor", "site_admin")

    for page in (desktop, phone):
        sign_in_as(page, admin)
        open_page(page, "/staff/supervision")
        expect(page.get_by_role("table", name="西陵区各部门办理绩效")).to_contain_text("西陵区市场监督管理局")
        check_page(page, "staff-supervision")
        open_page(page, "/staff/error-reports")
        expect(page.locator("main")).to_contain_text(content)
        check_page(page, "staff-error-reports")

    card = desktop.locator("li.card").filter(has_text=content)
    card.get_by_role("button", name=f"采纳：{report['matter_name']}（收费标准）", exact=True).click()
    dialog = desktop.get_by_role("dialog", name="采纳纠错")
    dialog.get_by_label("已更正的内容").fill("已按新标准更正收费标准")
    dialog.get_by_role("button", name="确认采纳").click()
    expect(desktop.get_by_role("status").filter(has_text="已采纳")).to_be_visible()
    decided = ok(api.get("/api/v1/me/error-reports", headers=mine))["items"]
    assert [(r["id"], r["state"], r["answer"]) for r in decided] == [
        (report["id"], "accepted", "已按新标准更正收费标准")
    ]
    open_page(desktop, "/staff/error-reports?state=accepted")
    expect(desktop.locator("li.card").filter(has_text=content)).to_contain_text("已按新标准更正收费标准")
    check_page(desktop, "staff-error-reports-accepted")

    # A supervisor ends the accepted case abnormally (异常办结), with a reason.
    open_page(desktop, f"/staff/cases/{case_id}")
    desktop.get_by_role("button", name="终止办件").click()
    dialog = desktop.get_by_role("dialog", name="终止办件（异常办结）")
    dialog.get_by_role("button", name="确认终止").click()
    expect(dialog.get_by_role("alert")).to_contain_text("请选择办结结果")
    dialog.get_by_label("办结结果").select_option("2")
    dialog.get_by_label("终止理由").fill("申请人重复申报")
    dialog.get_by_role("button", name="确认终止").click()
    expect(desktop.get_by_role("status").filter(has_text="终止已完成")).to_contain_text("异常办结")
    ended = ok(api.get(f"/api/v1/cases/{case_id}", headers=mine))
    assert (ended["state"], ended["result_code"], ended["result_reason"]) == (
        "terminated",
        2,
        "申请人重复申报",
    )
    check_page(desktop, "staff-case-terminated")
