"""`make run` is a real mode: start all-in-one as a newcomer would and use it through the gateway."""

from __future__ import annotations

import importlib.util
import json
import os
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType
from urllib.parse import parse_qs, quote, urlsplit

import httpx
import pytest

from govhall.allinone.stack import portal_pages
from govhall.identity.demo import DEMO_CITIZEN_MOBILE, DEMO_PASSWORD
from govhall.kit.testing import wait_until_sync

from .conftest import allinone_process, free_port


@pytest.fixture(scope="module")
def allinone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    var = tmp_path_factory.mktemp("allinone") / "var"
    # Metrics on their own port (the API's /metrics is gone); its number is left in var/ for the test.
    metrics_port = str(free_port())
    var.mkdir(parents=True, exist_ok=True)
    (var.parent / "metrics-port").write_text(metrics_port)
    with allinone_process(var, 180, GOVHALL_GATEWAY_METRICS_PORT=metrics_port) as url:
        yield url, var


def test_demo_province_is_searchable(allinone: tuple[str, Path]) -> None:
    url, _ = allinone

    def found() -> httpx.Response | None:
        reply = httpx.get(f"{url}/api/v1/sites/420502/search", params={"q": "营业执照"}, timeout=10)
        assert reply.status_code == 200, reply.text
        return reply if reply.json()["items"] else None

    # The demo's matters reach search by events, which may still be arriving when it is ready.
    wait_until_sync(found, 60, what="the demo's matters indexed")


def test_the_demo_guides_blank_forms_and_samples_download(allinone: tuple[str, Path]) -> None:
    url, _ = allinone
    guide = httpx.get(f"{url}/api/v1/sites/420102/matters/420102-XZSPJ-0002", timeout=10)
    assert guide.status_code == 200, guide.text
    [form] = [m for m in guide.json()["materials"] if m["name"] == "食品经营许可申请书"]
    for link, name in (
        (form["template_file"], "食品经营许可申请书（空白表格）.pdf"),
        (form["sample_file"], "食品经营许可申请书（示例样表）.pdf"),
    ):
        # Uploaded once to the province's site by the demo loader, for every site's guides.
        assert link.startswith("/api/v1/sites/420000/files/"), link
        got = httpx.get(url + link, timeout=10)
        assert got.status_code == 200 and got.headers["content-type"] == "application/pdf"
        assert got.content.startswith(b"%PDF-") and quote(name) in got.headers["content-disposition"]


def test_demo_public_answers_and_the_demo_clerks_letter_queue(allinone: tuple[str, Path]) -> None:
    url, _ = allinone
    answers = httpx.get(f"{url}/api/v1/sites/420502/consultations", timeout=10)
    assert answers.status_code == 200, answers.text
    assert answers.json()["items"] and all(x["answer"] for x in answers.json()["items"])
    login = {"method": "staff", "username": "xl_clerk", "password": DEMO_PASSWORD}
    token = httpx.post(f"{url}/api/v1/auth/login", json=login, timeout=10).json()["access_token"]
    queue = httpx.get(
        f"{url}/api/v1/staff/consultations", headers={"Authorization": f"Bearer {token}"}, timeout=10
    )
    assert queue.status_code == 200 and len(queue.json()["items"]) == 1, queue.text


def test_a_newcomer_registers_with_the_dev_sms_file_and_staff_log_in(allinone: tuple[str, Path]) -> None:
    url, var = allinone
    mobile = "13712345678"
    sent = httpx.post(
        f"{url}/api/v1/auth/sms-codes", json={"mobile": mobile, "purpose": "register"}, timeout=10
    )
    assert sent.status_code == 200, sent.text
    lines = [json.loads(line) for line in (var / "dev-sms.jsonl").read_text(encoding="utf-8").splitlines()]
    code = [m["code"] for m in lines if m["mobile"] == mobile][-1]
    body = {"mobile": mobile, "sms_code": code, "password": "Newcomer-2026"}
    assert httpx.post(f"{url}/api/v1/auth/register", json=body, timeout=10).status_code == 201
    login = {"method": "password", "login_name": mobile, "password": "Newcomer-2026"}
    token = httpx.post(f"{url}/api/v1/auth/login", json=login, timeout=10).json()["access_token"]
    me = httpx.get(f"{url}/api/v1/me", headers={"Authorization": f"Bearer {token}"}, timeout=10)
    assert me.status_code == 200 and me.json()["mobile_masked"] == "137****5678"

    staff = {"method": "staff", "username": "hb_admin", "password": DEMO_PASSWORD}
    reply = httpx.post(f"{url}/api/v1/auth/login", json=staff, timeout=10)
    assert reply.status_code == 200, reply.text
    # The province's administrator may edit the catalogue with a real token.
    headers = {"Authorization": f"Bearer {reply.json()['access_token']}"}
    dept = httpx.put(
        f"{url}/api/v1/admin/sites/420000/departments/420000-DEMO",
        json={"name": "演示部门"},
        headers=headers,
        timeout=10,
    )
    assert dept.status_code == 200, dept.text


