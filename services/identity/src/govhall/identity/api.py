"""Identity's gRPC servicer: translate messages, apply the rules, commit once.

Authorisation is re-checked here from the caller identity on every call: persons act on
their own account, a legal person is reached by its representative, its own login or an
agent whose authorisation is live *now* (read from this database, not from the token), and
staff are managed by site administrators of the site or an ancestor. A token whose session
has been revoked is refused here too, not only at the gateway.
"""

from __future__ import annotations

import logging
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from google.protobuf.timestamp_pb2 import Timestamp

from govhall.identity import events, model, store
from govhall.identity.adapters import Adapters
from govhall.identity.crypto import FieldCipher, Passwords
from govhall.identity.model import LEGAL_PERSON, PERSON, STAFF, AccountRow, AuthorisationRow
from govhall.identity.settings import IdentitySettings
from govhall.identity.signing import Signer
from govhall.kit.caller import current_caller
from govhall.kit.db import Database, UnitOfWork
from govhall.kit.errors import DomainError, ErrorKind, forbidden, invalid, not_found
from govhall.kit.ids import new_id
from govhall.kit.kv import KeyValueStore, StoreUnavailable
from govhall.kit.sitecopy import COUNTY
from govhall.kit.tokens import RevocationList
from govhall.kit.validators import (
    mask_id_number,
    mask_mobile,
    parse_credit_code,
    parse_id_number,
    parse_mobile,
)
from govhall.protos.common.v1 import common_pb2
from govhall.protos.identity.v1 import identity_pb2 as pb
from govhall.protos.identity.v1 import identity_pb2_grpc

log = logging.getLogger(__name__)

SHANGHAI = ZoneInfo("Asia/Shanghai")
MAX_ADDRESSES = 20
_MOBILE, _ID_NUMBER, _ADDRESS_MOBILE = "mobile", "id_number", "address_mobile"


def _ts(value: datetime | None) -> Timestamp | None:
    if value is None:
        return None
    ts = Timestamp()
    ts.FromDatetime(value)
    return ts


def _unauthenticated(code: str, message: str, message_zh: str) -> DomainError:
    return DomainError(code, message, message_zh, ErrorKind.UNAUTHENTICATED)


def _mobile_taken() -> DomainError:
    return DomainError(
        "MOBILE_TAKEN", "this mobile number is already registered", "该手机号已注册", ErrorKind.CONFLICT
    )


def _code_used() -> DomainError:
    return invalid(
        "SMS_CODE_USED", "this code has been used; request a new one", "验证码已使用，请重新获取", "sms_code"
    )


LOGIN_FAILED = _unauthenticated("LOGIN_FAILED", "wrong account or password", "账号或密码错误")
SESSION_ENDED = _unauthenticated(
    "SESSION_ENDED", "this login has ended; sign in again", "登录已失效，请重新登录"
)


