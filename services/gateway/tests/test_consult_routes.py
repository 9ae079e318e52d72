"""Consult's routes through the gateway: 我的收藏 as a signed-in person, with the catalogue's
current names and states, and bad input or no sign-in as problems (never a 500)."""

from __future__ import annotations

from .conftest import AUTH, Stack
from .test_cases_routes import MATTER, SITE, seed
from .test_identity_routes import assert_problem, bearer, person


async def test_a_person_keeps_lists_and_removes_a_matter(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    me = bearer((await person(stack, "13812350101", "陈收藏"))["access_token"])
    other = bearer((await person(stack, "13812350102", "王旁人"))["access_token"])

    r = await c.put(f"/api/v1/me/favourites/{SITE}/{MATTER}", headers=me)
    assert r.status_code == 200, r.text
    kept = r.json()
    assert kept["matter_name"] == "食品经营许可" and kept["site_name"] == "西陵区"
    assert (kept["state"], kept["matter_type"], kept["type_label"]) == ("available", "licensing", "行政许可")
    # Again: no change; and nobody else sees it.
    assert (await c.put(f"/api/v1/me/favourites/{SITE}/{MATTER}", headers=me)).json() == kept
    mine = (await c.get("/api/v1/me/favourites", headers=me)).json()
    assert [f["matter_code"] for f in mine["items"]] == [MATTER] and mine["page"]["total"] == 1
    assert (await c.get("/api/v1/me/favourites", headers=other)).json()["items"] == []

    # Withdrawn by its site: still listed, as withdrawn.
    r = await c.post(f"/api/v1/admin/sites/{SITE}/matters/{MATTER}/withdraw", headers=AUTH)
    assert r.status_code == 200, r.text
    (item,) = (await c.get("/api/v1/me/favourites", headers=me)).json()["items"]
    assert (item["matter_code"], item["state"]) == (MATTER, "withdrawn")

    r = await c.delete(f"/api/v1/me/favourites/{SITE}/{MATTER}", headers=me)
    assert r.status_code == 200 and r.json() == {"removed": True}
    assert (await c.delete(f"/api/v1/me/favourites/{SITE}/{MATTER}", headers=me)).json() == {"removed": False}
    assert (await c.get("/api/v1/me/favourites", headers=me)).json()["items"] == []


async def test_no_sign_in_bad_codes_and_unknown_matters_are_problems(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    me = bearer((await person(stack, "13812350103", "李错误"))["access_token"])
    assert_problem(await c.get("/api/v1/me/favourites"), 401, "UNAUTHENTICATED")
    assert_problem(await c.put(f"/api/v1/me/favourites/42/{MATTER}", headers=me), 400, "REQUEST_INVALID")
    assert_problem(
        await c.put(f"/api/v1/me/favourites/{SITE}/bad%20code", headers=me), 400, "REQUEST_INVALID"
    )
    assert_problem(
        await c.put(f"/api/v1/me/favourites/{SITE}/420502-NONE-0001", headers=me), 404, "MATTER_NOT_FOUND"
    )
    assert_problem(await c.get("/api/v1/me/favourites?page_size=1000", headers=me), 400, "REQUEST_INVALID")
