"""One-time SMS codes: sending them within limits, and consuming them."""

from __future__ import annotations

import logging
import secrets
from datetime import timedelta

from govhall.identity import access, model, sessionstore, store
from govhall.identity.deps import MOBILE, SHANGHAI, Deps, code_used
from govhall.identity.model import PERSON, STAFF
from govhall.kit.caller import current_caller
from govhall.kit.db import UnitOfWork
from govhall.kit.errors import DomainError, ErrorKind, forbidden, invalid
from govhall.kit.ids import new_id
from govhall.kit.validators import mask_mobile, parse_mobile
from govhall.protos.common.v1 import common_pb2
from govhall.protos.identity.v1 import identity_pb2 as pb

log = logging.getLogger(__name__)


async def send(deps: Deps, request: pb.SendSmsCodeRequest) -> pb.SendSmsCodeResponse:
    """Send a code, or seem to: whether a number is registered is never told apart.

    A code that makes no sense (registering a registered number, logging in or resetting with
    an unknown one, binding a number already bound) is stored like any other but never sent,
    so the answer, the limits and every later check read the same either way."""
    if request.purpose not in model.SMS_PURPOSES:
        raise invalid("SMS_PURPOSE_INVALID", "unknown purpose", "验证码用途无效", "purpose")
    # The per-client limit counts every request, before anything is looked up, so probing
    # which numbers are registered costs the same as asking for codes.
    await _limit_client(deps, request.client_ip)
    async with deps.db.reader() as uow:
        if request.purpose in model.OWN_MOBILE_PURPOSES:
            _, account = await access.signed_in(uow, PERSON, STAFF)
            mobile, deliver = deps.mobile_of(account), True
        else:
            mobile = parse_mobile(request.mobile, field="mobile")
            deliver = await _makes_sense(deps, uow, mobile, request.purpose)
    await _limit_mobile(deps, mobile)
    s = deps.settings
    code = f"{secrets.randbelow(1_000_000):06d}"
    expires = store.now() + timedelta(seconds=s.sms_code_seconds)
    async with deps.db.uow() as uow:
        await sessionstore.insert_sms_code(
            uow, new_id(), deps.idx(mobile, MOBILE), request.purpose, deps.cipher.hash_secret(code), expires
        )
        await uow.commit()
    purpose, purpose_zh = model.SMS_PURPOSES[request.purpose]
    if deliver:
        minutes = s.sms_code_seconds // 60
        await deps.adapters.sms.send(
            mobile,
            purpose,
            code,
            f"【政务服务网】您正在{purpose_zh}，验证码{code}，{minutes}分钟内有效。请勿告知他人。",
        )
    else:
        log.info("a %s code for a number it makes no sense for was stored but not sent", purpose)
    return pb.SendSmsCodeResponse(
        expires_in_seconds=s.sms_code_seconds,
        resend_after_seconds=s.sms_resend_seconds,
        mobile_masked=mask_mobile(mobile),
    )


async def check(deps: Deps, uow: UnitOfWork, mobile: str, purpose: int, code: str) -> None:
    """Consume a code in the caller's transaction; wrong guesses are counted outside it."""
    row = await sessionstore.latest_sms_code(uow, deps.idx(mobile, MOBILE), purpose)
    if row is None:
        raise invalid(
            "SMS_CODE_MISSING", "request a verification code first", "请先获取短信验证码", "sms_code"
        )
    if row.used_at is not None:
        raise code_used()
    if sessionstore.code_expired(row, store.now()):
        raise invalid(
            "SMS_CODE_EXPIRED",
            "this code has expired; request a new one",
            "验证码已过期，请重新获取",
            "sms_code",
        )
    failures_key = f"sms:fail:{row.id}"
    if int(await deps.kv.get(failures_key) or 0) >= deps.settings.sms_code_attempts:
        raise invalid(
            "SMS_CODE_VOID",
            "too many wrong tries; request a new code",
            "验证码错误次数过多，请重新获取",
            "sms_code",
        )
    if not secrets.compare_digest(row.code_hash, deps.cipher.hash_secret(code.strip())):
        await deps.kv.incr(failures_key, deps.settings.sms_code_seconds)
        raise wrong_code()
    if not await sessionstore.use_sms_code(uow, row.id):
        raise code_used()


