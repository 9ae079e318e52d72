"""The cluster the journey modules share: a module that stops a service (the search journey kills
search) and fails before starting it again must not hand the next module a cluster with a hole.
Each module's `e2e` starts what was left stopped and waits until every upstream serves."""

from __future__ import annotations

from typing import Any

import httpx

from govhall.kit.testing import wait_until_sync


def upstreams(e2e: Any) -> httpx.Response:
    return httpx.get(f"{e2e.gateway_url}/healthz/upstreams", timeout=10)


def test_a_service_left_stopped_is_serving_again_once_the_cluster_is_made_ready(e2e: Any) -> None:
    e2e.stop("consult", kill=True)
    assert e2e.stopped == {"consult"} and "consult" not in e2e.procs
    down = upstreams(e2e)
    assert down.status_code == 503 and down.json()["checks"]["consult"] is False

    e2e.ensure_ready()

    assert e2e.stopped == set() and e2e.procs["consult"].poll() is None
    # ensure_ready saw every upstream serving; consult's check again, with a bound, as one probe
    # (a second's deadline) can miss on a machine whose cores are busy.
    wait_until_sync(
        lambda: upstreams(e2e).json()["checks"]["consult"], 30, interval=0.3, what="consult serving"
    )
