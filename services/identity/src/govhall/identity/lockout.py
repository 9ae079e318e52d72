"""Password checks that count failures and lock an account out after too many."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from govhall.identity import store
from govhall.identity.deps import LOGIN_FAILED, SHANGHAI, Deps, unauthenticated
from govhall.identity.model import AccountRow
from govhall.kit.errors import DomainError, ErrorKind
from govhall.kit.kv import StoreUnavailable

log = logging.getLogger(__name__)


async def check_not_locked(deps: Deps, key: str) -> None:
    try:
        failures = int(await deps.kv.get(key) or 0)
        if failures < deps.settings.login_max_failures:
            return
        seconds = max(await deps.kv.ttl(key), 1)
    except StoreUnavailable:
        # Fail open: argon2 keeps guessing slow, and refusing every login is worse.
        log.warning("login lock-out store unavailable; not enforcing lock-out")
        return
    unlock = (datetime.now(UTC) + timedelta(seconds=seconds)).astimezone(SHANGHAI)
    raise DomainError(
        "ACCOUNT_LOCKED",
        f"too many failed logins; try again after {unlock:%Y-%m-%d %H:%M} (UTC+8)",
        f"登录失败次数过多，账号已锁定，请于{unlock:%Y-%m-%d %H:%M}后再试，或通过短信验证码找回密码",
        ErrorKind.TOO_MANY,
    )


async def _failed(deps: Deps, key: str) -> DomainError:
    try:
        failures = await deps.kv.incr(key, deps.settings.login_failure_window_seconds)
    except StoreUnavailable:
        return LOGIN_FAILED
    if failures >= deps.settings.login_max_failures:
        await check_not_locked(deps, key)  # raises ACCOUNT_LOCKED with the unlock time
    left = deps.settings.login_max_failures - failures
    return unauthenticated(
        "LOGIN_FAILED",
        f"wrong account or password; {left} tries left before the account is locked",
        f"账号或密码错误，还可尝试{left}次",
    )


async def password_login(
    deps: Deps, account: AccountRow | None, failure_key: str, password: str
) -> AccountRow:
    key = f"lf:{account.id}" if account else failure_key
    await check_not_locked(deps, key)
    if (
        not await deps.passwords.verify(account.password_hash if account else None, password)
        or account is None
    ):
        raise await _failed(deps, key)
    await clear_failures(deps, account.id)
    return account


async def clear_failures(deps: Deps, account_id: str) -> None:
    try:
        await deps.kv.delete(f"lf:{account_id}")
    except StoreUnavailable:
        log.warning("could not clear the login failure count")


async def limit_logins(deps: Deps, client_ip: str) -> None:
    """Each password check costs tens of milliseconds of CPU: one client gets a fair share."""
    if not client_ip:
        return
    minute = int(store.now().timestamp() // 60)
    try:
        count = await deps.kv.incr(f"login:ip:{client_ip}:{minute}", 120)
    except StoreUnavailable:
        log.warning("login rate store unavailable; not limiting logins per client")
        return
    if count > deps.settings.logins_per_client_per_minute:
        raise DomainError(
            "LOGIN_CLIENT_LIMIT",
            "too many logins from this address; wait a minute",
            "当前网络登录请求过于频繁，请一分钟后再试",
            ErrorKind.TOO_MANY,
        )