async def check_for_service(deps: Deps, request: pb.CheckSmsCodeRequest) -> pb.CheckSmsCodeResponse:
    """A service consumes a code of a purpose it owns (consult: an anonymous letter's writer).
    Which services may ask is callers.json's business; the purpose keeps them off login codes."""
    caller = current_caller()
    if caller.kind != common_pb2.CALLER_KIND_SERVICE:
        raise forbidden("only services ask this", "仅限系统服务调用")
    if request.purpose not in model.SERVICE_PURPOSES:
        raise invalid("SMS_PURPOSE_INVALID", "unknown purpose", "验证码用途无效", "purpose")
    mobile = parse_mobile(request.mobile, field="mobile")
    if not request.code.strip():
        raise invalid("SMS_CODE_MISSING", "give the verification code", "请输入短信验证码", "sms_code")
    async with deps.db.uow() as uow:
        await check(deps, uow, mobile, request.purpose, request.code)
        await uow.commit()
    return pb.CheckSmsCodeResponse(mobile_masked=mask_mobile(mobile))


def wrong_code() -> DomainError:
    return invalid("SMS_CODE_WRONG", "the verification code is wrong", "验证码错误", "sms_code")


async def _makes_sense(deps: Deps, uow: UnitOfWork, mobile: str, purpose: int) -> bool:
    if purpose == pb.SMS_PURPOSE_BIND_MOBILE:
        await access.signed_in(uow, PERSON, STAFF)
    existing = await store.find_account(uow, PERSON, mobile_idx=deps.idx(mobile, MOBILE))
    if purpose in model.SERVICE_PURPOSES:  # anyone may write a letter, registered or not
        return True
    if purpose in (pb.SMS_PURPOSE_REGISTER, pb.SMS_PURPOSE_BIND_MOBILE):
        return existing is None
    return existing is not None


async def _limit_client(deps: Deps, client_ip: str) -> None:
    hour = int(store.now().timestamp() // 3600)
    if (
        client_ip
        and await deps.kv.incr(f"sms:ip:{client_ip}:{hour}", 3600) > deps.settings.sms_per_client_per_hour
    ):
        raise DomainError(
            "SMS_CLIENT_LIMIT",
            "too many codes requested from this address; try again later",
            "当前网络请求验证码过于频繁，请稍后再试",
            ErrorKind.TOO_MANY,
            retry_after_seconds=3600 - int(store.now().timestamp()) % 3600,
        )


async def _limit_mobile(deps: Deps, mobile: str) -> None:
    idx = deps.idx(mobile, MOBILE)
    if not await deps.kv.set(f"sms:gap:{idx}", "1", deps.settings.sms_resend_seconds, only_if_absent=True):
        wait = max(await deps.kv.ttl(f"sms:gap:{idx}"), 1)
        raise DomainError(
            "SMS_TOO_SOON",
            f"a code was just sent; request another in {wait} s",
            f"验证码已发送，请{wait}秒后再试",
            ErrorKind.TOO_MANY,
            retry_after_seconds=wait,
        )
    day = store.now().astimezone(SHANGHAI).date().isoformat()
    if await deps.kv.incr(f"sms:day:{idx}:{day}", 86400) > deps.settings.sms_per_mobile_per_day:
        raise DomainError(
            "SMS_DAILY_LIMIT",
            "this number has had too many codes today; try again tomorrow",
            "该手机号今日获取验证码次数已达上限，请明天再试",
            ErrorKind.TOO_MANY,
        )
