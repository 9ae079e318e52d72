"""Natural persons: registration, real-name levels, login, SMS codes, lock-out and passwords."""

from __future__ import annotations

import re
import time

import pytest
import sqlalchemy as sa

from govhall.identity.store import accounts
from govhall.kit.validators import id_number_check_char
from govhall.protos.identity.v1 import identity_pb2 as pb

from .conftest import PASSWORD, Identity, inside_one_window, new_id_number, new_mobile


async def test_register_then_log_in_by_username_mobile_and_id_number(identity: Identity) -> None:
    mobile, account = await identity.register(username="zhang_san")
    assert account.kind == pb.ACCOUNT_KIND_PERSON
    assert account.real_name_level == pb.REAL_NAME_LEVEL_UNVERIFIED
    assert account.mobile_masked == f"{mobile[:3]}****{mobile[-4:]}"

    tokens = await identity.login(mobile)
    id_number = new_id_number()
    verified = await identity.call(
        "VerifyRealName", pb.VerifyRealNameRequest(name="张三", id_number=id_number), tokens.access_token
    )
    assert verified.real_name_level == pb.REAL_NAME_LEVEL_REAL_NAME
    assert verified.name == "张三"
    assert verified.id_number_masked == f"{id_number[:4]}{'*' * 10}{id_number[-4:]}"

    for login_name in ("zhang_san", mobile, id_number, id_number.lower()):
        pair = await identity.login(login_name)
        caller = await identity.verifier.verify(pair.access_token)
        assert caller.subject == account.id and caller.session_id
        assert pair.refresh_token and pair.token_type == "Bearer"

    me = await identity.call("GetMe", pb.GetMeRequest(), pair.access_token)
    assert me.id == account.id and mobile not in str(me) and id_number not in str(me)


async def test_sms_login(identity: Identity) -> None:
    mobile, account = await identity.register()
    code = await identity.send_code(mobile, pb.SMS_PURPOSE_LOGIN)
    pair = await identity.call("Login", pb.LoginRequest(sms=pb.SmsLogin(mobile=mobile, sms_code=code)))
    assert pair.account.id == account.id
    # The code was used up by that login.
    await identity.fails(
        "SMS_CODE_USED",
        identity.call("Login", pb.LoginRequest(sms=pb.SmsLogin(mobile=mobile, sms_code=code))),
    )


@pytest.mark.parametrize(
    "password", ["short1!", "onlyletters", "1234567890", "!!!!@@@@####", "中文密码中文密码中文"]
)
async def test_weak_passwords_are_refused_with_a_clear_message(identity: Identity, password: str) -> None:
    mobile = new_mobile()
    code = await identity.send_code(mobile, pb.SMS_PURPOSE_REGISTER)
    error = await identity.fails(
        "PASSWORD_WEAK",
        identity.call(
            "RegisterPerson", pb.RegisterPersonRequest(mobile=mobile, sms_code=code, password=password)
        ),
    )
    assert "至少包含字母、数字、符号中的两种" in error.message_zh
    assert error.fields[0].field == "password"
    # Nothing was created and the code is still good for a proper password.
    await identity.call(
        "RegisterPerson", pb.RegisterPersonRequest(mobile=mobile, sms_code=code, password=PASSWORD)
    )


async def test_bad_input_is_refused(identity: Identity) -> None:
    await identity.fails(
        "MOBILE_BAD_FORMAT",
        identity.call("SendSmsCode", pb.SendSmsCodeRequest(mobile="12345", purpose=pb.SMS_PURPOSE_REGISTER)),
    )
    mobile, _ = await identity.register(username="lisi_2026")
    other = new_mobile()
    code = await identity.send_code(other, pb.SMS_PURPOSE_REGISTER)
    # Login names are one name whatever the case.
    await identity.fails(
        "USERNAME_TAKEN",
        identity.call(
            "RegisterPerson",
            pb.RegisterPersonRequest(mobile=other, sms_code=code, password=PASSWORD, username="LiSi_2026"),
        ),
    )
    await identity.fails(
        "USERNAME_INVALID",
        identity.call(
            "RegisterPerson",
            pb.RegisterPersonRequest(mobile=other, sms_code=code, password=PASSWORD, username="1abc"),
        ),
    )
    tokens = await identity.login(mobile)
    valid = new_id_number()
    wrong_check = valid[:17] + ("0" if valid[17] != "0" else "1")
    await identity.fails(
        "ID_NUMBER_BAD_CHECKSUM",
        identity.call(
            "VerifyRealName",
            pb.VerifyRealNameRequest(name="李四", id_number=wrong_check),
            tokens.access_token,
        ),
    )
    await identity.fails(
        "NAME_INVALID",
        identity.call(
            "VerifyRealName", pb.VerifyRealNameRequest(name="李4", id_number=valid), tokens.access_token
        ),
    )
    await identity.fails("UNAUTHENTICATED", identity.call("GetMe", pb.GetMeRequest()))


