"""All-in-one keeps what must outlive a restart: stopped and started again on the same var dir, a
logged-out token stays refused (by the gateway and by cases itself), a locked account stays locked
until the lock expires, and the hot words are still there."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import grpc
import httpx
import jwt
import pytest

from govhall.allinone import demo
from govhall.allinone import stack as allinone
from govhall.identity.adapters import latest_dev_code
from govhall.kit import kv, kvsqlite
from govhall.kit.caller import caller_metadata
from govhall.kit.grpcclient import channel, domain_error
from govhall.kit.settings import PlatformSettings
from govhall.kit.tokens import caller_from_claims
from govhall.kit.trust import Signer
from govhall.protos.cases.v1 import cases_pb2, cases_pb2_grpc

from .conftest import partner_endpoints

MOBILE, PASSWORD, SITE = "13712340099", "Restart-pass-2026", "420502"
LOCK_SECONDS = 900


@asynccontextmanager
async def running(var: Path) -> AsyncIterator[tuple[httpx.AsyncClient, allinone.AllInOne]]:
    """All-in-one on ``var`` as `python -m govhall.allinone` runs it, the gateway in this process."""
    platform = PlatformSettings(var_dir=var, nats_url=None, redis_url=None, elasticsearch_url=None)
    stack = await allinone.start(platform, "restart-admin")
    try:
        async with stack.app.router.lifespan_context(stack.app):
            transport = httpx.ASGITransport(app=stack.app)
            async with httpx.AsyncClient(transport=transport, base_url="http://allinone") as client:
                yield client, stack
    finally:
        await stack.stop()


async def login(c: httpx.AsyncClient, password: str) -> httpx.Response:
    body = {"method": "password", "login_name": MOBILE, "password": password}
    return await c.post("/api/v1/auth/login", json=body)


async def cases_itself(stack: allinone.AllInOne, token: str) -> str:
    """What the cases service answers the token's caller, with no gateway in front (signed with
    the gateway's key from the all-in-one's var/trust, as the gateway would sign it)."""
    claims = jwt.decode(token, options={"verify_signature": False})
    cases = next(host for host in stack.hosts if host.spec.name == "cases")
    gateway = Signer.from_settings(cases.platform, "gateway")
    ch = channel(cases.address, signer=gateway, audience="cases")
    try:
        await cases_pb2_grpc.CasesServiceStub(ch).ListMyCases(
            cases_pb2.ListMyCasesRequest(), metadata=caller_metadata(caller_from_claims(claims)), timeout=10
        )
        return "OK"
    except grpc.aio.AioRpcError as err:
        return domain_error(err).code
    finally:
        await ch.close()


def hot(reply: httpx.Response) -> list[str]:
    assert reply.status_code == 200, reply.text
    return sorted(str(item) for item in reply.json()["items"])


@pytest.fixture
def quiet_env(monkeypatch: pytest.MonkeyPatch) -> None:
    """Embedded everything whatever the shell exports; cheap password hashing."""
    for name in list(os.environ):
        if name.startswith("GOVHALL_") and name != "GOVHALL_LOG_LEVEL":
            monkeypatch.delenv(name)
    monkeypatch.setenv("GOVHALL_IDENTITY_ARGON2_TIME_COST", "1")
    monkeypatch.setenv("GOVHALL_IDENTITY_ARGON2_MEMORY_KIB", "1024")
    monkeypatch.setenv("GOVHALL_IDENTITY_LOGIN_FAILURE_WINDOW_SECONDS", str(LOCK_SECONDS))
    # Wrong passwords lock without the waits before the lock (identity's own tests cover those).
    monkeypatch.setenv("GOVHALL_IDENTITY_LOGIN_DELAY_SECONDS", "0")
    monkeypatch.setenv("GOVHALL_ALLINONE_PARTNER_ENDPOINTS", partner_endpoints())


async def test_revocations_lock_outs_and_hot_words_outlive_a_restart(
    tmp_path: Path, quiet_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    var = tmp_path / "var"
    async with running(var) as (c, stack):
        sent = await c.post("/api/v1/auth/sms-codes", json={"mobile": MOBILE, "purpose": "register"})
        assert sent.status_code == 200, sent.text
        code = latest_dev_code(var / "dev-sms.jsonl", MOBILE)
        body = {"mobile": MOBILE, "sms_code": code, "password": PASSWORD}
        assert (await c.post("/api/v1/auth/register", json=body)).status_code == 201
        token = (await login(c, PASSWORD)).json()["access_token"]
        who = {"Authorization": f"Bearer {token}"}
        assert (await c.get("/api/v1/me/cases", headers=who)).status_code == 200
        assert (await c.post("/api/v1/auth/logout", headers=who)).status_code == 204
        assert (await c.get("/api/v1/me/cases", headers=who)).status_code == 401

        locked_from = time.time()
        answers: list[str] = []
        while "ACCOUNT_LOCKED" not in answers:
            assert len(answers) < 10, answers
            answers.append((await login(c, "Wrong-pass-0000")).json()["code"])
        locked_until = time.time()

        for word in ("营业执照", "社会保险", "营业执照"):
            r = await c.get(f"/api/v1/sites/{SITE}/search", params={"q": word})
            assert r.status_code == 200, r.text
        before = hot(await c.get(f"/api/v1/sites/{SITE}/search/hot-words"))
        assert any("营业执照" in item for item in before) and any("社会保险" in item for item in before)

    # A restart is a new process: nothing this one holds in memory may carry over.
    monkeypatch.setattr(kv, "_shared", {})

    # The demo was loaded once, by the first start: the restart serves it without loading it again.
    async def loaded_again(*_args: object) -> None:
        raise AssertionError("the demo was loaded again on a restart")

    monkeypatch.setattr(demo, "load", loaded_again)
    async with running(var) as (c, stack):
        found = await c.get(f"/api/v1/sites/{SITE}/search", params={"q": "营业执照"})
        assert found.status_code == 200 and found.json()["items"], found.text
        # The logged-out token: refused at the gateway and by cases itself.
        r = await c.get("/api/v1/me/cases", headers=who)
        assert r.status_code == 401 and r.json()["code"] == "TOKEN_REVOKED", r.text
        assert await cases_itself(stack, token) == "TOKEN_REVOKED"
        # The lock holds, even with the right password...
        assert (await login(c, PASSWORD)).json()["code"] == "ACCOUNT_LOCKED"
        # ... until it expires (the stores' clock moved, rather than waiting 15 minutes).
        monkeypatch.setattr(kvsqlite, "wall_clock", lambda: locked_from + LOCK_SECONDS - 2)
        assert (await login(c, PASSWORD)).json()["code"] == "ACCOUNT_LOCKED"
        monkeypatch.setattr(kvsqlite, "wall_clock", lambda: locked_until + LOCK_SECONDS + 2)
        fresh = await login(c, PASSWORD)
        assert fresh.status_code == 200, fresh.text
        # The hot words came back with the store.
        assert hot(await c.get(f"/api/v1/sites/{SITE}/search/hot-words")) == before
