"""Identity through the gateway: tokens verified at the door, revocation, enterprises and agents, staff."""

from __future__ import annotations

import asyncio
import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from govhall.kit.testing import wait_until
from govhall.kit.validators import credit_code_check_char, id_number_check_char

from .conftest import AUTH, Stack, create_staff, start_stack
from .test_api import assert_problem, seed

PASSWORD = "Hubei-2026!"
_n = iter(range(10_000))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def an_id_number() -> str:
    body = f"42050219850612{next(_n):03d}"
    return body + id_number_check_char(body)


async def person(stack: Stack, mobile: str, name: str | None = None) -> dict[str, Any]:
    """Register (and real-name verify, if named) a person; returns the login reply plus id_number."""
    c = stack.client
    assert (
        await c.post("/api/v1/auth/sms-codes", json={"mobile": mobile, "purpose": "register"})
    ).status_code == 200
    reply = await c.post(
        "/api/v1/auth/register", json={"mobile": mobile, "sms_code": stack.sms(mobile), "password": PASSWORD}
    )
    assert reply.status_code == 201, reply.text
    tokens = (
        await c.post(
            "/api/v1/auth/login", json={"method": "password", "login_name": mobile, "password": PASSWORD}
        )
    ).json()
    id_number = ""
    if name:
        id_number = an_id_number()
        verified = await c.post(
            "/api/v1/me/real-name",
            json={"name": name, "id_number": id_number},
            headers=bearer(tokens["access_token"]),
        )
        assert verified.status_code == 200 and verified.json()["real_name_level"] == "real_name", (
            verified.text
        )
    return {**tokens, "id_number": id_number}


async def test_register_login_me_masked(stack: Stack) -> None:
    tokens = await person(stack, "13812345678", "张三")
    assert tokens["token_type"] == "Bearer" and tokens["expires_in_seconds"] == 900
    assert tokens["refresh_token"] and tokens["refresh_expires_in_seconds"] > 0
    assert tokens["account"]["kind"] == "person" and tokens["account"]["mobile_masked"] == "138****5678"
    me = await stack.client.get("/api/v1/me", headers=bearer(tokens["access_token"]))
    assert me.status_code == 200
    body = me.json()
    assert body["mobile_masked"] == "138****5678" and body["name"] == "张三"
    assert body["real_name_level"] == "real_name" and body["created_at"].endswith("+08:00")
    assert body["id_number_masked"] == tokens["id_number"][:4] + "*" * 10 + tokens["id_number"][-4:]
    assert tokens["id_number"] not in me.text
    assert_problem(await stack.client.get("/api/v1/me"), 401, "UNAUTHENTICATED")


async def test_identity_errors_arrive_as_problems_in_chinese(stack: Stack) -> None:
    c = stack.client
    r = await c.post("/api/v1/auth/sms-codes", json={"mobile": "12345", "purpose": "register"})
    assert assert_problem(r, 400, "MOBILE_BAD_FORMAT")["detail_zh"]
    await c.post("/api/v1/auth/sms-codes", json={"mobile": "13900001111", "purpose": "register"})
    r = await c.post(
        "/api/v1/auth/register",
        json={"mobile": "13900001111", "sms_code": stack.sms("13900001111"), "password": "weakpass"},
    )
    body = assert_problem(r, 400, "PASSWORD_WEAK")
    assert "两种" in body["detail_zh"] and body["errors"][0]["field"] == "password"
    r = await c.post(
        "/api/v1/auth/login", json={"method": "password", "login_name": "nobody", "password": PASSWORD}
    )
    assert_problem(r, 401, "LOGIN_FAILED")
    assert_problem(await c.post("/api/v1/auth/login", json={"method": "magic"}), 400, "REQUEST_INVALID")
    # A code for changing the password goes to the caller's own mobile: sign in first.
    r = await c.post("/api/v1/auth/sms-codes", json={"purpose": "change_password"})
    assert assert_problem(r, 401, "UNAUTHENTICATED")["detail_zh"] == "请先登录"