async def test_one_id_number_binds_one_account(identity: Identity) -> None:
    _, id_number, _ = await identity.verified_person("王五")
    mobile, _ = await identity.register()
    tokens = await identity.login(mobile)
    await identity.fails(
        "ID_NUMBER_TAKEN",
        identity.call(
            "VerifyRealName", pb.VerifyRealNameRequest(name="王五", id_number=id_number), tokens.access_token
        ),
    )
    me = await identity.call("GetMe", pb.GetMeRequest(), tokens.access_token)
    assert me.real_name_level == pb.REAL_NAME_LEVEL_UNVERIFIED


async def test_levels_unverified_real_name_high(identity: Identity) -> None:
    mobile, _ = await identity.register()
    tokens = await identity.login(mobile)
    face = pb.RaiseLevelRequest(method=pb.STRONG_METHOD_FACE, evidence=b"dev-pass")
    await identity.fails("REAL_NAME_REQUIRED", identity.call("RaiseLevel", face, tokens.access_token))
    _, _, tokens = await identity.verified_person()
    await identity.fails(
        "STRONG_AUTH_FAILED",
        identity.call(
            "RaiseLevel",
            pb.RaiseLevelRequest(method=pb.STRONG_METHOD_CA, evidence=b"forged"),
            tokens.access_token,
        ),
    )
    high = await identity.call("RaiseLevel", face, tokens.access_token)
    assert high.real_name_level == pb.REAL_NAME_LEVEL_HIGH
    # The level travels in the next access token.
    refreshed = await identity.call("Refresh", pb.RefreshRequest(refresh_token=tokens.refresh_token))
    assert (await identity.verifier.verify(refreshed.access_token)).real_name_level == pb.REAL_NAME_LEVEL_HIGH
    # Two verifications: real name, then high (the relay may not have published the second yet).
    levels = [
        pb.UserVerified.FromString(e.payload).level
        for e in await identity.published("identity.user.verified", 2)
    ]
    assert pb.REAL_NAME_LEVEL_HIGH in levels


async def test_sms_codes_are_six_digits_one_time_and_expire(identity: Identity) -> None:
    mobile = new_mobile()
    code = await identity.send_code(mobile, pb.SMS_PURPOSE_REGISTER)
    assert re.fullmatch(r"\d{6}", code)
    request = pb.RegisterPersonRequest(
        mobile=mobile, sms_code="000000" if code != "000000" else "111111", password=PASSWORD
    )
    await identity.fails("SMS_CODE_WRONG", identity.call("RegisterPerson", request))
    request.sms_code = code
    await identity.call("RegisterPerson", request)
    # Reused: the account exists now, but the code is refused first for what it is.
    other = new_mobile()
    await identity.fails(
        "SMS_CODE_MISSING",
        identity.call(
            "RegisterPerson", pb.RegisterPersonRequest(mobile=other, sms_code=code, password=PASSWORD)
        ),
    )
    login = pb.LoginRequest(
        sms=pb.SmsLogin(mobile=mobile, sms_code=await identity.send_code(mobile, pb.SMS_PURPOSE_LOGIN))
    )
    await identity.call("Login", login)
    await identity.fails("SMS_CODE_USED", identity.call("Login", login))

    # Expired: age the newest code past its five minutes.
    code = await identity.send_code(mobile, pb.SMS_PURPOSE_LOGIN)
    await identity.expire_codes()
    await identity.fails(
        "SMS_CODE_EXPIRED",
        identity.call("Login", pb.LoginRequest(sms=pb.SmsLogin(mobile=mobile, sms_code=code))),
    )