class IdentityService(identity_pb2_grpc.IdentityServiceServicer):
    def __init__(
        self,
        db: Database,
        settings: IdentitySettings,
        cipher: FieldCipher,
        passwords: Passwords,
        signer: Signer,
        kv: KeyValueStore,
        adapters: Adapters,
    ) -> None:
        self._db = db
        self._s = settings
        self._cipher = cipher
        self._passwords = passwords
        self._signer = signer
        self._kv = kv
        self._revocations = RevocationList(kv, settings.access_token_seconds + 60)
        self._adapters = adapters

    # Helpers: secrets ------------------------------------------------------------------

    def _idx(self, value: str, context: str) -> str:
        return self._cipher.blind_index(value, context)

    def _mobile_of(self, account: AccountRow) -> str:
        assert account.mobile_enc is not None
        return self._cipher.decrypt(account.mobile_enc, _MOBILE)

    def _account_view(self, account: AccountRow) -> pb.Account:
        view = pb.Account(
            id=account.id,
            kind=account.kind,  # type: ignore[arg-type]
            username=account.username or account.credit_code or "",
            name=account.name,
            real_name_level=account.level,  # type: ignore[arg-type]
            created_at=_ts(account.created_at),
            site_code=account.site_code or "",
            department_code=account.department_code or "",
            roles=account.roles,
        )
        if account.mobile_enc:
            view.mobile_masked = mask_mobile(self._mobile_of(account))
        if account.id_number_enc:
            view.id_number_masked = mask_id_number(self._cipher.decrypt(account.id_number_enc, _ID_NUMBER))
        return view

    # Helpers: who is calling -----------------------------------------------------------

    async def _signed_in(self, uow: UnitOfWork, *kinds: int) -> tuple[common_pb2.CallerIdentity, AccountRow]:
        """The caller's own account, if their session is still live and their kind allowed."""
        caller = current_caller()
        model.require_kind(caller, *(model.caller_kind(k) for k in kinds))
        await self._live_session(uow, caller)
        account = await store.get_account(uow, caller.subject)
        if account is None:
            raise SESSION_ENDED
        return caller, account

    async def _live_session(self, uow: UnitOfWork, caller: common_pb2.CallerIdentity) -> None:
        """A token names its session: refuse it once the session has ended (logout, new password)."""
        if caller.session_id:
            session = await store.get_session(uow, caller.session_id)
            if not store.session_live(session, store.now()):
                raise SESSION_ENDED

    async def _person(self, uow: UnitOfWork) -> AccountRow:
        """A natural person acting for themselves (not an agent acting for a legal person)."""
        _, account = await self._signed_in(uow, PERSON)
        return account

    async def _relation(self, uow: UnitOfWork, legal_person: AccountRow) -> str:
        """How the caller may reach a legal person: representative, self, agent or admin.

        The caller's session must already have been checked (`_signed_in`, `_live_session`)."""
        caller = current_caller()
        now = store.now()
        if caller.kind in (common_pb2.CALLER_KIND_ADMIN, common_pb2.CALLER_KIND_SERVICE):
            return "admin"
        if caller.kind == common_pb2.CALLER_KIND_PERSON:
            if legal_person.representative_id == caller.subject:
                return "representative"
            if await self._live_authorisation(uow, legal_person.id, caller.subject, now):
                return "agent"
        elif caller.kind == common_pb2.CALLER_KIND_LEGAL_PERSON and caller.subject == legal_person.id:
            if not caller.actor_subject:
                return "self"
            if caller.actor_subject == legal_person.representative_id:
                return "representative"
            grant = (
                await store.get_authorisation(uow, caller.authorisation_id)
                if caller.authorisation_id
                else None
            )
            if (
                grant
                and grant.agent_id == caller.actor_subject
                and grant.status(now) == pb.AUTHORISATION_STATUS_ACTIVE
            ):
                return "agent"
            raise DomainError(
                "AUTHORISATION_ENDED",
                "your authorisation to act for this legal person has ended",
                "您对该单位的经办授权已失效",
                ErrorKind.FORBIDDEN,
            )
        # Someone else's legal person: as if it did not exist.
        raise not_found("legal person", "法人", legal_person.id)

    async def _live_authorisation(
        self, uow: UnitOfWork, legal_person_id: str, agent_id: str, now: datetime
    ) -> AuthorisationRow | None:
        live = await store.authorisations(
            uow, legal_person_id=legal_person_id, agent_id=agent_id, live_at=now
        )
        return live[0] if live else None

    async def _legal_person(self, uow: UnitOfWork, legal_person_id: str) -> AccountRow:
        account = await store.get_account(uow, legal_person_id) if legal_person_id else None
        if account is None or account.kind != LEGAL_PERSON:
            raise not_found("legal person", "法人", legal_person_id)
        return account

    # Helpers: SMS codes, lock-out, sessions --------------------------------------------

    async def _check_code(self, uow: UnitOfWork, mobile: str, purpose: int, code: str) -> None:
        """Consume a code in the caller's transaction; wrong guesses are counted outside it."""
        row = await store.latest_sms_code(uow, self._idx(mobile, _MOBILE), purpose)
        if row is None:
            raise invalid(
                "SMS_CODE_MISSING", "request a verification code first", "请先获取短信验证码", "sms_code"
            )
        if row.used_at is not None:
            raise _code_used()
        if store.code_expired(row, store.now()):
            raise invalid(
                "SMS_CODE_EXPIRED",
                "this code has expired; request a new one",
                "验证码已过期，请重新获取",
                "sms_code",
            )
        failures_key = f"sms:fail:{row.id}"
        if int(await self._kv.get(failures_key) or 0) >= self._s.sms_code_attempts:
            raise invalid(
                "SMS_CODE_VOID",
                "too many wrong tries; request a new code",
                "验证码错误次数过多，请重新获取",
                "sms_code",
            )
        if not secrets.compare_digest(row.code_hash, self._cipher.hash_secret(code.strip())):
            await self._kv.incr(failures_key, self._s.sms_code_seconds)
            raise invalid("SMS_CODE_WRONG", "the verification code is wrong", "验证码错误", "sms_code")
        if not await store.use_sms_code(uow, row.id):
            raise _code_used()

    async def _check_not_locked(self, key: str) -> None:
        try:
            failures = int(await self._kv.get(key) or 0)
            if failures < self._s.login_max_failures:
                return
            seconds = max(await self._kv.ttl(key), 1)
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

    async def _login_failed(self, key: str) -> DomainError:
        try:
            failures = await self._kv.incr(key, self._s.login_failure_window_seconds)
        except StoreUnavailable:
            return LOGIN_FAILED
        if failures >= self._s.login_max_failures:
            await self._check_not_locked(key)  # raises ACCOUNT_LOCKED with the unlock time
        left = self._s.login_max_failures - failures
        return _unauthenticated(
            "LOGIN_FAILED",
            f"wrong account or password; {left} tries left before the account is locked",
            f"账号或密码错误，还可尝试{left}次",
        )

    async def _password_login(
        self, account: AccountRow | None, failure_key: str, password: str
    ) -> AccountRow:
        key = f"lf:{account.id}" if account else failure_key
        await self._check_not_locked(key)
        if (
            not await self._passwords.verify(account.password_hash if account else None, password)
            or account is None
        ):
            raise await self._login_failed(key)
        await self._clear_failures(account.id)
        return account

    async def _clear_failures(self, account_id: str) -> None:
        try:
            await self._kv.delete(f"lf:{account_id}")
        except StoreUnavailable:
            log.warning("could not clear the login failure count")

    def _caller_for(self, account: AccountRow, session_id: str) -> common_pb2.CallerIdentity:
        return common_pb2.CallerIdentity(
            subject=account.id,
            kind=model.caller_kind(account.kind),
            name=account.name,
            roles=account.roles,
            site_code=account.site_code or "",
            department_code=account.department_code or "",
            real_name_level=account.level,
            session_id=session_id,
        )

    async def _open_session(self, account: AccountRow, user_agent: str) -> pb.TokenPair:
        session_id = new_id()
        refresh = secrets.token_urlsafe(32)
        expires = store.now() + timedelta(seconds=self._s.refresh_token_seconds)
        async with self._db.uow() as uow:
            await store.insert_session(uow, session_id, account.id, expires, user_agent)
            await store.insert_refresh_token(uow, self._cipher.hash_secret(refresh), session_id, expires)
            await uow.commit()
        return await self._token_pair(account, session_id, refresh, expires)

    async def _token_pair(
        self, account: AccountRow, session_id: str, refresh: str, expires: datetime
    ) -> pb.TokenPair:
        return pb.TokenPair(
            access_token=await self._signer.sign(self._caller_for(account, session_id)),
            token_type="Bearer",
            expires_in_seconds=self._s.access_token_seconds,
            refresh_token=refresh,
            refresh_expires_in_seconds=max(int((expires - store.now()).total_seconds()), 0),
            account=self._account_view(account),
        )

    async def _end_sessions(self, session_ids: list[str]) -> None:
        """After the database commit: tell the gateway (shared store) the access tokens are dead."""
        if not session_ids:
            return
        try:
            await self._revocations.revoke_sessions(session_ids)
        except StoreUnavailable:
            # The sessions are revoked in the database (identity refuses them); the gateway
            # may accept their access tokens until they expire.
            log.error("could not publish %d revoked sessions to the gateway store", len(session_ids))

    # SMS codes ----------------------------------------------------------------------------

    async def SendSmsCode(self, request: pb.SendSmsCodeRequest, context: Any) -> pb.SendSmsCodeResponse:
        if request.purpose not in model.SMS_PURPOSES:
            raise invalid("SMS_PURPOSE_INVALID", "unknown purpose", "验证码用途无效", "purpose")
        # The per-client limit counts every request, before anything is looked up, so probing
        # which numbers are registered costs the same as asking for codes.
        await self._limit_sms_client(request.client_ip)
        async with self._db.reader() as uow:
            if request.purpose in model.OWN_MOBILE_PURPOSES:
                _, account = await self._signed_in(uow, PERSON, STAFF)
                mobile = self._mobile_of(account)
            else:
                mobile = parse_mobile(request.mobile, field="mobile")
                await self._check_mobile_for(uow, mobile, request.purpose)
        await self._limit_sms_mobile(mobile)
        code = f"{secrets.randbelow(1_000_000):06d}"
        expires = store.now() + timedelta(seconds=self._s.sms_code_seconds)
        async with self._db.uow() as uow:
            await store.insert_sms_code(
                uow,
                new_id(),
                self._idx(mobile, _MOBILE),
                request.purpose,
                self._cipher.hash_secret(code),
                expires,
            )
            await uow.commit()
        _, purpose_zh = model.SMS_PURPOSES[request.purpose]
        minutes = self._s.sms_code_seconds // 60
        await self._adapters.sms.send(
            mobile,
            model.SMS_PURPOSES[request.purpose][0],
            code,
            f"【政务服务网】您正在{purpose_zh}，验证码{code}，{minutes}分钟内有效。请勿告知他人。",
        )
        return pb.SendSmsCodeResponse(
            expires_in_seconds=self._s.sms_code_seconds,
            resend_after_seconds=self._s.sms_resend_seconds,
            mobile_masked=mask_mobile(mobile),
        )

    async def _check_mobile_for(self, uow: UnitOfWork, mobile: str, purpose: int) -> None:
        if purpose == pb.SMS_PURPOSE_BIND_MOBILE:
            await self._signed_in(uow, PERSON, STAFF)
        existing = await store.find_account(uow, PERSON, mobile_idx=self._idx(mobile, _MOBILE))
        if purpose in (pb.SMS_PURPOSE_REGISTER, pb.SMS_PURPOSE_BIND_MOBILE) and existing:
            raise _mobile_taken()
        if purpose in (pb.SMS_PURPOSE_LOGIN, pb.SMS_PURPOSE_RESET_PASSWORD) and not existing:
            raise not_found("mobile", "手机号", mask_mobile(mobile))

    async def _limit_sms_client(self, client_ip: str) -> None:
        hour = int(store.now().timestamp() // 3600)
        if (
            client_ip
            and await self._kv.incr(f"sms:ip:{client_ip}:{hour}", 3600) > self._s.sms_per_client_per_hour
        ):
            raise DomainError(
                "SMS_CLIENT_LIMIT",
                "too many codes requested from this address; try again later",
                "当前网络请求验证码过于频繁，请稍后再试",
                ErrorKind.TOO_MANY,
            )

    async def _limit_sms_mobile(self, mobile: str) -> None:
        idx = self._idx(mobile, _MOBILE)
        if not await self._kv.set(f"sms:gap:{idx}", "1", self._s.sms_resend_seconds, only_if_absent=True):
            wait = max(await self._kv.ttl(f"sms:gap:{idx}"), 1)
            raise DomainError(
                "SMS_TOO_SOON",
                f"a code was just sent; request another in {wait} s",
                f"验证码已发送，请{wait}秒后再试",
                ErrorKind.TOO_MANY,
            )
        day = store.now().astimezone(SHANGHAI).date().isoformat()
        if await self._kv.incr(f"sms:day:{idx}:{day}", 86400) > self._s.sms_per_mobile_per_day:
            raise DomainError(
                "SMS_DAILY_LIMIT",
                "this number has had too many codes today; try again tomorrow",
                "该手机号今日获取验证码次数已达上限，请明天再试",
                ErrorKind.TOO_MANY,
            )

    # Natural persons ------------------------------------------------------------------

    async def RegisterPerson(self, request: pb.RegisterPersonRequest, context: Any) -> pb.Account:
        mobile = parse_mobile(request.mobile, field="mobile")
        model.check_password(request.password)
        username = model.check_username(request.username) if request.username else None
        password_hash = await self._passwords.hash(request.password)
        account = AccountRow(
            id=new_id(),
            kind=PERSON,
            name="",
            created_at=store.now(),
            username=username,
            mobile_enc=self._cipher.encrypt(mobile, _MOBILE),
            password_hash=password_hash,
            level=pb.REAL_NAME_LEVEL_UNVERIFIED,
        )
        async with self._db.uow() as uow:
            await self._check_code(uow, mobile, pb.SMS_PURPOSE_REGISTER, request.sms_code)
            if not await store.insert_account(
                uow, account, mobile_idx=self._idx(mobile, _MOBILE), id_number_idx=None
            ):
                if username and await store.find_account(uow, PERSON, username=username):
                    raise DomainError(
                        "USERNAME_TAKEN", "this username is taken", "该用户名已被使用", ErrorKind.CONFLICT
                    )
                raise _mobile_taken()
            uow.emit(events.user_registered(account.id, PERSON, ""))
            await uow.commit()
        return self._account_view(account)

    async def VerifyRealName(self, request: pb.VerifyRealNameRequest, context: Any) -> pb.Account:
        name = model.check_person_name(request.name)
        id_number = parse_id_number(request.id_number, field="id_number")
        if not await self._adapters.registry.matches(name, id_number):
            raise invalid(
                "REAL_NAME_MISMATCH",
                "the name and ID number do not match the population registry",
                "姓名与身份证号码不一致，请核对后重试",
                "id_number",
            )
        async with self._db.uow() as uow:
            account = await self._person(uow)
            if account.level >= pb.REAL_NAME_LEVEL_REAL_NAME:
                raise DomainError(
                    "ALREADY_VERIFIED",
                    "this account is already real-name verified",
                    "该账号已完成实名认证",
                    ErrorKind.WRONG_STATE,
                )
            changed = await store.update_account(
                uow,
                account.id,
                name=name,
                id_number_enc=self._cipher.encrypt(id_number, _ID_NUMBER),
                id_number_idx=self._idx(id_number, _ID_NUMBER),
                level=pb.REAL_NAME_LEVEL_REAL_NAME,
            )
            if not changed:
                raise DomainError(
                    "ID_NUMBER_TAKEN",
                    "this ID number is bound to another account",
                    "该身份证号已绑定其他账号，如非本人操作请联系客服",
                    ErrorKind.CONFLICT,
                )
            uow.emit(events.user_verified(account.id, pb.REAL_NAME_LEVEL_REAL_NAME, name))
            updated = await store.get_account(uow, account.id)
            await uow.commit()
        assert updated is not None
        return self._account_view(updated)

    async def RaiseLevel(self, request: pb.RaiseLevelRequest, context: Any) -> pb.Account:
        methods = {pb.STRONG_METHOD_FACE: "face", pb.STRONG_METHOD_CA: "ca"}
        if request.method not in methods:
            raise invalid(
                "STRONG_METHOD_INVALID", "method must be face or ca", "认证方式须为人脸识别或CA证书", "method"
            )
        async with self._db.uow() as uow:
            account = await self._person(uow)
            if account.level != pb.REAL_NAME_LEVEL_REAL_NAME or account.id_number_enc is None:
                raise DomainError(
                    "REAL_NAME_REQUIRED"
                    if account.level < pb.REAL_NAME_LEVEL_REAL_NAME
                    else "ALREADY_VERIFIED",
                    "complete real-name verification first"
                    if account.level < pb.REAL_NAME_LEVEL_REAL_NAME
                    else "already at the high level",
                    "请先完成实名认证"
                    if account.level < pb.REAL_NAME_LEVEL_REAL_NAME
                    else "该账号已是高级实名",
                    ErrorKind.WRONG_STATE,
                )
            id_number = self._cipher.decrypt(account.id_number_enc, _ID_NUMBER)
            if not await self._adapters.strong.verify(methods[request.method], id_number, request.evidence):
                raise DomainError(
                    "STRONG_AUTH_FAILED",
                    "the face or certificate check failed",
                    "人脸识别或证书校验未通过",
                    ErrorKind.FORBIDDEN,
                )
            await store.update_account(uow, account.id, level=pb.REAL_NAME_LEVEL_HIGH)
            uow.emit(events.user_verified(account.id, pb.REAL_NAME_LEVEL_HIGH, account.name))
            account.level = pb.REAL_NAME_LEVEL_HIGH
            await uow.commit()
        return self._account_view(account)

    async def GetMe(self, request: pb.GetMeRequest, context: Any) -> pb.Account:
        async with self._db.reader() as uow:
            caller, account = await self._signed_in(uow, PERSON, LEGAL_PERSON, STAFF)
            if caller.actor_subject:
                await self._relation(uow, account)
        return self._account_view(account)

    async def ChangePassword(self, request: pb.ChangePasswordRequest, context: Any) -> pb.Account:
        model.check_password(request.new_password, "new_password")
        async with self._db.reader() as uow:
            _, account = await self._signed_in(uow, PERSON, STAFF)
        await self._password_login(account, "", request.old_password)
        new_hash = await self._passwords.hash(request.new_password)
        async with self._db.uow() as uow:
            await self._check_code(
                uow, self._mobile_of(account), pb.SMS_PURPOSE_CHANGE_PASSWORD, request.sms_code
            )
            await store.update_account(uow, account.id, password_hash=new_hash)
            ended = await store.revoke_all_sessions(uow, account.id, "password_changed")
            await uow.commit()
        await self._end_sessions(ended)
        return self._account_view(account)

    async def ResetPassword(self, request: pb.ResetPasswordRequest, context: Any) -> pb.Account:
        mobile = parse_mobile(request.mobile, field="mobile")
        model.check_password(request.new_password, "new_password")
        new_hash = await self._passwords.hash(request.new_password)
        async with self._db.uow() as uow:
            account = await store.find_account(uow, PERSON, mobile_idx=self._idx(mobile, _MOBILE))
            if account is None:
                raise not_found("mobile", "手机号", mask_mobile(mobile))
            await self._check_code(uow, mobile, pb.SMS_PURPOSE_RESET_PASSWORD, request.sms_code)
            await store.update_account(uow, account.id, password_hash=new_hash)
            ended = await store.revoke_all_sessions(uow, account.id, "password_reset")
            await uow.commit()
        await self._end_sessions(ended)
        await self._clear_failures(account.id)
        return self._account_view(account)

    async def ChangeMobile(self, request: pb.ChangeMobileRequest, context: Any) -> pb.Account:
        new_mobile = parse_mobile(request.new_mobile, field="new_mobile")
        async with self._db.reader() as uow:
            _, account = await self._signed_in(uow, PERSON, STAFF)
        await self._password_login(account, "", request.password)
        async with self._db.uow() as uow:
            await self._check_code(
                uow, self._mobile_of(account), pb.SMS_PURPOSE_CHANGE_MOBILE, request.old_mobile_code
            )
            await self._check_code(uow, new_mobile, pb.SMS_PURPOSE_BIND_MOBILE, request.new_mobile_code)
            changed = await store.update_account(
                uow,
                account.id,
                mobile_enc=self._cipher.encrypt(new_mobile, _MOBILE),
                mobile_idx=self._idx(new_mobile, _MOBILE),
            )
            if not changed:
                raise _mobile_taken()
            updated = await store.get_account(uow, account.id)
            await uow.commit()
        assert updated is not None
        return self._account_view(updated)

    # Sessions -------------------------------------------------------------------------

    async def Login(self, request: pb.LoginRequest, context: Any) -> pb.TokenPair:
        await self._limit_logins(request.client_ip)
        method = request.WhichOneof("method")
        if method == "password":
            account = await self._login_person(request.password)
        elif method == "sms":
            mobile = parse_mobile(request.sms.mobile, field="mobile")
            async with self._db.uow() as uow:
                found = await store.find_account(uow, PERSON, mobile_idx=self._idx(mobile, _MOBILE))
                if found is None:
                    raise not_found("mobile", "手机号", mask_mobile(mobile))
                await self._check_code(uow, mobile, pb.SMS_PURPOSE_LOGIN, request.sms.sms_code)
                await uow.commit()
            account = found
        elif method == "legal_person":
            credit_code = parse_credit_code(request.legal_person.credit_code, field="credit_code")
            async with self._db.reader() as uow:
                found = await store.find_account(uow, LEGAL_PERSON, credit_code=credit_code)
            account = await self._password_login(found, f"lf:x:{credit_code}", request.legal_person.password)
        elif method == "staff":
            async with self._db.reader() as uow:
                found = await store.find_account(uow, STAFF, username=request.staff.username.strip())
            key = f"lf:x:{self._idx(request.staff.username.strip().lower(), 'login')}"
            account = await self._password_login(found, key, request.staff.password)
        elif method == "certificate":
            account = await self._login_certificate(request.certificate)
        else:
            raise invalid("LOGIN_METHOD_MISSING", "choose a login method", "请选择登录方式", "method")
        return await self._open_session(account, request.user_agent)

    async def _limit_logins(self, client_ip: str) -> None:
        """Each password check costs tens of milliseconds of CPU: one client gets a fair share."""
        if not client_ip:
            return
        minute = int(store.now().timestamp() // 60)
        try:
            count = await self._kv.incr(f"login:ip:{client_ip}:{minute}", 120)
        except StoreUnavailable:
            log.warning("login rate store unavailable; not limiting logins per client")
            return
        if count > self._s.logins_per_client_per_minute:
            raise DomainError(
                "LOGIN_CLIENT_LIMIT",
                "too many logins from this address; wait a minute",
                "当前网络登录请求过于频繁，请一分钟后再试",
                ErrorKind.TOO_MANY,
            )

    async def _login_person(self, login: pb.PasswordLogin) -> AccountRow:
        name = login.login_name.strip()
        kind = model.login_name_kind(name)
        async with self._db.reader() as uow:
            if kind == "id_number":
                found = await store.find_account(
                    uow, PERSON, id_number_idx=self._idx(name.upper(), _ID_NUMBER)
                )
            elif kind == "mobile":
                found = await store.find_account(uow, PERSON, mobile_idx=self._idx(name, _MOBILE))
            else:
                found = await store.find_account(uow, PERSON, username=name)
        # Unknown names are counted too, under a key that does not reveal the name.
        return await self._password_login(found, f"lf:x:{self._idx(name.lower(), 'login')}", login.password)

    async def _login_certificate(self, login: pb.CertificateLogin) -> AccountRow:
        credit_code = parse_credit_code(login.credit_code, field="credit_code")
        async with self._db.reader() as uow:
            found = await store.find_account(uow, LEGAL_PERSON, credit_code=credit_code)
        ok = await self._adapters.certificates.verify(
            credit_code, login.certificate, login.challenge, login.signature
        )
        if found is None or not ok:
            raise _unauthenticated(
                "CERTIFICATE_INVALID",
                "the certificate or its signature was not accepted",
                "数字证书校验未通过",
            )
        return found

    async def Refresh(self, request: pb.RefreshRequest, context: Any) -> pb.TokenPair:
        token_hash = self._cipher.hash_secret(request.refresh_token)
        successor = secrets.token_urlsafe(32)
        reused_session: str | None = None
        async with self._db.uow() as uow:
            row = await store.get_refresh_token(uow, token_hash) if request.refresh_token else None
            if row is None:
                raise SESSION_ENDED
            session = await store.get_session(uow, row.session_id)
            if not store.session_live(session, store.now()):
                raise SESSION_ENDED
            if row.used_at is not None or not await store.use_refresh_token(uow, token_hash):
                # A used refresh token again: it was copied. End the whole session.
                await store.revoke_session(uow, row.session_id, "refresh_token_reused")
                reused_session = row.session_id
                await uow.commit()
            else:
                account = await store.get_account(uow, session.account_id)
                assert account is not None
                await store.insert_refresh_token(
                    uow, self._cipher.hash_secret(successor), row.session_id, session.expires_at
                )
                await uow.commit()
        if reused_session:
            await self._end_sessions([reused_session])
            raise _unauthenticated(
                "REFRESH_TOKEN_REUSED",
                "this refresh token was already used; the session has been ended for safety",
                "登录凭证已被使用，为保障安全已退出登录，请重新登录",
            )
        return await self._token_pair(account, row.session_id, successor, store.as_utc(session.expires_at))

    async def Logout(self, request: pb.LogoutRequest, context: Any) -> pb.LogoutResponse:
        caller = current_caller()
        model.require_kind(
            caller,
            common_pb2.CALLER_KIND_PERSON,
            common_pb2.CALLER_KIND_LEGAL_PERSON,
            common_pb2.CALLER_KIND_STAFF,
        )
        ended = [caller.session_id] if caller.session_id else []
        async with self._db.uow() as uow:
            if request.refresh_token:
                row = await store.get_refresh_token(uow, self._cipher.hash_secret(request.refresh_token))
                if row is not None and row.session_id != caller.session_id:
                    raise forbidden("that refresh token belongs to another session", "该凭证不属于当前登录")
            for session_id in ended:
                await store.revoke_session(uow, session_id, "logout")
            await uow.commit()
        await self._end_sessions(ended)
        return pb.LogoutResponse()

    async def GetJwks(self, request: pb.GetJwksRequest, context: Any) -> pb.Jwks:
        return await self._signer.jwks()

    async def RotateSigningKey(self, request: pb.RotateSigningKeyRequest, context: Any) -> pb.Jwks:
        if current_caller().kind != common_pb2.CALLER_KIND_ADMIN:
            raise forbidden("only platform administrators rotate signing keys", "仅平台管理员可轮换签名密钥")
        return await self._signer.rotate()

    # Addresses ------------------------------------------------------------------------

    async def _address_owner(self, uow: UnitOfWork) -> str:
        caller, account = await self._signed_in(uow, PERSON, LEGAL_PERSON)
        if caller.actor_subject:
            await self._relation(uow, account)
        return account.id

    async def _address_view(self, uow: UnitOfWork, rows: list[Any], *, full_mobile: bool) -> list[pb.Address]:
        counties = await store.sites.get_many(uow, [r.county_code for r in rows])
        ancestors = await store.sites.get_many(uow, [code for c in counties.values() for code in c.path])
        out = []
        for r in rows:
            county = counties.get(r.county_code)
            names = [ancestors[c].name for c in (county.path if county else []) if c in ancestors]
            mobile = self._cipher.decrypt(r.mobile_enc, _ADDRESS_MOBILE)
            out.append(
                pb.Address(
                    id=r.id,
                    recipient=r.recipient,
                    mobile=mobile if full_mobile else mask_mobile(mobile),
                    county_code=r.county_code,
                    province_name=names[0] if len(names) > 0 else "",
                    city_name=names[1] if len(names) > 2 else "",
                    county_name=names[-1] if names else "",
                    detail=r.detail,
                    postal_code=r.postal_code,
                    is_default=r.is_default,
                )
            )
        return out

    async def ListAddresses(self, request: pb.ListAddressesRequest, context: Any) -> pb.ListAddressesResponse:
        async with self._db.reader() as uow:
            if current_caller().kind == common_pb2.CALLER_KIND_SERVICE:
                owner, full = request.owner_id, True
            else:
                owner, full = await self._address_owner(uow), False
            rows = await store.list_addresses(uow, owner)
            return pb.ListAddressesResponse(addresses=await self._address_view(uow, rows, full_mobile=full))

    async def SaveAddress(self, request: pb.SaveAddressRequest, context: Any) -> pb.Address:
        values: dict[str, Any] = {
            "recipient": model.check_text(request.recipient, "recipient", "收件人", 60),
            "mobile_enc": self._cipher.encrypt(parse_mobile(request.mobile, field="mobile"), _ADDRESS_MOBILE),
            "detail": model.check_text(request.detail, "detail", "详细地址", 200),
            "postal_code": request.postal_code.strip(),
            "is_default": request.is_default,
        }
        if values["postal_code"] and not (
            len(values["postal_code"]) == 6 and values["postal_code"].isdigit()
        ):
            raise invalid(
                "POSTAL_CODE_INVALID", "a postal code is 6 digits", "邮政编码应为6位数字", "postal_code"
            )
        async with self._db.uow() as uow:
            owner = await self._address_owner(uow)
            county = await store.sites.get(uow, request.county_code) if request.county_code else None
            if county is None or county.level != COUNTY:
                raise invalid(
                    "COUNTY_INVALID",
                    "choose a county (区县) from the site list",
                    "请从列表中选择所在区县",
                    "county_code",
                )
            values["county_code"] = county.code
            values["owner_id"] = owner
            if request.id:
                existing = await store.get_address(uow, request.id)
                if existing is None or existing.owner_id != owner:
                    raise not_found("address", "地址", request.id)
                values["id"] = request.id
            else:
                if await store.count_addresses(uow, owner) >= MAX_ADDRESSES:
                    raise invalid(
                        "ADDRESS_LIMIT",
                        f"at most {MAX_ADDRESSES} addresses",
                        f"最多保存{MAX_ADDRESSES}个地址",
                    )
                values["id"] = new_id()
                # The first address is the default whatever the request says.
                values["is_default"] = values["is_default"] or await store.count_addresses(uow, owner) == 0
            await store.save_address(uow, values, new=not request.id)
            saved = await store.get_address(uow, values["id"])
            view = (await self._address_view(uow, [saved], full_mobile=False))[0]
            await uow.commit()
        return view

    async def DeleteAddress(self, request: pb.DeleteAddressRequest, context: Any) -> pb.DeleteAddressResponse:
        async with self._db.uow() as uow:
            owner = await self._address_owner(uow)
            existing = await store.get_address(uow, request.id) if request.id else None
            if existing is None or existing.owner_id != owner:
                raise not_found("address", "地址", request.id)
            await store.delete_address(uow, request.id)
            remaining = await store.list_addresses(uow, owner)
            if existing.is_default and remaining:
                values = dict(remaining[-1]._mapping)
                values["is_default"] = True
                await store.save_address(uow, values, new=False)
            await uow.commit()
        return pb.DeleteAddressResponse()

    # Legal persons and agents ---------------------------------------------------------

    def _legal_person_view(
        self,
        account: AccountRow,
        representative: AccountRow | None,
        relation: str,
        grant: AuthorisationRow | None = None,
    ) -> pb.LegalPerson:
        view = pb.LegalPerson(
            id=account.id,
            credit_code=account.credit_code or "",
            name=account.name,
            type=account.legal_person_type,  # type: ignore[arg-type]
            representative_id=account.representative_id or "",
            representative_name=representative.name if representative else "",
            created_at=_ts(account.created_at),
            relation=relation,
            scopes=grant.scopes if grant else (sorted(model.SCOPES) if relation != "admin" else []),
        )
        if grant:
            view.authorised_until.FromDatetime(grant.expires_at)
        return view

    async def RegisterLegalPerson(
        self, request: pb.RegisterLegalPersonRequest, context: Any
    ) -> pb.LegalPerson:
        credit_code = parse_credit_code(request.credit_code, field="credit_code")
        name = model.check_text(request.name, "name", "单位名称", 200)
        if (
            request.type not in pb.LegalPersonType.values()
            or request.type == pb.LEGAL_PERSON_TYPE_UNSPECIFIED
        ):
            raise invalid(
                "LEGAL_PERSON_TYPE_INVALID", "choose the type of legal person", "请选择法人类型", "type"
            )
        model.check_password(request.password)
        password_hash = await self._passwords.hash(request.password)
        async with self._db.uow() as uow:
            representative = await self._person(uow)
            if representative.level < pb.REAL_NAME_LEVEL_REAL_NAME:
                raise DomainError(
                    "REAL_NAME_REQUIRED",
                    "the legal representative must complete real-name verification first",
                    "法定代表人须先完成个人实名认证",
                    ErrorKind.FORBIDDEN,
                )
            account = AccountRow(
                id=new_id(),
                kind=LEGAL_PERSON,
                name=name,
                created_at=store.now(),
                password_hash=password_hash,
                level=pb.REAL_NAME_LEVEL_REAL_NAME,
                credit_code=credit_code,
                legal_person_type=request.type,
                representative_id=representative.id,
            )
            if not await store.insert_account(uow, account, mobile_idx=None, id_number_idx=None):
                raise DomainError(
                    "CREDIT_CODE_TAKEN",
                    "a legal person with this credit code is already registered",
                    "该统一社会信用代码已注册",
                    ErrorKind.CONFLICT,
                )
            uow.emit(events.user_registered(account.id, LEGAL_PERSON, name))
            await uow.commit()
        return self._legal_person_view(account, representative, "representative")

    async def GetLegalPerson(self, request: pb.GetLegalPersonRequest, context: Any) -> pb.LegalPerson:
        async with self._db.reader() as uow:
            await self._live_session(uow, current_caller())
            legal_person = await self._legal_person(uow, request.id)
            relation = await self._relation(uow, legal_person)
            caller = current_caller()
            agent_id = caller.actor_subject or caller.subject
            grant = (
                await self._live_authorisation(uow, legal_person.id, agent_id, store.now())
                if relation == "agent"
                else None
            )
            representative = await store.get_account(uow, legal_person.representative_id or "")
        return self._legal_person_view(legal_person, representative, relation, grant)

    async def ListMyLegalPersons(
        self, request: pb.ListMyLegalPersonsRequest, context: Any
    ) -> pb.ListMyLegalPersonsResponse:
        async with self._db.reader() as uow:
            person = await self._person(uow)
            own = await store.legal_persons_represented(uow, person.id)
            grants = await store.authorisations(uow, agent_id=person.id, live_at=store.now())
            others = await store.accounts_by_id(uow, [g.legal_person_id for g in grants])
            reps = await store.accounts_by_id(
                uow, [a.representative_id or "" for a in [*own, *others.values()]]
            )
        out = [self._legal_person_view(lp, person, "representative") for lp in own]
        out += [
            self._legal_person_view(
                others[g.legal_person_id],
                reps.get(others[g.legal_person_id].representative_id or ""),
                "agent",
                g,
            )
            for g in grants
            if g.legal_person_id in others
        ]
        return pb.ListMyLegalPersonsResponse(legal_persons=out)

    async def _manageable(self, uow: UnitOfWork, legal_person_id: str) -> AccountRow:
        await self._live_session(uow, current_caller())
        legal_person = await self._legal_person(uow, legal_person_id)
        if await self._relation(uow, legal_person) not in ("representative", "self"):
            raise forbidden(
                "only the legal representative manages agents", "仅法定代表人或单位账号可管理经办人授权"
            )
        return legal_person

    def _authorisation_view(
        self, grant: AuthorisationRow, legal_person: AccountRow, agent: AccountRow | None
    ) -> pb.AgentAuthorisation:
        view = pb.AgentAuthorisation(
            id=grant.id,
            legal_person_id=legal_person.id,
            legal_person_name=legal_person.name,
            agent_id=grant.agent_id,
            agent_name=agent.name if agent else "",
            agent_mobile_masked=mask_mobile(self._mobile_of(agent)) if agent and agent.mobile_enc else "",
            scopes=grant.scopes,
            expires_at=_ts(grant.expires_at),
            status=grant.status(store.now()),  # type: ignore[arg-type]
            created_at=_ts(grant.created_at),
        )
        if grant.revoked_at:
            view.revoked_at.FromDatetime(grant.revoked_at)
        return view

    async def AuthoriseAgent(self, request: pb.AuthoriseAgentRequest, context: Any) -> pb.AgentAuthorisation:
        name = model.check_person_name(request.agent_name, "agent_name")
        id_number = parse_id_number(request.agent_id_number, field="agent_id_number")
        scopes = model.check_scopes(list(request.scopes))
        now = store.now()
        if not request.HasField("expires_at"):
            raise invalid(
                "AUTHORISATION_EXPIRY_INVALID",
                "set when the authorisation ends",
                "请设置授权截止时间",
                "expires_at",
            )
        expires_at = model.check_authorisation_expiry(request.expires_at.ToDatetime(tzinfo=UTC), now)
        async with self._db.uow() as uow:
            legal_person = await self._manageable(uow, request.legal_person_id)
            agent = await store.find_account(uow, PERSON, id_number_idx=self._idx(id_number, _ID_NUMBER))
            if agent is None or agent.name != name or agent.level < pb.REAL_NAME_LEVEL_REAL_NAME:
                raise DomainError(
                    "AGENT_NOT_FOUND",
                    "no real-name verified person with that name and ID number",
                    "未找到该实名用户，请核对姓名和身份证号，并确认其已完成实名认证",
                    ErrorKind.NOT_FOUND,
                )
            if agent.id == legal_person.representative_id:
                raise invalid(
                    "AGENT_IS_REPRESENTATIVE",
                    "the legal representative needs no authorisation",
                    "法定代表人无需授权",
                )
            if await self._live_authorisation(uow, legal_person.id, agent.id, now):
                raise DomainError(
                    "AGENT_ALREADY_AUTHORISED",
                    "this person already holds a live authorisation; revoke it first to change it",
                    "该经办人已有有效授权，如需变更请先撤销",
                    ErrorKind.CONFLICT,
                )
            grant = AuthorisationRow(new_id(), legal_person.id, agent.id, scopes, expires_at, now)
            await store.insert_authorisation(uow, grant)
            view = self._authorisation_view(grant, legal_person, agent)
            uow.emit(events.agent_authorised(view))
            await uow.commit()
        return view

    async def RevokeAgent(self, request: pb.RevokeAgentRequest, context: Any) -> pb.AgentAuthorisation:
        now = store.now()
        async with self._db.uow() as uow:
            legal_person = await self._manageable(uow, request.legal_person_id)
            grant = await store.get_authorisation(uow, request.authorisation_id, for_update=True)
            if grant is None or grant.legal_person_id != legal_person.id:
                raise not_found("authorisation", "授权", request.authorisation_id)
            if grant.status(now) != pb.AUTHORISATION_STATUS_ACTIVE:
                raise DomainError(
                    "AUTHORISATION_NOT_ACTIVE",
                    "this authorisation has already ended",
                    "该授权已失效",
                    ErrorKind.WRONG_STATE,
                )
            await store.revoke_authorisation(uow, grant.id, now)
            grant.revoked_at = now
            agent = await store.get_account(uow, grant.agent_id)
            view = self._authorisation_view(grant, legal_person, agent)
            uow.emit(events.agent_revoked(view))
            await uow.commit()
        try:
            await self._revocations.revoke_authorisation(grant.id)
        except StoreUnavailable:
            log.error("could not publish a revoked authorisation to the gateway store")
        return view

    async def ListAgents(self, request: pb.ListAgentsRequest, context: Any) -> pb.ListAgentsResponse:
        async with self._db.reader() as uow:
            legal_person = await self._manageable(uow, request.legal_person_id)
            grants = await store.authorisations(uow, legal_person_id=legal_person.id)
            agents = await store.accounts_by_id(uow, [g.agent_id for g in grants])
        return pb.ListAgentsResponse(
            authorisations=[self._authorisation_view(g, legal_person, agents.get(g.agent_id)) for g in grants]
        )

    async def ActAs(self, request: pb.ActAsRequest, context: Any) -> pb.TokenPair:
        async with self._db.reader() as uow:
            caller = current_caller()
            person = await self._person(uow)
            legal_person = await self._legal_person(uow, request.legal_person_id)
            relation = await self._relation(uow, legal_person)
            grant = (
                await self._live_authorisation(uow, legal_person.id, person.id, store.now())
                if relation == "agent"
                else None
            )
        if relation not in ("representative", "agent"):
            raise not_found("legal person", "法人", request.legal_person_id)
        acting = common_pb2.CallerIdentity(
            subject=legal_person.id,
            kind=common_pb2.CALLER_KIND_LEGAL_PERSON,
            name=legal_person.name,
            actor_subject=person.id,
            authorisation_id=grant.id if grant else "",
            scopes=grant.scopes if grant else sorted(model.SCOPES),
            real_name_level=person.level,
            # The agent's own session: logging out ends the acting token too.
            session_id=caller.session_id,
        )
        # An agent's token ends with the authorisation, not only when it is revoked.
        expires_in = self._s.access_token_seconds
        if grant:
            expires_in = max(1, min(expires_in, int((grant.expires_at - store.now()).total_seconds())))
        return pb.TokenPair(
            access_token=await self._signer.sign(acting, expires_in),
            token_type="Bearer",
            expires_in_seconds=expires_in,
            account=self._account_view(legal_person),
        )

    async def CheckAgent(self, request: pb.CheckAgentRequest, context: Any) -> pb.CheckAgentResponse:
        caller = current_caller()
        if caller.kind not in (common_pb2.CALLER_KIND_SERVICE, common_pb2.CALLER_KIND_ADMIN):
            raise forbidden("only services ask this", "仅限系统服务调用")
        async with self._db.reader() as uow:
            legal_person = await self._legal_person(uow, request.legal_person_id)
            if legal_person.representative_id == request.agent_id:
                return pb.CheckAgentResponse(allowed=True)
            grant = await self._live_authorisation(uow, legal_person.id, request.agent_id, store.now())
        if grant is None or (request.scope and request.scope not in grant.scopes):
            return pb.CheckAgentResponse(allowed=False)
        return pb.CheckAgentResponse(
            allowed=True, authorisation_id=grant.id, expires_at=_ts(grant.expires_at)
        )

    # Staff ----------------------------------------------------------------------------

    def _staff_view(self, account: AccountRow) -> pb.Staff:
        return pb.Staff(
            id=account.id,
            username=account.username or "",
            name=account.name,
            mobile_masked=mask_mobile(self._mobile_of(account)) if account.mobile_enc else "",
            site_code=account.site_code or "",
            department_code=account.department_code or "",
            roles=account.roles,
            created_at=_ts(account.created_at),
        )

    async def _managed_site(self, uow: UnitOfWork, site_code: str) -> None:
        site = await store.sites.get(uow, site_code) if site_code else None
        if site is None:
            raise not_found("site", "站点", site_code)
        caller = current_caller()
        await self._live_session(uow, caller)
        if not model.may_manage_staff(caller, site.path):
            raise forbidden(
                f"only an administrator of site {site.code} or above manages its staff",
                f"仅{site.name}或上级站点的管理员可管理其工作人员",
            )

    async def CreateStaff(self, request: pb.CreateStaffRequest, context: Any) -> pb.Staff:
        username = model.check_username(request.username)
        name = model.check_person_name(request.name)
        mobile = parse_mobile(request.mobile, field="mobile")
        roles = model.check_roles(list(request.roles))
        department = model.check_text(request.department_code, "department_code", "所属部门", 40)
        model.check_password(request.password)
        password_hash = await self._passwords.hash(request.password)
        async with self._db.uow() as uow:
            await self._managed_site(uow, request.site_code)
            account = AccountRow(
                id=new_id(),
                kind=STAFF,
                name=name,
                created_at=store.now(),
                username=username,
                mobile_enc=self._cipher.encrypt(mobile, _MOBILE),
                password_hash=password_hash,
                level=pb.REAL_NAME_LEVEL_REAL_NAME,
                site_code=request.site_code,
                department_code=department,
                roles=roles,
            )
            if not await store.insert_account(
                uow, account, mobile_idx=self._idx(mobile, _MOBILE), id_number_idx=None
            ):
                raise DomainError(
                    "USERNAME_TAKEN",
                    "this username or mobile number is already used by another staff account",
                    "该用户名或手机号已被其他工作人员账号使用",
                    ErrorKind.CONFLICT,
                )
            uow.emit(events.user_registered(account.id, STAFF, name, request.site_code))
            await uow.commit()
        return self._staff_view(account)

    async def ListStaff(self, request: pb.ListStaffRequest, context: Any) -> pb.ListStaffResponse:
        async with self._db.reader() as uow:
            await self._managed_site(uow, request.site_code)
            found = await store.list_staff(uow, request.site_code)
        return pb.ListStaffResponse(staff=[self._staff_view(a) for a in found])