async def reuse_journey(stack: Stack) -> None:
    """A refresh token used twice was copied: identity ends the whole session, and the gateway
    refuses the session's access tokens at once."""
    c = stack.client
    first = await person(stack, "13812340011")
    r = await c.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert r.status_code == 200, r.text
    second = r.json()
    assert second["refresh_token"] != first["refresh_token"]
    assert second["access_token"] != first["access_token"]
    assert (await c.get("/api/v1/me", headers=bearer(second["access_token"]))).status_code == 200
    reused = await c.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})
    assert_problem(reused, 401, "REFRESH_TOKEN_REUSED")
    assert reused.headers["WWW-Authenticate"].startswith("Bearer")
    for token in (first["access_token"], second["access_token"]):
        assert_problem(await c.get("/api/v1/me", headers=bearer(token)), 401, "TOKEN_REVOKED")
    assert_problem(
        await c.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]}),
        401,
        "SESSION_ENDED",
    )
    # Another login is a new session, untouched.
    fresh = await c.post(
        "/api/v1/auth/login",
        json={"method": "password", "login_name": "13812340011", "password": PASSWORD},
    )
    assert (await c.get("/api/v1/me", headers=bearer(fresh.json()["access_token"]))).status_code == 200


async def test_a_reused_refresh_token_ends_the_session(stack: Stack) -> None:
    await reuse_journey(stack)


async def logout_journey(stack: Stack) -> None:
    c = stack.client
    first = await person(stack, "13812340001")
    second = (await c.post("/api/v1/auth/refresh", json={"refresh_token": first["refresh_token"]})).json()
    assert second["refresh_token"] != first["refresh_token"]
    # Logging out kills the access token at the gateway at once, and the refresh token.
    r = await c.post(
        "/api/v1/auth/logout",
        json={"refresh_token": second["refresh_token"]},
        headers=bearer(second["access_token"]),
    )
    assert r.status_code == 204
    assert_problem(await c.get("/api/v1/me", headers=bearer(second["access_token"])), 401, "TOKEN_REVOKED")
    assert_problem(
        await c.post("/api/v1/auth/refresh", json={"refresh_token": second["refresh_token"]}),
        401,
        "SESSION_ENDED",
    )
    assert_problem(
        await c.post("/api/v1/auth/logout", headers=bearer(second["access_token"])), 401, "TOKEN_REVOKED"
    )


async def test_logout_is_enforced_at_the_gateway(stack: Stack) -> None:
    await logout_journey(stack)


async def test_tampered_and_foreign_tokens_are_refused(stack: Stack) -> None:
    c = stack.client
    tokens = await person(stack, "13812340002")
    header, payload, signature = tokens["access_token"].split(".")
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["knd"] = "staff"
    claims["roles"] = ["site_admin"]
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    for token in (f"{header}.{forged}.{signature}", f"{header}.{payload}.{signature[:-4]}AAAA", "not.a.jwt"):
        assert_problem(await c.get("/api/v1/me", headers=bearer(token)), 401, "TOKEN_INVALID")
    none_alg = base64.urlsafe_b64encode(b'{"alg":"none","typ":"JWT"}').rstrip(b"=").decode()
    assert_problem(await c.get("/api/v1/me", headers=bearer(f"{none_alg}.{payload}.")), 401, "TOKEN_INVALID")
    assert_problem(await c.get("/api/v1/me", headers={"Authorization": "Basic abc"}), 401, "TOKEN_INVALID")


async def test_jwks_endpoint(stack: Stack) -> None:
    r = await stack.client.get("/.well-known/jwks.json")
    assert r.status_code == 200 and "max-age" in r.headers["cache-control"]
    (key,) = r.json()["keys"]
    assert key["kty"] == "OKP" and key["crv"] == "Ed25519" and key["alg"] == "EdDSA" and key["kid"]
    assert "d" not in key  # never the private half
    assert (await stack.client.get("/.well-known/jwks.json")).json() == r.json()
    # The key that signs access tokens is the one published.
    tokens = await person(stack, "13812340008")
    header = json.loads(base64.urlsafe_b64decode(tokens["access_token"].split(".")[0] + "=="))
    assert header == {"alg": "EdDSA", "kid": key["kid"], "typ": "JWT"}


