"""Wrong passwords are counted per account and client: a stranger slows and locks only themselves,
and the rightful user always has a way in (SMS for citizens, a site administrator for staff)."""

from __future__ import annotations

from typing import Any

import pytest

from govhall.kit.errors import DomainError
from govhall.kit.races import concurrently, outcomes
from govhall.kit.testing import wait_until
from govhall.protos.identity.v1 import identity_pb2 as pb

from .conftest import ADMIN, PASSWORD, Identity
from .test_staff_and_addresses import STAFF_PASSWORD, staff_request

WRONG = "Wrong-pass-1"
NO_WAITING = {"login_delay_seconds": 0}


async def _staff_login(identity: Identity, username: str, password: str, client_ip: str) -> Any:
    request = pb.LoginRequest(staff=pb.StaffLogin(username=username, password=password), client_ip=client_ip)
    return await identity.call("Login", request)


@pytest.mark.parametrize("identity_overrides", [NO_WAITING])
async def test_a_stranger_locks_only_their_own_address(identity: Identity) -> None:
    mobile, account = await identity.register(username="zhaoliu")
    for _ in range(identity.settings.login_max_failures - 1):
        await identity.fails("LOGIN_FAILED", identity.login("zhaoliu", WRONG, client_ip="203.0.113.66"))
    locked = await identity.fails("ACCOUNT_LOCKED", identity.login(mobile, WRONG, client_ip="203.0.113.66"))
    assert locked.kind.http_status == 429 and locked.retry_after_seconds > 0
    assert "短信验证码登录" in locked.message_zh
    # The stranger's address stays locked, even with the right password ...
    await identity.fails("ACCOUNT_LOCKED", identity.login("zhaoliu", client_ip="203.0.113.66"))
    # ... while the rightful user, elsewhere, signs in as usual.
    assert (await identity.login("zhaoliu", client_ip="198.51.100.7")).account.id == account.id


@pytest.mark.parametrize("identity_overrides", [{"login_delay_seconds": 2, "login_free_failures": 2}])
async def test_guessing_slows_down_before_the_lock(identity: Identity) -> None:
    await identity.register(username="sunqi_01")
    guesser = "203.0.113.9"
    first = await identity.fails("LOGIN_FAILED", identity.login("sunqi_01", WRONG, client_ip=guesser))
    assert "秒后再试" not in first.message_zh
    second = await identity.fails("LOGIN_FAILED", identity.login("sunqi_01", WRONG, client_ip=guesser))
    assert "请2秒后再试" in second.message_zh
    # Trying at once is refused before the password is even looked at, with when to come back.
    too_soon = await identity.fails("LOGIN_TOO_SOON", identity.login("sunqi_01", client_ip=guesser))
    assert too_soon.kind.http_status == 429 and 1 <= too_soon.retry_after_seconds <= 2
    # Another address is not slowed down.
    await identity.login("sunqi_01", client_ip="198.51.100.8")

    third = await _after_waiting(identity.login("sunqi_01", WRONG, client_ip=guesser), identity)
    assert third.code == "LOGIN_FAILED" and "请4秒后再试" in third.message_zh  # the wait doubles
    too_soon = await identity.fails("LOGIN_TOO_SOON", identity.login("sunqi_01", client_ip=guesser))
    assert 2 < too_soon.retry_after_seconds <= 4


async def _after_waiting(attempt: Any, identity: Identity) -> DomainError:
    """Retry a login attempt until it is no longer told to wait (bounded): its real answer."""
    attempts = iter([attempt])

    async def answer() -> DomainError | None:
        try:
            # The given attempt first, then the same wrong login again.
            await (next(attempts, None) or identity.login("sunqi_01", WRONG, client_ip="203.0.113.9"))
        except DomainError as err:
            return None if err.code == "LOGIN_TOO_SOON" else err
        raise AssertionError("a wrong password was accepted")

    return await wait_until(answer, interval=0.2, what="an answer other than LOGIN_TOO_SOON")


@pytest.mark.parametrize("identity_overrides", [{**NO_WAITING, "login_account_max_failures": 6}])
async def test_an_attack_from_many_addresses_locks_the_account_and_sms_lets_the_user_in(
    identity: Identity,
) -> None:
    mobile, account = await identity.register(username="zhouba")
    for address in ("203.0.113.1", "203.0.113.2", "203.0.113.3"):
        for _ in range(2):
            await identity.fails("LOGIN_FAILED", identity.login("zhouba", WRONG, client_ip=address))
    # Now nobody gets in by password, from anywhere.
    locked = await identity.fails("ACCOUNT_LOCKED", identity.login("zhouba", client_ip="198.51.100.20"))
    assert "短信验证码" in locked.message_zh
    # An SMS login proves the phone and lifts the lock for every address.
    code = await identity.send_code(mobile, pb.SMS_PURPOSE_LOGIN)
    pair = await identity.call("Login", pb.LoginRequest(sms=pb.SmsLogin(mobile=mobile, sms_code=code)))
    assert pair.account.id == account.id
    assert (await identity.login("zhouba", client_ip="198.51.100.20")).account.id == account.id


