"""Password checks that slow guessing down and lock it out, without locking the rightful user out.

Failures are counted per account *and client address* (the gateway passes the address):

- after `login_free_failures` from one client, each further try from that client must wait,
  twice as long each time (429 LOGIN_TOO_SOON with Retry-After), before any hashing is done;
- after `login_max_failures` that client is locked out of that account for the window; every
  other client still signs in, so a stranger cannot lock anyone out from their own address;
- after `login_account_max_failures` from all clients together (a guessing attack spread over
  many addresses) the account is locked for everyone, until the window passes or the rightful
  user proves themselves another way: an SMS login or password reset (citizens), or a site
  administrator's unlock (staff);
- after `login_client_max_failures` from one client over all accounts (trying one password on
  many accounts) that client's password logins stop for the window.

Unknown login names are counted exactly like real ones, under a key that does not reveal the
name, so the answers never tell which names exist. Counters live in the shared key-value store;
"clearing" an account starts a new generation of its keys, which ends every client's count at
once without listing them.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime, timedelta

from govhall.identity import store
from govhall.identity.deps import LOGIN_FAILED, SHANGHAI, Deps, unauthenticated
from govhall.identity.model import LEGAL_PERSON, PERSON, STAFF, AccountRow
from govhall.kit.errors import DomainError, ErrorKind
from govhall.kit.kv import StoreUnavailable

log = logging.getLogger(__name__)

#: How a locked-out user gets back in, by login method.
CITIZEN_WAY_IN = "，或使用短信验证码登录、找回密码"
STAFF_WAY_IN = "，或请本站点管理员解锁"
LEGAL_WAY_IN = "，或由法定代表人登录个人账号后以单位身份办理"
NO_CLIENT = "-"


def _until(seconds: int) -> str:
    return f"{(datetime.now(UTC) + timedelta(seconds=seconds)).astimezone(SHANGHAI):%Y-%m-%d %H:%M}"


def _locked(seconds: int, way_in: str) -> DomainError:
    return DomainError(
        "ACCOUNT_LOCKED",
        f"too many failed logins; try again after {_until(seconds)} (UTC+8)",
        f"登录失败次数过多，账号已锁定，请于{_until(seconds)}后再试{way_in}",
        ErrorKind.TOO_MANY,
        retry_after_seconds=seconds,
    )


class _Keys:
    """The store keys of one (account, client) pair in the account's current generation."""

    def __init__(self, account_key: str, generation: str, client: str) -> None:
        self.generation_key, self.generation = f"lg:{account_key}", generation
        self.account = f"lf:{account_key}:{generation}"
        self.pair = f"{self.account}:{client}"
        self.wait = f"lw:{account_key}:{generation}:{client}"
        # No address (a re-check of the password by a signed-in user): nothing to count per client,
        # lest every such caller share one count and one lock.
        self.client = f"lfc:{client}" if client != NO_CLIENT else ""


async def _keys(deps: Deps, account_key: str, client_ip: str) -> _Keys:
    generation = await deps.kv.get(f"lg:{account_key}") or "0"
    return _Keys(account_key, generation, client_ip or NO_CLIENT)


def _wait_after(deps: Deps, failures: int) -> int:
    """Seconds a client waits after this many failures on one account (0: it need not)."""
    s = deps.settings
    if failures < s.login_free_failures or s.login_delay_seconds <= 0:
        return 0
    return int(
        min(s.login_delay_seconds * 2 ** (failures - s.login_free_failures), s.login_failure_window_seconds)
    )