async def test_staff_tokens_administer_only_their_sites(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    staff = [("yc_admin", "420500", ["site_admin"]), ("xl_clerk", "420502", ["window_clerk"])]
    for i, (username, site, roles) in enumerate(staff):
        body = {
            "username": username,
            "name": "刘管理",
            "mobile": f"1390000{i:04d}",
            "password": PASSWORD,
            "site_code": site,
            "department_code": f"{site}-XZSP",
            "roles": roles,
        }
        r = await create_staff(c, body)
        assert r.status_code == 201, r.text

    async def staff_token(username: str) -> str:
        r = await c.post(
            "/api/v1/auth/login", json={"method": "staff", "username": username, "password": PASSWORD}
        )
        return str(r.json()["access_token"])

    r = await c.put(
        "/api/v1/admin/sites/420600",
        json={"name": "襄阳市", "level": "city", "parent_code": "420000"},
        headers=AUTH,
    )
    assert r.status_code == 200, r.text
    admin, clerk = await staff_token("yc_admin"), await staff_token("xl_clerk")
    dept = {"name": "西陵区市场监督管理局"}
    r = await c.put("/api/v1/admin/sites/420502/departments/420502-SJJ", json=dept, headers=bearer(admin))
    assert r.status_code == 200, r.text
    assert_problem(
        await c.put("/api/v1/admin/sites/420502/departments/420502-SJ2", json=dept, headers=bearer(clerk)),
        403,
        "FORBIDDEN",
    )
    # A site admin of 宜昌市 administers neither the province above it nor 襄阳市 beside it.
    for other in ("420000", "420600"):
        assert_problem(
            await c.put(
                f"/api/v1/admin/sites/{other}/departments/{other}-X", json=dept, headers=bearer(admin)
            ),
            403,
            "FORBIDDEN",
        )
    citizen = await person(stack, "13812340003")
    assert_problem(
        await c.put(
            "/api/v1/admin/sites/420502/departments/420502-SJ3",
            json=dept,
            headers=bearer(citizen["access_token"]),
        ),
        403,
        "FORBIDDEN",
    )
    listed = await c.get("/api/v1/admin/sites/420502/staff", headers=bearer(admin))
    assert [s["username"] for s in listed.json()] == ["xl_clerk"]


async def test_addresses_through_the_gateway(stack: Stack) -> None:
    c = stack.client
    await seed(c)
    tokens = await person(stack, "13812340004")
    h = bearer(tokens["access_token"])
    body = {"recipient": "王五", "mobile": "13700001234", "county_code": "420502", "detail": "夷陵大道52号"}
    added = await c.post("/api/v1/me/addresses", json=body, headers=h)
    assert added.status_code == 201, added.text
    assert (
        added.json()["county_name"] == "西陵区"
        and added.json()["mobile"] == "137****1234"
        and added.json()["is_default"]
    )
    address_id = added.json()["id"]
    edited = await c.put(
        f"/api/v1/me/addresses/{address_id}", json={**body, "detail": "东山大道1号"}, headers=h
    )
    assert edited.json()["detail"] == "东山大道1号"
    assert (await c.delete(f"/api/v1/me/addresses/{address_id}", headers=h)).status_code == 204
    assert (await c.get("/api/v1/me/addresses", headers=h)).json() == []


async def agent_journey(stack: Stack) -> None:
    c = stack.client
    rep = await person(stack, "13812340005", "吴代表")
    agent = await person(stack, "13812340006", "郑经办")
    body = f"91420500MA4K{next(_n):05d}"
    credit_code = body + credit_code_check_char(body)
    created = await c.post(
        "/api/v1/enterprises",
        json={
            "credit_code": credit_code,
            "name": "宜昌三峡食品有限公司",
            "type": "enterprise",
            "password": PASSWORD,
        },
        headers=bearer(rep["access_token"]),
    )
    assert created.status_code == 201, created.text
    assert created.json()["type_label"] == "企业" and created.json()["relation"] == "representative"
    enterprise = created.json()["id"]
    grant = await c.post(
        f"/api/v1/enterprises/{enterprise}/agents",
        json={
            "agent_name": "郑经办",
            "agent_id_number": agent["id_number"],
            "scopes": ["cases.apply", "cases.view"],
            "expires_at": (datetime.now(UTC) + timedelta(days=30)).isoformat(),
        },
        headers=bearer(rep["access_token"]),
    )
    assert grant.status_code == 201, grant.text
    assert grant.json()["status"] == "active" and grant.json()["agent_mobile_masked"] == "138****0006"

    mine = (await c.get("/api/v1/me/enterprises", headers=bearer(agent["access_token"]))).json()
    assert [(e["id"], e["relation"], e["scopes"]) for e in mine] == [
        (enterprise, "agent", ["cases.apply", "cases.view"])
    ]
    assert mine[0]["authorised_until"].endswith("+08:00")
    acting = (
        await c.post(f"/api/v1/enterprises/{enterprise}/act", headers=bearer(agent["access_token"]))
    ).json()
    assert acting["refresh_token"] == "" and acting["account"]["kind"] == "legal_person"
    seen = await c.get(f"/api/v1/enterprises/{enterprise}", headers=bearer(acting["access_token"]))
    assert seen.status_code == 200 and seen.json()["relation"] == "agent"

    revoked = await c.delete(
        f"/api/v1/enterprises/{enterprise}/agents/{grant.json()['id']}", headers=bearer(rep["access_token"])
    )
    assert revoked.status_code == 200 and revoked.json()["status"] == "revoked"
    assert_problem(
        await c.get(f"/api/v1/enterprises/{enterprise}", headers=bearer(acting["access_token"])),
        401,
        "TOKEN_REVOKED",
    )
    assert (await c.get("/api/v1/me/enterprises", headers=bearer(agent["access_token"]))).json() == []
    assert_problem(
        await c.get(f"/api/v1/enterprises/{enterprise}", headers=bearer(agent["access_token"])),
        404,
        "LEGAL_PERSON_NOT_FOUND",
    )


async def test_an_agent_acts_until_revoked(stack: Stack) -> None:
    await agent_journey(stack)


@pytest.mark.parametrize("journey", [logout_journey, reuse_journey, agent_journey])
async def test_revocation_through_redis(
    platform: Any, start_service: Any, tmp_path: Path, cluster: dict[str, str], journey: Any
) -> None:
    """With Redis, identity and the gateway share the revocation list (as in a cluster)."""
    stack, lifespan = await start_stack(platform, start_service, tmp_path, cluster)
    try:
        await journey(stack)
    finally:
        await stack.client.aclose()
        await lifespan.__aexit__(None, None, None)


@pytest.mark.parametrize("path", ["/api/v1/enterprises/not-an-id", "/api/v1/me/addresses/x"])
async def test_bad_ids_are_400_or_404_not_500(stack: Stack, path: str) -> None:
    tokens = await person(stack, "13812340007")
    r = await stack.client.get(path, headers=bearer(tokens["access_token"]))
    assert r.status_code in (400, 404, 405) and r.headers["content-type"] == "application/problem+json"


async def test_nul_characters_are_bad_input_not_a_crash(stack: Stack) -> None:
    body = {"method": "password", "login_name": "zhang\u0000san", "password": PASSWORD}
    assert_problem(await stack.client.post("/api/v1/auth/login", json=body), 400, "TEXT_INVALID")


@pytest.fixture
async def tuned_stack(
    platform: Any, start_service: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Any:
    """A stack whose identity lets a number have a new code after 1 s and does not make
    wrong passwords wait (the waits are identity's own tests' business)."""
    monkeypatch.setenv("GOVHALL_IDENTITY_SMS_RESEND_SECONDS", "1")
    monkeypatch.setenv("GOVHALL_IDENTITY_LOGIN_DELAY_SECONDS", "0")
    stack, lifespan = await start_stack(platform, start_service, tmp_path)
    yield stack
    await stack.client.aclose()
    await lifespan.__aexit__(None, None, None)


async def _ask_code(c: Any, mobile: str, purpose: str) -> Any:
    """Ask for a code, waiting out the resend gap (bounded) as a person would."""

    async def asked() -> Any:
        r = await c.post("/api/v1/auth/sms-codes", json={"mobile": mobile, "purpose": purpose})
        if r.status_code != 429:
            return r
        assert_problem(r, 429, "SMS_TOO_SOON")
        assert 0 < int(r.headers["Retry-After"]) <= 1
        return None

    return await wait_until(asked, interval=0.2, what="the resend gap over")


async def test_sms_codes_answer_alike_for_registered_and_unknown_numbers(tuned_stack: Stack) -> None:
    c = tuned_stack.client
    registered, unknown = "13812340021", "13812340022"
    await person(tuned_stack, registered)
    for purpose in ("register", "login", "reset_password"):
        answers = [await _ask_code(c, mobile, purpose) for mobile in (registered, unknown)]
        # Same status, same body but for the (masked) number the caller typed.
        assert [r.status_code for r in answers] == [200, 200], [r.text for r in answers]
        bodies = [{**r.json(), "mobile_masked": None} for r in answers]
        assert bodies[0] == bodies[1]
        assert [r.json()["mobile_masked"] for r in answers] == ["138****0021", "138****0022"]


async def test_locked_out_logins_say_when_to_retry_and_staff_are_unlocked_by_their_admin(
    stack: Stack,
) -> None:
    c = stack.client
    await seed(c)
    for username, roles, mobile in (
        ("xl_boss", ["site_admin"], "13900002001"),
        ("xl_desk", ["window_clerk"], "13900002002"),
    ):
        body = {
            "username": username,
            "name": "刘管理",
            "mobile": mobile,
            "password": PASSWORD,
            "site_code": "420502",
            "department_code": "420502-XZSP",
            "roles": roles,
        }
        r = await create_staff(c, body)
        assert r.status_code == 201, r.text
    desk_id = r.json()["id"]
    statuses = []
    for _ in range(8):
        r = await c.post(
            "/api/v1/auth/login", json={"method": "staff", "username": "xl_desk", "password": "Wrong-2026!"}
        )
        statuses.append(r.status_code)
        if r.json()["code"] == "ACCOUNT_LOCKED":
            break
        if r.status_code == 429:  # told to wait: the lock comes only after the waits
            assert_problem(r, 429, "LOGIN_TOO_SOON")
            assert 0 < int(r.headers["Retry-After"]) <= 60
            await asyncio.sleep(int(r.headers["Retry-After"]))
    locked = assert_problem(r, 429, "ACCOUNT_LOCKED")
    assert "管理员解锁" in locked["detail_zh"] and int(r.headers["Retry-After"]) > 0
    login = {"method": "staff", "username": "XL_Desk", "password": PASSWORD}
    assert_problem(await c.post("/api/v1/auth/login", json=login), 429, "ACCOUNT_LOCKED")

    boss = (
        await c.post(
            "/api/v1/auth/login", json={"method": "staff", "username": "xl_boss", "password": PASSWORD}
        )
    ).json()
    desk_unlock = f"/api/v1/admin/staff/{desk_id}/unlock"
    citizen = await person(stack, "13812340023")
    assert_problem(await c.post(desk_unlock, headers=bearer(citizen["access_token"])), 403, "FORBIDDEN")
    r = await c.post(desk_unlock, headers=bearer(boss["access_token"]))
    assert r.status_code == 200 and r.json()["username"] == "xl_desk", r.text
    assert (await c.post("/api/v1/auth/login", json=login)).status_code == 200


async def test_a_person_sets_their_username_through_the_gateway(stack: Stack) -> None:
    c = stack.client
    tokens = await person(stack, "13812340024")
    h = bearer(tokens["access_token"])
    r = await c.put("/api/v1/me/username", json={"username": "Zhang_Wei"}, headers=h)
    assert r.status_code == 200 and r.json()["username"] == "Zhang_Wei", r.text
    r = await c.post(
        "/api/v1/auth/login", json={"method": "password", "login_name": "zhang_wei", "password": PASSWORD}
    )
    assert r.status_code == 200, r.text
    other = await person(stack, "13812340025")
    r = await c.put(
        "/api/v1/me/username", json={"username": "ZHANG_WEI"}, headers=bearer(other["access_token"])
    )
    assert_problem(r, 409, "USERNAME_TAKEN")
    r = await c.put("/api/v1/me/username", json={"username": "1bad"}, headers=h)
    assert assert_problem(r, 400, "USERNAME_INVALID")["errors"][0]["field"] == "username"
    assert_problem(await c.put("/api/v1/me/username", json={"username": "nobody1"}), 401, "UNAUTHENTICATED")
