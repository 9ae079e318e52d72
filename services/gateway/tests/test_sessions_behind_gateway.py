"""Every service checks the caller's session itself: a token whose session has ended is refused by
cases and the catalogue even behind a gateway that never saw the revocation (one with its own,
empty, revocation list), and a live token next to it still works."""

from __future__ import annotations

from typing import Any

from .conftest import Stack, open_gateway
from .test_cases_routes import DEPT, MATTER, SITE, seed, staff, submitted
from .test_identity_routes import PASSWORD, assert_problem, bearer, person


async def _logout(stack: Stack, who: dict[str, str]) -> None:
    assert (await stack.client.post("/api/v1/auth/logout", headers=who)).status_code == 204
    # The gateway in front refuses the token at once.
    assert_problem(await stack.client.get("/api/v1/me", headers=who), 401, "TOKEN_REVOKED")


async def test_services_refuse_an_ended_session_the_gateway_did_not_check(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    owner = bearer((await person(stack, "13812360001", "周申请"))["access_token"])
    other = bearer((await person(stack, "13812360002"))["access_token"])
    case = await submitted(c, owner)
    clerk = await staff(c, "xl_clerk_s", "window_clerk")
    admin = await staff(c, "xl_admin_s", "site_admin")
    for who in (owner, clerk, admin):
        await _logout(stack, who)

    assert stack.settings is not None
    blind = stack.settings.model_copy(update={"kv_namespace": stack.settings.kv_namespace + "-blind"})
    gateway, lifespan = await open_gateway(blind)
    try:
        # Someone still signed in is served by the same gateway and services.
        assert (await gateway.get("/api/v1/me/cases", headers=other)).status_code == 200
        refused: list[Any] = [
            # The applicant: cases itself refuses every call.
            await gateway.get("/api/v1/me/cases", headers=owner),
            await gateway.get(f"/api/v1/cases/{case['id']}", headers=owner),
            await gateway.post(
                "/api/v1/cases", json={"site_code": SITE, "matter_code": MATTER}, headers=owner
            ),
            await gateway.post(f"/api/v1/cases/{case['id']}/withdraw", json={}, headers=owner),
            # Staff: cases refuses the queue and the actions.
            await gateway.get("/api/v1/staff/queue", params={"role": "window_clerk"}, headers=clerk),
            await gateway.post(f"/api/v1/staff/cases/{case['id']}/actions/accept", json={}, headers=clerk),
            # A site administrator: the catalogue refuses a change.
            await gateway.put(
                f"/api/v1/admin/sites/{SITE}/departments/{DEPT}", json={"name": "改名局"}, headers=admin
            ),
        ]
        for r in refused:
            assert_problem(r, 401, "TOKEN_REVOKED")
    finally:
        await gateway.aclose()
        await lifespan.__aexit__(None, None, None)

    # Nothing was done on the ended sessions' behalf.
    again = await c.post(
        "/api/v1/auth/login", json={"method": "password", "login_name": "13812360001", "password": PASSWORD}
    )
    mine = (await c.get("/api/v1/me/cases", headers=bearer(again.json()["access_token"]))).json()["cases"]
    assert [(x["id"], x["state"]) for x in mine] == [(case["id"], "submitted")]
    departments = (await c.get(f"/api/v1/sites/{SITE}/departments")).json()
    assert "改名局" not in str(departments)