def test_metrics_are_served_apart_from_the_api(allinone: tuple[str, Path]) -> None:
    url, var = allinone
    assert httpx.get(f"{url}/api/v1/sites/420000/matters", timeout=10).status_code == 200
    reply = httpx.get(f"{url}/metrics", timeout=10)
    assert reply.status_code == 404 and reply.headers["content-type"] == "application/problem+json"
    port = int((var.parent / "metrics-port").read_text())
    metrics = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    # One process, one registry: the gateway's and the services' series side by side.
    assert (
        'govhall_gateway_request_seconds_count{method="GET",route="/api/v1/sites/{site}/matters"' in metrics
    )
    assert "govhall_grpc_server_handled_total" in metrics


def test_it_made_the_platforms_keys_itself_and_keeps_them_private(allinone: tuple[str, Path]) -> None:
    """No set-up: the first start writes every principal's caller-assertion key under var/trust,
    readable by its own user only; the services verify each other's calls with them."""
    _, var = allinone
    trust = var / "trust"
    assert (trust / "bundle.json").is_file()
    for principal in ("gateway", "identity", "catalogue", "search", "cases", "ops"):
        assert os.stat(trust / f"{principal}.key").st_mode & 0o077 == 0, principal
    assert "private" not in (trust / "bundle.json").read_text()


def _citizen(url: str, var: Path, mobile: str) -> dict[str, str]:
    """A citizen registered with the dev SMS file, signed in."""
    sent = httpx.post(
        f"{url}/api/v1/auth/sms-codes", json={"mobile": mobile, "purpose": "register"}, timeout=10
    )
    assert sent.status_code == 200, sent.text
    lines = [json.loads(line) for line in (var / "dev-sms.jsonl").read_text(encoding="utf-8").splitlines()]
    code = [m["code"] for m in lines if m["mobile"] == mobile][-1]
    body = {"mobile": mobile, "sms_code": code, "password": "Citizen-2026"}
    assert httpx.post(f"{url}/api/v1/auth/register", json=body, timeout=10).status_code == 201
    login = {"method": "password", "login_name": mobile, "password": "Citizen-2026"}
    token = httpx.post(f"{url}/api/v1/auth/login", json=login, timeout=10).json()["access_token"]
    return {"Authorization": f"Bearer {token}"}


def test_the_demo_site_admins_work_the_error_report_queue(allinone: tuple[str, Path]) -> None:
    url, var = allinone
    citizen = _citizen(url, var, "13712345679")
    # A city's matter seen from a county under it: the city's admin (yc_admin) gets the report.
    reported = httpx.post(
        f"{url}/api/v1/sites/420502/matters/420500-STHJJ-0001/error-reports",
        json={"element": "places", "content": "办理地点已搬迁"},
        headers=citizen,
        timeout=10,
    )
    assert reported.status_code == 201, reported.text
    report = reported.json()
    assert report["site_code"] == "420500"

    def admin(username: str) -> dict[str, str]:
        body = {"method": "staff", "username": username, "password": DEMO_PASSWORD}
        reply = httpx.post(f"{url}/api/v1/auth/login", json=body, timeout=10)
        assert reply.status_code == 200, reply.text
        return {"Authorization": f"Bearer {reply.json()['access_token']}"}

    yichang, hubei = admin("yc_admin"), admin("hb_admin")
    queue = httpx.get(f"{url}/api/v1/staff/error-reports", headers=yichang, timeout=10).json()["items"]
    assert [i["id"] for i in queue] == [report["id"]]
    assert httpx.get(f"{url}/api/v1/staff/error-reports", headers=hubei, timeout=10).json()["items"] == []
    decision = {"answer": "已更新办理地点", "revision": report["revision"]}
    accepted = httpx.post(
        f"{url}/api/v1/staff/error-reports/{report['id']}/accept", json=decision, headers=yichang, timeout=10
    )
    assert accepted.status_code == 200, accepted.text
    mine = httpx.get(f"{url}/api/v1/me/error-reports", headers=citizen, timeout=10).json()["items"]
    assert [(i["id"], i["state"], i["answer"]) for i in mine] == [
        (report["id"], "accepted", "已更新办理地点")
    ]


def test_demo_halls_offer_slots_for_the_demo_matters_that_allow_appointments(
    allinone: tuple[str, Path],
) -> None:
    url, _ = allinone
    halls = httpx.get(f"{url}/api/v1/sites/420502/halls", timeout=10).json()["items"]
    assert [h["name"] for h in halls] == ["西陵区政务服务中心"]
    assert any(w["requires_reply"] for w in halls[0]["windows"])  # a reply-first window (Ningxia)
    slots = httpx.get(f"{url}/api/v1/sites/420502/matters/420502-GAFJ-0001/slots", timeout=10)
    assert slots.status_code == 200, slots.text
    assert slots.json()["items"] and all(s["remaining"] == s["capacity"] == 3 for s in slots.json()["items"])


