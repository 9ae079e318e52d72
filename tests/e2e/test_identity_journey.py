"""Journey: citizens register with an SMS code and verify their real names, one registers an
enterprise and authorises the other as its agent, who acts for it until the authorisation is
revoked; a logged-out or tampered token is refused. Through the gateway over HTTP, identity and
the gateway as separate processes on the real servers (PostgreSQL, NATS, Redis)."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from govhall.identity.adapters import latest_dev_code
from govhall.kit.validators import credit_code_check_char, id_number_check_char

PASSWORD = "Yichang-2026"
ENTERPRISE_PASSWORD = "Xiling-Food-88"


def new_mobile() -> str:
    return f"138{uuid.uuid4().int % 10**8:08d}"


def masked(mobile: str) -> str:
    return f"{mobile[:3]}****{mobile[-4:]}"


def new_id_number() -> str:
    """A resident of 西陵区 (420502) born in the 1980s, with a valid GB 11643 check character."""
    r = uuid.uuid4().int
    body = f"420502{1980 + r % 10}{r // 10 % 12 + 1:02d}{r // 120 % 28 + 1:02d}{r // 3360 % 1000:03d}"
    return body + id_number_check_char(body)


def new_credit_code() -> str:
    body = f"91420500MA4K{uuid.uuid4().int % 10**5:05d}"
    return body + credit_code_check_char(body)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def refused(reply: httpx.Response, code: str) -> None:
    """401 as a problem (RFC 9457) with this error code and a Bearer challenge."""
    assert reply.status_code == 401, f"{reply.status_code}: {reply.text}"
    assert reply.headers["content-type"].startswith("application/problem+json"), reply.headers
    assert reply.json()["status"] == 401 and reply.json()["code"] == code, reply.text
    assert reply.headers.get("www-authenticate", "").startswith("Bearer"), reply.headers


@dataclass
class Person:
    mobile: str
    name: str
    id_number: str
    access_token: str = ""
    refresh_token: str = ""


@pytest.fixture(scope="module")
def api(e2e: Any) -> Iterator[httpx.Client]:
    with httpx.Client(base_url=e2e.gateway_url, timeout=30) as client:
        yield client


def sms_code(e2e: Any, mobile: str, purpose: str) -> str:
    code = latest_dev_code(e2e.sms_file, mobile, purpose)
    assert code is not None, f"no {purpose} code was sent to {mobile}"
    assert len(code) == 6 and code.isdigit()
    return code


def login(api: httpx.Client, person: Person) -> dict[str, Any]:
    r = api.post(
        "/api/v1/auth/login",
        json={"method": "password", "login_name": person.mobile, "password": PASSWORD},
    )
    assert r.status_code == 200, r.text
    body = r.json()
    assert body["access_token"] and body["refresh_token"]
    person.access_token, person.refresh_token = body["access_token"], body["refresh_token"]
    return body


def register_and_verify(api: httpx.Client, e2e: Any, name: str) -> Person:
    person = Person(new_mobile(), name, new_id_number())
    r = api.post("/api/v1/auth/sms-codes", json={"mobile": person.mobile, "purpose": "register"})
    assert r.status_code == 200, r.text
    assert r.json()["mobile_masked"] == masked(person.mobile)

    r = api.post(
        "/api/v1/auth/register",
        json={
            "mobile": person.mobile,
            "sms_code": sms_code(e2e, person.mobile, "register"),
            "password": PASSWORD,
        },
    )
    assert r.status_code == 201, r.text
    account = r.json()
    assert account["kind"] == "person" and account["real_name_level"] == "unverified"
    assert account["mobile_masked"] == masked(person.mobile)
    assert person.mobile not in r.text, "the full mobile number must never come back"

    login(api, person)
    r = api.post(
        "/api/v1/me/real-name",
        json={"name": person.name, "id_number": person.id_number},
        headers=bearer(person.access_token),
    )
    assert r.status_code == 200, r.text
    verified = r.json()
    assert verified["name"] == person.name and verified["real_name_level"] == "real_name"
    assert verified["id_number_masked"] == f"{person.id_number[:4]}**********{person.id_number[-4:]}"
    assert person.id_number not in r.text
    return person


def enterprise_ids(api: httpx.Client, person: Person) -> dict[str, dict[str, Any]]:
    r = api.get("/api/v1/me/enterprises", headers=bearer(person.access_token))
    assert r.status_code == 200, r.text
    return {e["id"]: e for e in r.json()}


def test_register_verify_enterprise_agent_act_revoke(api: httpx.Client, e2e: Any) -> None:
    # A citizen registers with an SMS code, verifies their real name and signs in again.
    rep = register_and_verify(api, e2e, "张建国")
    login(api, rep)
    me = api.get("/api/v1/me", headers=bearer(rep.access_token))
    assert me.status_code == 200, me.text
    assert me.json()["name"] == "张建国"
    assert me.json()["mobile_masked"] == masked(rep.mobile)
    assert rep.mobile not in me.text and rep.id_number not in me.text

    # ... registers their enterprise, as its legal representative.
    credit_code = new_credit_code()
    r = api.post(
        "/api/v1/enterprises",
        json={
            "credit_code": credit_code,
            "name": "宜昌市西陵区三峡食品有限公司",
            "type": "enterprise",
            "password": ENTERPRISE_PASSWORD,
        },
        headers=bearer(rep.access_token),
    )
    assert r.status_code == 201, r.text
    enterprise = r.json()
    eid = enterprise["id"]
    assert enterprise["credit_code"] == credit_code
    assert enterprise["relation"] == "representative"
    assert enterprise["representative_name"] == "张建国"
    assert eid in enterprise_ids(api, rep)

    # A second citizen registers and verifies; the representative authorises them as agent.
    agent = register_and_verify(api, e2e, "李秀英")
    expires = (datetime.now(UTC) + timedelta(days=30)).astimezone().isoformat(timespec="seconds")
    r = api.post(
        f"/api/v1/enterprises/{eid}/agents",
        json={
            "agent_name": agent.name,
            "agent_id_number": agent.id_number,
            "scopes": ["cases.apply", "cases.view"],
            "expires_at": expires,
        },
        headers=bearer(rep.access_token),
    )
    assert r.status_code == 201, r.text
    grant = r.json()
    assert grant["enterprise_id"] == eid and grant["agent_name"] == "李秀英"
    assert grant["agent_mobile_masked"] == masked(agent.mobile)
    assert sorted(grant["scopes"]) == ["cases.apply", "cases.view"]
    assert grant["status"] == "active"
    assert agent.id_number not in r.text and agent.mobile not in r.text

    # The agent signs in, sees the enterprise and acts for it.
    login(api, agent)
    seen = enterprise_ids(api, agent)
    assert eid in seen, seen
    assert seen[eid]["relation"] == "agent"
    assert sorted(seen[eid]["scopes"]) == ["cases.apply", "cases.view"]
    r = api.post(f"/api/v1/enterprises/{eid}/act", headers=bearer(agent.access_token))
    assert r.status_code == 200, r.text
    act_token = r.json()["access_token"]
    assert act_token and act_token != agent.access_token
    assert r.json()["account"]["kind"] == "legal_person" and r.json()["account"]["id"] == eid
    r = api.get(f"/api/v1/enterprises/{eid}", headers=bearer(act_token))
    assert r.status_code == 200, r.text
    assert r.json()["id"] == eid and r.json()["relation"] == "agent"
    # While authorised, the agent reaches it with their own token too.
    own = api.get(f"/api/v1/enterprises/{eid}", headers=bearer(agent.access_token))
    assert own.status_code == 200 and own.json()["relation"] == "agent", own.text

    # The representative revokes the authorisation.
    r = api.delete(f"/api/v1/enterprises/{eid}/agents/{grant['id']}", headers=bearer(rep.access_token))
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "revoked" and r.json()["revoked_at"]

    # The agent no longer sees it; the acting token is refused; with their own token the
    # enterprise is as if it did not exist.
    assert eid not in enterprise_ids(api, agent)
    refused(api.get(f"/api/v1/enterprises/{eid}", headers=bearer(act_token)), "TOKEN_REVOKED")
    r = api.get(f"/api/v1/enterprises/{eid}", headers=bearer(agent.access_token))
    assert r.status_code == 404, r.text
    # ... and cannot act for it again: told that the authorisation ended, not "not found".
    r = api.post(f"/api/v1/enterprises/{eid}/act", headers=bearer(agent.access_token))
    assert r.status_code == 403 and r.json()["code"] == "AGENT_AUTHORISATION_ENDED", r.text
    assert "授权已失效" in r.json()["detail_zh"]
    # The representative still reaches it.
    assert api.get(f"/api/v1/enterprises/{eid}", headers=bearer(rep.access_token)).status_code == 200


def test_logout_ends_the_access_token(api: httpx.Client, e2e: Any) -> None:
    person = register_and_verify(api, e2e, "王丽")
    assert api.get("/api/v1/me", headers=bearer(person.access_token)).status_code == 200
    r = api.post(
        "/api/v1/auth/logout",
        json={"refresh_token": person.refresh_token},
        headers=bearer(person.access_token),
    )
    assert r.status_code == 204, r.text
    refused(api.get("/api/v1/me", headers=bearer(person.access_token)), "TOKEN_REVOKED")
    # The refresh token of the ended session is worthless too.
    r = api.post("/api/v1/auth/refresh", json={"refresh_token": person.refresh_token})
    assert r.status_code == 401 and r.json()["code"] == "SESSION_ENDED", r.text
    # Signing in again works.
    login(api, person)
    assert api.get("/api/v1/me", headers=bearer(person.access_token)).status_code == 200


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def test_tampered_and_forged_tokens_are_refused(api: httpx.Client, e2e: Any) -> None:
    person = register_and_verify(api, e2e, "赵敏")
    header, payload, signature = person.access_token.split(".")
    claims = json.loads(_unb64(payload))
    assert claims["sub"] and claims["exp"] > time.time()

    # The same signature over claims naming someone else.
    forged = dict(claims, sub="01J00000000000000000000000", name="冒名者")
    tampered = f"{header}.{_b64(json.dumps(forged).encode())}.{signature}"
    refused(api.get("/api/v1/me", headers=bearer(tampered)), "TOKEN_INVALID")
    # One flipped signature character.
    flipped = signature[:-2] + ("A" if signature[-2] != "A" else "B") + signature[-1]
    refused(api.get("/api/v1/me", headers=bearer(f"{header}.{payload}.{flipped}")), "TOKEN_INVALID")
    # alg "none" with no signature.
    none_header = _b64(json.dumps({"alg": "none", "typ": "JWT"}).encode())
    refused(api.get("/api/v1/me", headers=bearer(f"{none_header}.{payload}.")), "TOKEN_INVALID")
    # Not a JWT at all, and no token.
    refused(api.get("/api/v1/me", headers=bearer("not-a-token")), "TOKEN_INVALID")
    refused(api.get("/api/v1/me"), "UNAUTHENTICATED")
    # The genuine one still works.
    assert api.get("/api/v1/me", headers=bearer(person.access_token)).status_code == 200


def test_jwks_is_public_and_has_no_private_parts(api: httpx.Client) -> None:
    r = api.get("/.well-known/jwks.json")
    assert r.status_code == 200, r.text
    keys = r.json()["keys"]
    assert keys and all(k["kty"] == "OKP" and k["crv"] == "Ed25519" and k["kid"] for k in keys)
    assert not any("d" in k for k in keys)
