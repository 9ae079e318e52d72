"""Journey: an administrator publishes a matter through the gateway; a county user finds it by a
Chinese query within 2 seconds; it is withdrawn and disappears. Separate processes, real servers."""

from __future__ import annotations

import subprocess
import sys
import threading
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from govhall.kit.testing import wait_until_sync

ADMIN = {"Authorization": "Bearer e2e-admin-token"}
# A region of its own (襄阳市), away from the other journeys' (宜昌市西陵区, whose food licences
# they publish on the same cluster): what a county finds here is only this module's matters.
SITES = [
    ("420000", {"name": "湖北省", "level": "province"}),
    ("420600", {"name": "襄阳市", "level": "city", "parent_code": "420000"}),
    ("420602", {"name": "襄城区", "level": "county", "parent_code": "420600"}),
    ("420100", {"name": "武汉市", "level": "city", "parent_code": "420000"}),
]


@pytest.fixture(scope="module")
def api(e2e: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=e2e.gateway_url, timeout=10) as client:
        for code, body in SITES:
            client.put(f"/api/v1/admin/sites/{code}", json=body, headers=ADMIN).raise_for_status()
        client.put(
            "/api/v1/admin/sites/420600/departments/420600-SCJG",
            json={"name": "襄阳市市场监督管理局"},
            headers=ADMIN,
        ).raise_for_status()
        yield client


def matter(code: str, name: str) -> dict[str, Any]:
    return {
        "code": code,
        "name": name,
        "department_code": "420600-SCJG",
        "audiences": ["legal_person"],
        "type": "licensing",
        "handling_type": "promised",
        "promised_limit": {"value": 10},
        "legal_limit": {"value": 20},
        "online_application": True,
        "online_depth": 3,
        "visits": 1,
        "guide": {"acceptance_conditions": "申请人已取得营业执照"},
        "materials": [
            {
                "code": "M01",
                "name": "食品经营许可申请书",
                "form": "original",
                "copies": 1,
                "necessity": "required",
            },
            {"code": "M02", "name": "营业执照", "form": "copy", "copies": 1, "necessity": "required"},
        ],
    }


def search_codes(api: httpx.Client, site: str, q: str) -> list[str]:
    reply = api.get(f"/api/v1/sites/{site}/search", params={"q": q})
    assert reply.status_code == 200, reply.text
    return [h["id"] for h in reply.json()["items"]]


def search_until(api: httpx.Client, site: str, q: str, want: Any, what: str) -> list[str]:
    """What the search finds once want(codes) holds (events reach search a moment after the
    write; how soon is the benchmarks' business, not a test's on a loaded machine)."""

    def check() -> tuple[list[str]] | None:
        codes = search_codes(api, site, q)
        return (codes,) if want(codes) else None

    return wait_until_sync(check, 30, what=what)[0]


def test_publish_find_from_county_withdraw(api: httpx.Client) -> None:
    code = "420600-SCJG-E2E-0001"
    r = api.post(
        "/api/v1/admin/sites/420600/matters", json=matter(code, "食品经营许可（新办）"), headers=ADMIN
    )
    assert r.status_code == 201, r.text
    r = api.post(f"/api/v1/admin/sites/420600/matters/{code}/publish", headers=ADMIN)
    assert r.status_code == 200 and r.json()["status"] == "published"

    search_until(api, "420602", "食品经营许可", lambda c: code in c, "found from the county")
    # A sibling city does not see the city's matter.
    assert code not in search_codes(api, "420100", "食品经营许可")
    guide = api.get(f"/api/v1/sites/420602/matters/{code}").json()
    assert guide["name"] == "食品经营许可（新办）" and guide["site_name"] == "襄阳市"

    r = api.post(f"/api/v1/admin/sites/420600/matters/{code}/withdraw", headers=ADMIN)
    assert r.status_code == 200 and r.json()["status"] == "withdrawn"
    search_until(api, "420602", "食品经营许可", lambda c: code not in c, "gone after the withdrawal")
    r = api.get(f"/api/v1/sites/420602/matters/{code}")
    assert r.status_code == 404 and r.headers["content-type"] == "application/problem+json"


