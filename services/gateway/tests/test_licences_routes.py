"""Licences' routes through the gateway: the licence types are public; unknown and malformed
codes are problems naming what is wrong (never a 500)."""

from __future__ import annotations

from .conftest import Stack
from .test_identity_routes import assert_problem


async def test_licence_types_are_public_and_unknown_types_are_404(stack: Stack) -> None:
    c = stack.client

    r = await c.get("/api/v1/licence-types")
    assert r.status_code == 200, r.text
    assert r.json()["page"]["page"] == 1 and isinstance(r.json()["items"], list)
    assert_problem(await c.get("/api/v1/licence-types/NOSUCHTYPE"), 404, "LICENCE_TYPE_NOT_FOUND")
    assert_problem(await c.get("/api/v1/licence-types/bad-code"), 400, "REQUEST_INVALID")
    assert_problem(await c.get("/api/v1/licence-types?page=0"), 400, "REQUEST_INVALID")
