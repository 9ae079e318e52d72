"""Login names in any case, set after registering, and SMS codes that never tell whether a
number is registered."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import sqlalchemy as sa
from alembic import command

from govhall.identity import app as identity_app
from govhall.identity import store
from govhall.identity.store import accounts
from govhall.kit import migrations
from govhall.kit.db import Database, create_engine
from govhall.protos.identity.v1 import identity_pb2 as pb

from .conftest import PASSWORD, Identity, new_mobile


async def test_a_person_sets_a_username_after_registering(identity: Identity) -> None:
    mobile, account = await identity.register()
    assert account.username == ""
    token = (await identity.login(mobile)).access_token
    named = await identity.call("SetUsername", pb.SetUsernameRequest(username="Hu_Shi2026"), token)
    assert named.username == "Hu_Shi2026"
    assert (await identity.login("hu_shi2026")).account.id == account.id

    # Unique in any case, and checked like at registration.
    other_mobile, _ = await identity.register()
    other = (await identity.login(other_mobile)).access_token
    taken = await identity.fails(
        "USERNAME_TAKEN", identity.call("SetUsername", pb.SetUsernameRequest(username="HU_SHI2026"), other)
    )
    assert taken.kind.http_status == 409 and "不区分大小写" in taken.message_zh
    invalid = await identity.fails(
        "USERNAME_INVALID", identity.call("SetUsername", pb.SetUsernameRequest(username="9lives"), other)
    )
    assert invalid.fields[0].field == "username"
    await identity.fails(
        "UNAUTHENTICATED", identity.call("SetUsername", pb.SetUsernameRequest(username="abcd"))
    )

    # Renaming frees the old name; a change of case alone is allowed.
    await identity.call("SetUsername", pb.SetUsernameRequest(username="HuShi"), token)
    await identity.fails("LOGIN_FAILED", identity.login("hu_shi2026"))
    await identity.call("SetUsername", pb.SetUsernameRequest(username="hu_shi2026"), other)
    await identity.call("SetUsername", pb.SetUsernameRequest(username="HUSHI"), token)
    assert (await identity.login("hushi")).account.username == "HUSHI"


async def test_migration_0002_backfills_and_keeps_colliding_names_working(
    db_url: str, tmp_path: Path
) -> None:
    folder = identity_app.SPEC.migrations
    await migrations.upgrade(db_url, folder)  # creates the database; then back to 0001 to replay
    await asyncio.to_thread(command.downgrade, migrations._config(db_url, folder), "0001")
    engine = create_engine(db_url)
    now = datetime.now(UTC)
    table = sa.table(
        "accounts",
        *(sa.column(c) for c in ("id", "kind", "username", "name", "level", "created_at", "updated_at")),
    )
    rows = [
        ("a-old", "WangWu", now.replace(year=2025)),
        ("a-young", "wangwu", now),
        ("a-other", "zhao_liu", now),
        ("a-none", None, now),
    ]
    try:
        async with engine.begin() as conn:
            for account_id, username, created in rows:
                await conn.execute(
                    sa.insert(table).values(
                        id=account_id,
                        kind=1,
                        username=username,
                        name="",
                        level=1,
                        created_at=created,
                        updated_at=created,
                    )
                )
        await migrations.upgrade(db_url, folder)
        async with engine.connect() as conn:
            norms = dict((await conn.execute(sa.select(accounts.c.id, accounts.c.username_norm))).all())
    finally:
        await engine.dispose()
    assert norms == {"a-old": "wangwu", "a-young": None, "a-other": "zhao_liu", "a-none": None}
    # The older account answers to its name in any case; the younger still to its exact name.
    db = Database(db_url)
    try:
        async with db.reader() as uow:
            found = {
                typed: await store.find_by_username(uow, 1, typed)
                for typed in ("WANGWU", "WangWu", "wangwu", "Zhao_Liu")
            }
    finally:
        await db.close()
    assert {typed: a.id if a else None for typed, a in found.items()} == {
        "WANGWU": "a-old",
        "WangWu": "a-old",
        "wangwu": "a-young",
        "Zhao_Liu": "a-other",
    }


def _messages_to(identity: Identity, mobile: str) -> int:
    path = identity.settings.dev_sms_file
    assert path is not None
    lines = path.read_text(encoding="utf-8").splitlines() if path.exists() else []
    return sum(json.loads(line)["mobile"] == mobile for line in lines)


async def _same_answer(
    identity: Identity, mobile: str, purpose: int, client_ip: str
) -> pb.SendSmsCodeResponse:
    await identity.kv.delete(f"sms:gap:{identity.host_index(mobile)}")
    request = pb.SendSmsCodeRequest(mobile=mobile, purpose=purpose, client_ip=client_ip)  # type: ignore[arg-type]
    return await identity.call("SendSmsCode", request)


@pytest.mark.parametrize(
    "purpose", [pb.SMS_PURPOSE_REGISTER, pb.SMS_PURPOSE_LOGIN, pb.SMS_PURPOSE_RESET_PASSWORD]
)
async def test_sms_codes_do_not_tell_whether_a_number_is_registered(identity: Identity, purpose: int) -> None:
    registered, _ = await identity.register()
    unknown = new_mobile()
    before = {m: _messages_to(identity, m) for m in (registered, unknown)}
    answers = [await _same_answer(identity, m, purpose, "10.7.7.7") for m in (registered, unknown)]
    assert [(a.expires_in_seconds, a.resend_after_seconds) for a in answers] == [(300, 60)] * 2
    assert [a.mobile_masked for a in answers] == [f"{m[:3]}****{m[-4:]}" for m in (registered, unknown)]
    # The code goes only where it makes sense: a new number registers, a known one logs in.
    sent_to = registered if purpose != pb.SMS_PURPOSE_REGISTER else unknown
    not_sent_to = unknown if sent_to == registered else registered
    assert _messages_to(identity, sent_to) == before[sent_to] + 1
    assert _messages_to(identity, not_sent_to) == before[not_sent_to]
    if purpose == pb.SMS_PURPOSE_REGISTER:
        return
    # Using the (never sent) code of an unknown number fails exactly like a wrong code.
    for mobile in (registered, unknown):
        if purpose == pb.SMS_PURPOSE_LOGIN:
            attempt = identity.call(
                "Login", pb.LoginRequest(sms=pb.SmsLogin(mobile=mobile, sms_code="000000"))
            )
        else:
            request = pb.ResetPasswordRequest(mobile=mobile, sms_code="000000", new_password=PASSWORD)
            attempt = identity.call("ResetPassword", request)
        error = await identity.fails("SMS_CODE_WRONG", attempt)
        assert error.fields[0].field == "sms_code"