def test_events_published_while_search_is_down_arrive_after_it_restarts(api: httpx.Client, e2e: Any) -> None:
    e2e.stop("search", kill=True)
    code = "420600-SCJG-E2E-0002"
    api.post(
        "/api/v1/admin/sites/420600/matters", json=matter(code, "药品零售企业经营许可"), headers=ADMIN
    ).raise_for_status()
    api.post(f"/api/v1/admin/sites/420600/matters/{code}/publish", headers=ADMIN).raise_for_status()
    # Meanwhile the gateway stays in rotation: search's routes alone answer 503, at once, and
    # the upstreams' report says which one is down.
    assert api.get("/readyz").status_code == 200
    health = api.get("/healthz/upstreams")
    assert health.status_code == 503 and health.json()["checks"]["search"] is False
    assert health.json()["checks"]["catalogue"] is True
    down = api.get("/api/v1/sites/420602/search", params={"q": "药品"})
    assert down.status_code == 503 and down.headers["content-type"] == "application/problem+json"
    assert down.json()["code"] == "UPSTREAM_UNAVAILABLE" and down.elapsed.total_seconds() < 4
    e2e.start("search")
    e2e.wait_ready()
    codes = search_until(api, "420602", "药品零售", lambda c: code in c, "the durable consumer caught up")
    assert codes == [code]


def test_a_new_version_replaces_the_old_and_a_reindex_swaps_under_live_queries(
    api: httpx.Client, e2e: Any
) -> None:
    code = "420600-SCJG-E2E-0003"
    api.post(
        "/api/v1/admin/sites/420600/matters", json=matter(code, "食品小作坊登记"), headers=ADMIN
    ).raise_for_status()
    api.post(f"/api/v1/admin/sites/420600/matters/{code}/publish", headers=ADMIN).raise_for_status()
    search_until(api, "420602", "食品小作坊", lambda c: code in c, "version 1 found")
    # Editing the published guide opens version 2 as a draft: the public still finds version 1.
    edited = {k: v for k, v in matter(code, "食品小作坊登记证核发").items() if k != "code"}
    r = api.put(f"/api/v1/admin/sites/420600/matters/{code}", json=edited, headers=ADMIN)
    assert r.status_code == 200 and r.json()["version"] == 2, r.text
    assert api.get(f"/api/v1/sites/420602/matters/{code}").json()["name"] == "食品小作坊登记"
    api.post(f"/api/v1/admin/sites/420600/matters/{code}/publish", headers=ADMIN).raise_for_status()

    def titles() -> list[str]:
        reply = api.get("/api/v1/sites/420602/search", params={"q": "食品小作坊"})
        assert reply.status_code == 200, reply.text
        return [h["title"] for h in reply.json()["items"]]

    wait_until_sync(lambda: titles() == ["食品小作坊登记证核发"], 30, what="version 2 found")

    # A full reindex through the CLI while a client keeps searching: every answer finds the matter.
    answers: list[list[str]] = []
    stop = threading.Event()

    def keep_searching() -> None:
        with httpx.Client(base_url=e2e.gateway_url, timeout=10) as client:
            while not stop.is_set():
                reply = client.get("/api/v1/sites/420602/search", params={"q": "食品小作坊"})
                answers.append(
                    [h["title"] for h in reply.json()["items"]] if reply.status_code == 200 else []
                )

    searcher = threading.Thread(target=keep_searching)
    searcher.start()
    try:
        done = subprocess.run(
            [
                sys.executable,
                "-m",
                "govhall.search.cli",
                "reindex",
                "--address",
                e2e.env["GOVHALL_SEARCH_GRPC_ADDRESS"],
            ],
            env=e2e.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        # A few answers from the new generation.
        answered = len(answers)
        wait_until_sync(lambda: len(answers) >= answered + 3, 30, what="answers after the reindex")
    finally:
        stop.set()
        searcher.join(timeout=15)
    assert done.returncode == 0, done.stderr
    assert "reindexed" in done.stdout and "indexing" in done.stderr  # the progress bar
    assert len(answers) > 3
    assert all(a == ["食品小作坊登记证核发"] for a in answers), [
        a for a in answers if a != ["食品小作坊登记证核发"]
    ][:3]