async def test_a_code_dies_after_five_wrong_guesses(identity: Identity) -> None:
    mobile, _ = await identity.register()
    code = await identity.send_code(mobile, pb.SMS_PURPOSE_LOGIN)
    wrong = f"{(int(code) + 1) % 1_000_000:06d}"
    for _ in range(5):
        await identity.fails(
            "SMS_CODE_WRONG",
            identity.call("Login", pb.LoginRequest(sms=pb.SmsLogin(mobile=mobile, sms_code=wrong))),
        )
    await identity.fails(
        "SMS_CODE_VOID",
        identity.call("Login", pb.LoginRequest(sms=pb.SmsLogin(mobile=mobile, sms_code=code))),
    )


async def test_sms_rate_limits_per_number_and_per_client(identity: Identity) -> None:
    mobile = new_mobile()
    request = pb.SendSmsCodeRequest(mobile=mobile, purpose=pb.SMS_PURPOSE_REGISTER, client_ip="10.1.2.3")
    reply = await identity.call("SendSmsCode", request)
    assert reply.expires_in_seconds == 300 and reply.resend_after_seconds == 60
    error = await identity.fails("SMS_TOO_SOON", identity.call("SendSmsCode", request))
    assert "秒后再试" in error.message_zh
    for _ in range(identity.settings.sms_per_mobile_per_day - 1):
        await identity.send_code(mobile, pb.SMS_PURPOSE_REGISTER)
    await identity.kv.delete(f"sms:gap:{identity.host_index(mobile)}")
    await identity.fails("SMS_DAILY_LIMIT", identity.call("SendSmsCode", request))

    ip = "10.9.9.9"
    await inside_one_window(3600, 60)
    for _ in range(identity.settings.sms_per_client_per_hour):
        await identity.send_code(new_mobile(), pb.SMS_PURPOSE_REGISTER, client_ip=ip)
    await identity.fails(
        "SMS_CLIENT_LIMIT",
        identity.call(
            "SendSmsCode",
            pb.SendSmsCodeRequest(mobile=new_mobile(), purpose=pb.SMS_PURPOSE_REGISTER, client_ip=ip),
        ),
    )


@pytest.mark.parametrize("identity_overrides", [{"login_delay_seconds": 0}])
async def test_lock_out_after_five_failures_with_the_unlock_time(identity: Identity) -> None:
    mobile, _ = await identity.register(username="wangwu88")
    for attempt in range(1, 5):
        error = await identity.fails("LOGIN_FAILED", identity.login("wangwu88", "Wrong-pass-1"))
        assert f"还可尝试{5 - attempt}次" in error.message_zh
    error = await identity.fails("ACCOUNT_LOCKED", identity.login(mobile, "Wrong-pass-1"))
    assert re.search(r"请于\d{4}-\d{2}-\d{2} \d{2}:\d{2}后再试", error.message_zh)
    assert 0 < error.retry_after_seconds <= identity.settings.login_failure_window_seconds
    # Locked means locked: the right password is refused too, by any login name, in any case.
    await identity.fails("ACCOUNT_LOCKED", identity.login("wangwu88"))
    await identity.fails("ACCOUNT_LOCKED", identity.login("WangWu88"))
    # Resetting the password by SMS lifts the lock.
    code = await identity.send_code(mobile, pb.SMS_PURPOSE_RESET_PASSWORD)
    await identity.call(
        "ResetPassword", pb.ResetPasswordRequest(mobile=mobile, sms_code=code, new_password="Reset-2026")
    )
    await identity.login("wangwu88", "Reset-2026")


@pytest.mark.parametrize("identity_overrides", [{"login_delay_seconds": 0}])
async def test_unknown_accounts_fail_like_wrong_passwords_and_are_counted(identity: Identity) -> None:
    for _ in range(4):
        await identity.fails("LOGIN_FAILED", identity.login("nobody_here"))
    await identity.fails("ACCOUNT_LOCKED", identity.login("nobody_here"))
    await identity.fails("ACCOUNT_LOCKED", identity.login("NoBody_Here"))