async def _admit(deps: Deps, keys: _Keys, way_in: str) -> int:
    """Refuse if this client must wait or is locked out; else count the attempt up front and
    return its number, so guesses sent in parallel are counted (and locked out) like others."""
    s = deps.settings
    # One round trip for the counts; expiry times are read only to refuse.
    counts = await deps.kv.get_many([keys.account, keys.pair, *([keys.client] if keys.client else [])])
    account, pair, client = (int(v or 0) for v in [*counts, 0][:3])
    if client >= s.login_client_max_failures:
        ttl = max(await deps.kv.ttl(keys.client), 1)
        raise DomainError(
            "LOGIN_CLIENT_LOCKED",
            f"too many failed logins from this address; try again after {_until(ttl)} (UTC+8)",
            f"当前网络登录失败次数过多，请于{_until(ttl)}后再试",
            ErrorKind.TOO_MANY,
            retry_after_seconds=ttl,
        )
    if account >= s.login_account_max_failures:
        raise _locked(max(await deps.kv.ttl(keys.account), 1), way_in)
    if pair >= s.login_max_failures:
        raise _locked(max(await deps.kv.ttl(keys.pair), 1), way_in)
    hold = _wait_after(deps, pair)
    # Only one try passes the gate per wait: set-if-absent is atomic.
    if hold and not await deps.kv.set(keys.wait, "1", hold, only_if_absent=True):
        wait = max(await deps.kv.ttl(keys.wait), 1)
        raise DomainError(
            "LOGIN_TOO_SOON",
            f"wrong password several times; wait {wait} s before the next try",
            f"密码多次错误，请{wait}秒后再试",
            ErrorKind.TOO_MANY,
            retry_after_seconds=wait,
        )
    attempt = await deps.kv.incr(keys.pair, s.login_failure_window_seconds)
    if attempt > s.login_max_failures:  # lost a race with parallel tries
        raise _locked(max(await deps.kv.ttl(keys.pair), 1), way_in)
    return attempt


async def _failed(deps: Deps, keys: _Keys, attempt: int, way_in: str) -> DomainError:
    """Count a wrong password (the pair already counted it on admission)."""
    s = deps.settings
    window = s.login_failure_window_seconds
    if keys.generation != "0":
        # The generation must outlive every counter kept under it.
        await deps.kv.set(keys.generation_key, keys.generation, 2 * window)
    if keys.client:
        await deps.kv.incr(keys.client, window)
    await deps.kv.incr(keys.account, window)
    if attempt >= s.login_max_failures:
        return _locked(max(await deps.kv.ttl(keys.pair), 1), way_in)
    wait = _wait_after(deps, attempt)
    if wait:
        await deps.kv.set(keys.wait, "1", wait)
    then_en = f"; wait {wait} s before the next try" if wait else ""
    then_zh = f"，请{wait}秒后再试" if wait else ""
    return unauthenticated(
        "LOGIN_FAILED",
        f"wrong account or password; {s.login_max_failures - attempt} tries left before the account is locked{then_en}",
        f"账号或密码错误，还可尝试{s.login_max_failures - attempt}次{then_zh}",
    )


async def password_login(
    deps: Deps,
    account: AccountRow | None,
    unknown_key: str,
    password: str,
    client_ip: str = "",
    way_in: str | None = None,
) -> AccountRow:
    """The account if the password is right; counts and refuses as the module says.

    `unknown_key` names the counters when no account has the login name typed; `way_in` is how
    a locked-out user gets back in, by the login method (by the account's kind if not given)."""
    if way_in is None:
        kind = account.kind if account else PERSON
        way_in = {STAFF: STAFF_WAY_IN, LEGAL_PERSON: LEGAL_WAY_IN}.get(kind, CITIZEN_WAY_IN)
    account_key = account.id if account else unknown_key
    attempt = 0
    try:
        keys = await _keys(deps, account_key, client_ip)
        attempt = await _admit(deps, keys, way_in)
    except StoreUnavailable:
        # Fail open: argon2 keeps guessing slow, and refusing every login is worse.
        log.warning("login lock-out store unavailable; not enforcing lock-out")
        keys = None
    if (
        not await deps.passwords.verify(account.password_hash if account else None, password)
        or account is None
    ):
        if keys is None:
            raise LOGIN_FAILED
        try:
            raise await _failed(deps, keys, attempt, way_in)
        except StoreUnavailable:
            raise LOGIN_FAILED from None
    if keys is not None:
        # The rightful user on this client: their own typos are forgiven; other clients' are not.
        try:
            await deps.kv.delete(keys.pair)
            if attempt > deps.settings.login_free_failures:
                await deps.kv.delete(keys.wait)
        except StoreUnavailable:
            log.warning("could not clear the login failure count")
    return account


async def clear_failures(deps: Deps, account_id: str) -> None:
    """The rightful user proved themselves another way (SMS, an administrator): forget every
    failure counted against the account, from every client."""
    try:
        await deps.kv.set(
            f"lg:{account_id}", secrets.token_hex(8), 2 * deps.settings.login_failure_window_seconds
        )
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
            retry_after_seconds=60 - int(store.now().timestamp()) % 60,
        )
