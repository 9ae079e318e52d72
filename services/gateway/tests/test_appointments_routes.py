"""Appointments' routes through the gateway: a site's halls are public; bad input and unknown
halls are problems naming what is wrong (never a 500)."""

from __future__ import annotations

from .conftest import Stack
from .test_cases_routes import SITE
from .test_identity_routes import assert_problem


async def test_a_sites_halls_are_public_and_unknown_halls_are_404(stack: Stack) -> None:
    c = stack.client

    r = await c.get(f"/api/v1/sites/{SITE}/halls")
    assert r.status_code == 200, r.text
    assert r.json() == {"items": [], "page": {"page": 1, "page_size": 20, "total": 0}}
    assert_problem(await c.get("/api/v1/halls/no-such-hall"), 404, "HALL_NOT_FOUND")
    assert_problem(await c.get("/api/v1/sites/4205/halls"), 400, "REQUEST_INVALID")
    assert_problem(await c.get(f"/api/v1/sites/{SITE}/halls?page_size=1000"), 400, "REQUEST_INVALID")