async def test_forgot_password_revokes_every_session(identity: Identity) -> None:
    mobile, _ = await identity.register()
    first, second = await identity.login(mobile), await identity.login(mobile)
    code = await identity.send_code(mobile, pb.SMS_PURPOSE_RESET_PASSWORD)
    await identity.fails(
        "PASSWORD_WEAK",
        identity.call(
            "ResetPassword", pb.ResetPasswordRequest(mobile=mobile, sms_code=code, new_password="weak")
        ),
    )
    await identity.call(
        "ResetPassword", pb.ResetPasswordRequest(mobile=mobile, sms_code=code, new_password="New-pass-2026")
    )
    for pair in (first, second):
        await identity.fails("TOKEN_REVOKED", identity.verifier.verify(pair.access_token))
        await identity.fails(
            "SESSION_ENDED", identity.call("Refresh", pb.RefreshRequest(refresh_token=pair.refresh_token))
        )
    await identity.fails("LOGIN_FAILED", identity.login(mobile))
    await identity.login(mobile, "New-pass-2026")


async def test_change_password_needs_old_password_and_a_fresh_code(identity: Identity) -> None:
    mobile, _ = await identity.register()
    tokens = await identity.login(mobile)
    # The request names no number: the code goes to the caller's own mobile.
    code = await identity.send_code("", pb.SMS_PURPOSE_CHANGE_PASSWORD, caller=tokens.access_token)
    assert identity.sms(mobile, "change_password") == code
    request = pb.ChangePasswordRequest(
        old_password="Not-the-one-1", new_password="Brand-new-22", sms_code=code
    )
    await identity.fails("LOGIN_FAILED", identity.call("ChangePassword", request, tokens.access_token))
    request.old_password = PASSWORD
    request.sms_code = f"{(int(code) + 1) % 1_000_000:06d}"
    await identity.fails("SMS_CODE_WRONG", identity.call("ChangePassword", request, tokens.access_token))
    request.sms_code = code
    await identity.call("ChangePassword", request, tokens.access_token)
    # Every session ends, this one included.
    await identity.fails("TOKEN_REVOKED", identity.verifier.verify(tokens.access_token))
    # Identity itself refuses the token too, whatever the gateway's store says.
    caller = await identity.plain.verify(tokens.access_token)
    await identity.fails("SESSION_ENDED", identity.call("GetMe", pb.GetMeRequest(), caller))
    await identity.fails("LOGIN_FAILED", identity.login(mobile))
    await identity.login(mobile, "Brand-new-22")


async def test_change_mobile_proves_the_old_then_binds_the_new(identity: Identity) -> None:
    old, account = await identity.register()
    taken, _ = await identity.register()
    tokens = await identity.login(old)
    new = new_mobile()
    old_code = await identity.send_code(old, pb.SMS_PURPOSE_CHANGE_MOBILE, caller=tokens.access_token)
    # A number bound to someone else: answered like any other, but no code reaches it, so it
    # cannot be bound (and the answer does not tell it is registered).
    await identity.kv.delete(f"sms:gap:{identity.host_index(taken)}")
    taken_reply = await identity.call(
        "SendSmsCode",
        pb.SendSmsCodeRequest(mobile=taken, purpose=pb.SMS_PURPOSE_BIND_MOBILE),
        tokens.access_token,
    )
    assert taken_reply.mobile_masked == f"{taken[:3]}****{taken[-4:]}"
    with pytest.raises(AssertionError):
        identity.sms(taken, "bind_mobile")
    steal = pb.ChangeMobileRequest(
        password=PASSWORD, old_mobile_code=old_code, new_mobile=taken, new_mobile_code="000000"
    )
    await identity.fails("SMS_CODE_WRONG", identity.call("ChangeMobile", steal, tokens.access_token))
    old_code = await identity.send_code(old, pb.SMS_PURPOSE_CHANGE_MOBILE, caller=tokens.access_token)
    new_code = await identity.send_code(new, pb.SMS_PURPOSE_BIND_MOBILE, caller=tokens.access_token)
    request = pb.ChangeMobileRequest(
        password=PASSWORD, old_mobile_code=new_code, new_mobile=new, new_mobile_code=new_code
    )
    await identity.fails(
        "SMS_CODE_WRONG" if new_code != old_code else "SMS_CODE_USED",
        identity.call("ChangeMobile", request, tokens.access_token),
    )
    request.old_mobile_code = old_code
    changed = await identity.call("ChangeMobile", request, tokens.access_token)
    assert changed.mobile_masked == f"{new[:3]}****{new[-4:]}"
    assert (await identity.login(new)).account.id == account.id
    await identity.fails("LOGIN_FAILED", identity.login(old))