def test_the_demo_citizen_signs_in_and_holds_licences_of_all_three_levels(allinone: tuple[str, Path]) -> None:
    """The demo 证照库 belongs to the demo citizen's own account: signing in with its mobile and
    the demo password lists an issued (A), an imported (B) and a self-kept (C) licence."""
    url, _ = allinone
    login = {"method": "password", "login_name": DEMO_CITIZEN_MOBILE, "password": DEMO_PASSWORD}
    reply = httpx.post(f"{url}/api/v1/auth/login", json=login, timeout=10)
    assert reply.status_code == 200, reply.text
    me = {"Authorization": f"Bearer {reply.json()['access_token']}"}
    listing = httpx.get(f"{url}/api/v1/me/licences", headers=me, timeout=10)
    assert listing.status_code == 200, listing.text
    items = listing.json()["items"]
    assert sorted(i["level"] for i in items) == ["A", "B", "C"], items
    issued = next(i for i in items if i["level"] == "A")
    pdf = httpx.get(f"{url}/api/v1/me/licences/{issued['id']}/file", headers=me, timeout=30)
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")


def _qr() -> ModuleType:
    """tests/e2e/qr.py (reading QR codes as a phone does), by its path: it is no package here."""
    spec = importlib.util.spec_from_file_location(
        "govhall_tests_qr", Path(__file__).parents[3] / "tests/e2e/qr.py"
    )
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _is_the_portal(page: httpx.Response) -> None:
    assert page.status_code == 200, page.text
    assert page.headers["content-type"].startswith("text/html")
    assert '<html lang="zh-CN">' in page.text and "/portal/app.js" in page.text


def test_the_qr_codes_open_the_portal_on_this_all_in_ones_own_port(allinone: tuple[str, Path]) -> None:
    """`make run` on another port (`make run-partner`'s 8001, or this test's free one): a demo
    guide's QR code and the demo citizen's issued licence's name the portal's pages on that port,
    and those pages answer with the portal."""
    url, _ = allinone
    qr = _qr()
    png = httpx.get(f"{url}/api/v1/sites/420502/matters/420502-GAFJ-0001/qrcode.png", timeout=10)
    assert png.status_code == 200, png.text
    guide = qr.decode_qr_png(png.content)
    assert guide == f"{url}/guide/420502/420502-GAFJ-0001"
    _is_the_portal(httpx.get(guide, timeout=10))

    login = {"method": "password", "login_name": DEMO_CITIZEN_MOBILE, "password": DEMO_PASSWORD}
    me = {
        "Authorization": f"Bearer {httpx.post(f'{url}/api/v1/auth/login', json=login, timeout=10).json()['access_token']}"
    }
    items = httpx.get(f"{url}/api/v1/me/licences", headers=me, timeout=10).json()["items"]
    issued = next(i for i in items if i["level"] == "A")
    pdf = httpx.get(f"{url}/api/v1/me/licences/{issued['id']}/file", headers=me, timeout=30)
    verify = qr.decode_pdf_qr(pdf.content)
    assert verify.startswith(f"{url}/verify/licence?code="), verify
    _is_the_portal(httpx.get(verify, timeout=10))
    (code,) = parse_qs(urlsplit(verify).query)["code"]
    check = httpx.get(f"{url}/api/v1/licences/verify", params={"code": code}, timeout=10)
    assert check.status_code == 200 and check.json()["status"] == "valid", check.text


def test_the_qr_templates_follow_the_public_url_or_the_gateways_port() -> None:
    assert portal_pages({}, 8001) == {
        "GOVHALL_CATALOGUE_GUIDE_URL_TEMPLATE": "http://127.0.0.1:8001/guide/{site_code}/{code}",
        "GOVHALL_CASES_VERIFY_URL_TEMPLATE": "http://127.0.0.1:8001/verify/notice/{document_id}?code={code}",
        "GOVHALL_LICENCES_VERIFY_URL_TEMPLATE": "http://127.0.0.1:8001/verify/licence?code={code}",
    }
    own = "https://verify.example.gov.cn/{document_id}/{code}"
    pages = portal_pages(
        {"GOVHALL_PUBLIC_URL": "https://zwfw.hunan.gov.cn/", "GOVHALL_CASES_VERIFY_URL_TEMPLATE": own}, 8001
    )
    assert (
        pages["GOVHALL_CATALOGUE_GUIDE_URL_TEMPLATE"] == "https://zwfw.hunan.gov.cn/guide/{site_code}/{code}"
    )
    assert (
        pages["GOVHALL_LICENCES_VERIFY_URL_TEMPLATE"]
        == "https://zwfw.hunan.gov.cn/verify/licence?code={code}"
    )
    assert pages["GOVHALL_CASES_VERIFY_URL_TEMPLATE"] == own
