"""The QR codes open the portal: a guide's QR (the catalogue's PNG) and an acceptance notice's
(printed in its PDF), read as a phone would read them, name the cluster's own gateway at the
portal's page addresses, and those addresses answer with the portal's shell. Every service its
own process, as `make up` and the chart run them."""

from __future__ import annotations

from urllib.parse import urlsplit

import httpx
import pytest

from .conftest import SITE
from .qr import decode_pdf_qr, decode_qr_png
from .test_cases_journey import act, ok, publish_matter, staff_token, submit_application
from .test_identity_journey import bearer, register_and_verify

pytestmark = [pytest.mark.integration, pytest.mark.e2e]


def opens_the_portal(api: httpx.Client, url: str) -> None:
    """``url`` is on the cluster's gateway and answers with the portal's shell."""
    gateway = urlsplit(str(api.base_url))
    target = urlsplit(url)
    assert (target.scheme, target.netloc) == (gateway.scheme, gateway.netloc), url
    reply = api.get(url)
    assert reply.status_code == 200, f"{url}: {reply.status_code}"
    assert reply.headers["content-type"].startswith("text/html"), url
    assert '<html lang="zh-CN">' in reply.text and "/portal/app.js" in reply.text, url


def test_a_guides_qr_code_opens_its_guide_page(api: httpx.Client) -> None:
    matter = publish_matter(api)
    png = api.get(f"/api/v1/sites/{SITE}/matters/{matter}/qrcode.png")
    assert png.status_code == 200 and png.headers["content-type"] == "image/png", png.text
    url = decode_qr_png(png.content)
    assert url == f"{str(api.base_url).rstrip('/')}/guide/{SITE}/{matter}"
    opens_the_portal(api, url)


def test_an_acceptance_notices_qr_code_opens_its_verification_page(api: httpx.Client, e2e: object) -> None:
    matter = publish_matter(api)
    clerk = staff_token(api, "window_clerk")
    citizen = register_and_verify(api, e2e, "李二维")
    case_id = submit_application(api, citizen, matter, "李记早点", "宜昌市西陵区夷陵大道12号")
    act(api, clerk, case_id, "accept", {"opinion": "材料齐全"})

    me = bearer(citizen.access_token)
    detail = ok(api.get(f"/api/v1/cases/{case_id}", headers=me))
    notice = next(d for d in detail["documents"] if d["kind"] == "acceptance")
    reply = api.get(f"/api/v1/cases/{case_id}/documents/{notice['id']}", headers=me)
    assert reply.status_code == 200 and reply.headers["content-type"] == "application/pdf"

    url = decode_pdf_qr(reply.content)
    gateway = str(api.base_url).rstrip("/")
    assert url == f"{gateway}/verify/notice/{notice['id']}?code={notice['verification_code']}"
    opens_the_portal(api, url)
    # The page's data: the public verification the page asks for says the notice holds.
    check = ok(
        api.get(
            f"/api/v1/cases/documents/{notice['id']}/verify", params={"code": notice["verification_code"]}
        )
    )
    assert check["valid"] is True
