"""`make up` (deploy/local/services.sh) hands the services the QR codes' portal pages under the
public URL, which follows the gateway's port: what `services.sh urls` prints is what `up` exports
(no service is started here; the QR codes themselves are read in tests/e2e/test_portal_qr.py,
on a cluster of separate processes as `make up` runs them)."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TEMPLATES = (
    "GOVHALL_CATALOGUE_GUIDE_URL_TEMPLATE",
    "GOVHALL_CASES_VERIFY_URL_TEMPLATE",
    "GOVHALL_LICENCES_VERIFY_URL_TEMPLATE",
)


def urls(**settings: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "GOVHALL_PUBLIC_URL" and k not in TEMPLATES}
    env.pop("GOVHALL_GATEWAY_PORT", None)
    env.update(settings)
    proc = subprocess.run(
        ["bash", "deploy/local/services.sh", "urls"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert proc.returncode == 0, proc.stderr
    return dict(line.split("=", 1) for line in proc.stdout.splitlines())


def test_the_qr_codes_name_the_gateways_own_port() -> None:
    assert urls() == {
        "GOVHALL_PUBLIC_URL": "http://127.0.0.1:8000",
        "GOVHALL_CATALOGUE_GUIDE_URL_TEMPLATE": "http://127.0.0.1:8000/guide/{site_code}/{code}",
        "GOVHALL_CASES_VERIFY_URL_TEMPLATE": "http://127.0.0.1:8000/verify/notice/{document_id}?code={code}",
        "GOVHALL_LICENCES_VERIFY_URL_TEMPLATE": "http://127.0.0.1:8000/verify/licence?code={code}",
    }
    # A second instance beside it (the README's 220000 on 8001) names 8001.
    assert set(urls(GOVHALL_GATEWAY_PORT="8001").values()) == {
        "http://127.0.0.1:8001",
        "http://127.0.0.1:8001/guide/{site_code}/{code}",
        "http://127.0.0.1:8001/verify/notice/{document_id}?code={code}",
        "http://127.0.0.1:8001/verify/licence?code={code}",
    }


def test_a_public_url_or_one_template_of_its_own_wins() -> None:
    own = "https://verify.example.gov.cn/notice/{document_id}?code={code}"
    found = urls(
        GOVHALL_GATEWAY_PORT="8001",
        GOVHALL_PUBLIC_URL="https://zwfw.example.gov.cn/",
        GOVHALL_CASES_VERIFY_URL_TEMPLATE=own,
    )
    assert found == {
        "GOVHALL_PUBLIC_URL": "https://zwfw.example.gov.cn",
        "GOVHALL_CATALOGUE_GUIDE_URL_TEMPLATE": "https://zwfw.example.gov.cn/guide/{site_code}/{code}",
        "GOVHALL_CASES_VERIFY_URL_TEMPLATE": own,
        "GOVHALL_LICENCES_VERIFY_URL_TEMPLATE": "https://zwfw.example.gov.cn/verify/licence?code={code}",
    }