@pytest.mark.parametrize("identity_overrides", [{**NO_WAITING, "login_client_max_failures": 4}])
async def test_one_address_trying_many_accounts_is_stopped(identity: Identity) -> None:
    mobile, _ = await identity.register()
    for i in range(4):
        await identity.fails("LOGIN_FAILED", identity.login(f"spray_{i}", WRONG, client_ip="203.0.113.44"))
    stopped = await identity.fails("LOGIN_CLIENT_LOCKED", identity.login(mobile, client_ip="203.0.113.44"))
    assert stopped.retry_after_seconds > 0
    await identity.login(mobile, client_ip="198.51.100.44")


@pytest.mark.parametrize("identity_overrides", [NO_WAITING])
async def test_a_site_admin_unlocks_their_staff(identity: Identity) -> None:
    await identity.call("CreateStaff", staff_request("xl_admin", "420502", ["site_admin"]), ADMIN)
    await identity.call("CreateStaff", staff_request("yc_admin2", "420500", ["site_admin"]), ADMIN)
    await identity.call("CreateStaff", staff_request("wh_admin", "420102", ["site_admin"]), ADMIN)
    clerk = await identity.call("CreateStaff", staff_request("xl_window", "420502", ["window_clerk"]), ADMIN)
    office = "10.42.5.2"  # the clerk and whoever mistyped share the office's address
    for _ in range(identity.settings.login_max_failures):
        with pytest.raises(DomainError):
            await _staff_login(identity, "xl_window", WRONG, office)
    locked = await identity.fails(
        "ACCOUNT_LOCKED", _staff_login(identity, "xl_window", STAFF_PASSWORD, office)
    )
    assert "管理员解锁" in locked.message_zh

    unlock = pb.UnlockStaffRequest(staff_id=clerk.id)
    # Not another site's administrator, not the clerk, not a citizen.
    wuhan = (await _staff_login(identity, "wh_admin", STAFF_PASSWORD, "10.1.1.1")).access_token
    await identity.fails("FORBIDDEN", identity.call("UnlockStaff", unlock, wuhan))
    mobile, _ = await identity.register()
    citizen = (await identity.login(mobile)).access_token
    await identity.fails("FORBIDDEN", identity.call("UnlockStaff", unlock, citizen))
    await identity.fails(
        "STAFF_NOT_FOUND",
        identity.call(
            "UnlockStaff", pb.UnlockStaffRequest(staff_id=(await identity.login(mobile)).account.id), ADMIN
        ),
    )
    # The administrator of the clerk's site (or the city above it) lets the clerk back in.
    admin = (await _staff_login(identity, "xl_admin", STAFF_PASSWORD, "10.1.1.2")).access_token
    unlocked = await identity.call("UnlockStaff", unlock, admin)
    assert unlocked.id == clerk.id
    assert (await _staff_login(identity, "XL_Window", STAFF_PASSWORD, office)).account.id == clerk.id
    city = (await _staff_login(identity, "yc_admin2", STAFF_PASSWORD, "10.1.1.3")).access_token
    assert (await identity.call("UnlockStaff", unlock, city)).id == clerk.id


async def test_login_names_are_case_insensitive_and_wrong_case_is_no_failure(identity: Identity) -> None:
    _, account = await identity.register(username="QianJiu")
    for typed in ("qianjiu", "QIANJIU", " QianJiu "):
        assert (await identity.login(typed)).account.id == account.id
    # Signing in with any case never counted as a failure.
    assert (await identity.login("qianJIU", client_ip="198.51.100.3")).account.username == "QianJiu"
    await identity.fails("LOGIN_FAILED", identity.login("qianjiu", PASSWORD + "x"))


@pytest.mark.parametrize("identity_overrides", [{**NO_WAITING, "login_client_max_failures": 3}])
async def test_password_rechecks_without_an_address_do_not_share_one_count(identity: Identity) -> None:
    """Changing a password re-checks the old one with no client address: one user's mistakes
    there must not lock everybody else out as if they were one client."""
    tokens = []
    for _ in range(2):
        mobile, _ = await identity.register()
        tokens.append((await identity.login(mobile)).access_token)
    change = pb.ChangePasswordRequest(old_password=WRONG, new_password="Newer-pass-1", sms_code="000000")
    for _ in range(3):
        await identity.fails("LOGIN_FAILED", identity.call("ChangePassword", change, tokens[0]))
    await identity.fails("LOGIN_FAILED", identity.call("ChangePassword", change, tokens[1]))


@pytest.mark.parametrize("identity_overrides", [NO_WAITING])
async def test_guesses_sent_in_parallel_are_counted_like_any_others(identity: Identity) -> None:
    await identity.register(username="wu_shiyi")

    async def guess(_: int) -> str:
        try:
            await identity.login("wu_shiyi", WRONG, client_ip="203.0.113.77")
        except DomainError as err:
            return err.code
        return "ACCEPTED"

    # Released together by a barrier: on PostgreSQL twelve overlapping logins.
    codes, failed = outcomes(await concurrently(12, guess))
    assert failed == []
    # Four wrong answers, then locked: no burst gets more passwords checked than one at a time.
    assert sorted(codes) == ["ACCOUNT_LOCKED"] * 8 + ["LOGIN_FAILED"] * 4