async def test_id_numbers_and_mobiles_are_encrypted_at_rest(identity: Identity) -> None:
    mobile, id_number, _ = await identity.verified_person("赵六")
    async with identity.host.db.reader() as uow:
        rows = (await uow.conn.execute(sa.select(accounts))).all()
    dump = repr(rows)
    assert mobile not in dump and id_number not in dump and id_number[-6:] not in dump
    assert "赵六" in dump  # names are not secret; numbers are


async def test_nothing_secret_reaches_the_log(identity: Identity, caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level("DEBUG")
    mobile, id_number, tokens = await identity.verified_person("钱七")
    await identity.fails("LOGIN_FAILED", identity.login(mobile, "Wrong-pass-9"))
    code = identity.sms(mobile)
    text = caplog.text + "".join(str(r.args) for r in caplog.records)
    for secret in (mobile, id_number, PASSWORD, tokens.refresh_token, tokens.access_token, code):
        assert secret not in text
    assert id_number_check_char(id_number[:17]) == id_number[17]


async def test_identity_events_carry_no_numbers(identity: Identity) -> None:
    mobile, id_number, _ = await identity.verified_person("孙八")
    await identity.published("identity.user.registered")
    await identity.published("identity.user.verified")
    subjects = [e.subject for e in identity.events]
    assert subjects.count("identity.user.registered") == 1 and subjects.count("identity.user.verified") == 1
    for event in identity.events:
        assert mobile.encode() not in event.payload and id_number.encode() not in event.payload


async def test_one_client_gets_a_fair_share_of_logins(identity: Identity) -> None:
    limit = identity.settings.logins_per_client_per_minute

    async def fill_the_minute(ip: str) -> pb.LoginRequest | None:
        """The client's limit filled and its next login refused; None if the minute the limit
        counts in ended meanwhile (the count starts again: nothing to conclude, try again)."""
        minute = time.time() // 60
        for i in range(limit):
            request = pb.LoginRequest(
                password=pb.PasswordLogin(login_name=f"guess_{i}", password=PASSWORD), client_ip=ip
            )
            await identity.fails("LOGIN_FAILED", identity.call("Login", request))
        mobile, _ = await identity.register()
        request = pb.LoginRequest(
            password=pb.PasswordLogin(login_name=mobile, password=PASSWORD), client_ip=ip
        )
        try:
            await identity.fails("LOGIN_CLIENT_LIMIT", identity.call("Login", request))
        except (AssertionError, pytest.fail.Exception):  # another code, or let in
            if time.time() // 60 != minute:
                return None
            raise
        return request

    # Not waiting for a fresh minute first (up to 30 s per run): a try that straddles the end of
    # one is repeated, from another address, in the minute that just began.
    request = await fill_the_minute("10.20.30.40") or await fill_the_minute("10.20.30.42")
    assert request is not None, "two tries each straddled a minute"
    request.client_ip = "10.20.30.41"
    await identity.call("Login", request)


async def test_probing_which_numbers_are_registered_counts_against_the_client(identity: Identity) -> None:
    ip = "10.50.60.70"
    await inside_one_window(3600, 60)
    for _ in range(identity.settings.sms_per_client_per_hour):
        probe = pb.SendSmsCodeRequest(mobile=new_mobile(), purpose=pb.SMS_PURPOSE_LOGIN, client_ip=ip)
        assert (await identity.call("SendSmsCode", probe)).expires_in_seconds > 0
    probe = pb.SendSmsCodeRequest(mobile=new_mobile(), purpose=pb.SMS_PURPOSE_LOGIN, client_ip=ip)
    await identity.fails("SMS_CLIENT_LIMIT", identity.call("SendSmsCode", probe))
