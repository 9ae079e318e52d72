"""Logging in, refreshing and logging out; the keys that sign access tokens."""

from __future__ import annotations

import logging
import secrets
from datetime import datetime, timedelta

from govhall.identity import lockout, model, sessionstore, smscodes, store
from govhall.identity.deps import ID_NUMBER, MOBILE, SESSION_ENDED, Deps, unauthenticated
from govhall.identity.model import LEGAL_PERSON, PERSON, STAFF, AccountRow
from govhall.kit.caller import current_caller
from govhall.kit.errors import forbidden, invalid
from govhall.kit.ids import new_id
from govhall.kit.kv import StoreUnavailable
from govhall.kit.validators import parse_credit_code, parse_mobile
from govhall.protos.common.v1 import common_pb2
from govhall.protos.identity.v1 import identity_pb2 as pb

log = logging.getLogger(__name__)


async def login(deps: Deps, request: pb.LoginRequest) -> pb.TokenPair:
    await lockout.limit_logins(deps, request.client_ip)
    method = request.WhichOneof("method")
    client = request.client_ip
    if method == "password":
        account = await _login_person(deps, request.password, client)
    elif method == "sms":
        account = await _login_sms(deps, request.sms)
    elif method == "legal_person":
        credit_code = parse_credit_code(request.legal_person.credit_code, field="credit_code")
        async with deps.db.reader() as uow:
            found = await store.find_account(uow, LEGAL_PERSON, credit_code=credit_code)
        account = await lockout.password_login(
            deps, found, f"x:{credit_code}", request.legal_person.password, client, lockout.LEGAL_WAY_IN
        )
    elif method == "staff":
        username = request.staff.username.strip()
        async with deps.db.reader() as uow:
            found = await store.find_by_username(uow, STAFF, username)
        key = f"x:{deps.idx(model.normalise_username(username), 'login')}"
        account = await lockout.password_login(
            deps, found, key, request.staff.password, client, lockout.STAFF_WAY_IN
        )
    elif method == "certificate":
        account = await _login_certificate(deps, request.certificate)
    else:
        raise invalid("LOGIN_METHOD_MISSING", "choose a login method", "请选择登录方式", "method")
    return await _open_session(deps, account, request.user_agent)


async def _login_person(deps: Deps, login: pb.PasswordLogin, client_ip: str) -> AccountRow:
    name = login.login_name.strip()
    kind = model.login_name_kind(name)
    async with deps.db.reader() as uow:
        if kind == "id_number":
            found = await store.find_account(uow, PERSON, id_number_idx=deps.idx(name.upper(), ID_NUMBER))
        elif kind == "mobile":
            found = await store.find_account(uow, PERSON, mobile_idx=deps.idx(name, MOBILE))
        else:
            found = await store.find_by_username(uow, PERSON, name)
    # Unknown names are counted too, under a key that does not reveal the name.
    key = f"x:{deps.idx(model.normalise_username(name), 'login')}"
    return await lockout.password_login(deps, found, key, login.password, client_ip)


async def _login_sms(deps: Deps, login: pb.SmsLogin) -> AccountRow:
    """The code proves the phone; it also lifts a lock-out, as the rightful user's way back in.

    An unknown number fails like a wrong code: no code for it was ever sent (smscodes.send)."""
    mobile = parse_mobile(login.mobile, field="mobile")
    async with deps.db.uow() as uow:
        found = await store.find_account(uow, PERSON, mobile_idx=deps.idx(mobile, MOBILE))
        await smscodes.check(deps, uow, mobile, pb.SMS_PURPOSE_LOGIN, login.sms_code)
        if found is None:
            raise smscodes.wrong_code()
        await uow.commit()
    await lockout.clear_failures(deps, found.id)
    return found


async def _login_certificate(deps: Deps, login: pb.CertificateLogin) -> AccountRow:
    credit_code = parse_credit_code(login.credit_code, field="credit_code")
    async with deps.db.reader() as uow:
        found = await store.find_account(uow, LEGAL_PERSON, credit_code=credit_code)
    ok = await deps.adapters.certificates.verify(
        credit_code, login.certificate, login.challenge, login.signature
    )
    if found is None or not ok:
        raise unauthenticated(
            "CERTIFICATE_INVALID",
            "the certificate or its signature was not accepted",
            "数字证书校验未通过",
        )
    return found


def _caller_for(account: AccountRow, session_id: str) -> common_pb2.CallerIdentity:
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


async def _open_session(deps: Deps, account: AccountRow, user_agent: str) -> pb.TokenPair:
    session_id = new_id()
    refresh = secrets.token_urlsafe(32)
    expires = store.now() + timedelta(seconds=deps.settings.refresh_token_seconds)
    async with deps.db.uow() as uow:
        await sessionstore.insert_session(uow, session_id, account.id, expires, user_agent)
        await sessionstore.insert_refresh_token(uow, deps.cipher.hash_secret(refresh), session_id, expires)
        await uow.commit()
    return await _token_pair(deps, account, session_id, refresh, expires)


async def _token_pair(
    deps: Deps, account: AccountRow, session_id: str, refresh: str, expires: datetime
) -> pb.TokenPair:
    return pb.TokenPair(
        access_token=await deps.signer.sign(_caller_for(account, session_id)),
        token_type="Bearer",
        expires_in_seconds=deps.settings.access_token_seconds,
        refresh_token=refresh,
        refresh_expires_in_seconds=max(int((expires - store.now()).total_seconds()), 0),
        account=deps.account_view(account),
    )


async def end_sessions(deps: Deps, session_ids: list[str]) -> None:
    """After the database commit: tell the gateway (shared store) the access tokens are dead."""
    if not session_ids:
        return
    try:
        await deps.revocations.revoke_sessions(session_ids)
    except StoreUnavailable:
        # The sessions are revoked in the database (identity refuses them); the gateway
        # may accept their access tokens until they expire.
        log.error("could not publish %d revoked sessions to the gateway store", len(session_ids))


async def refresh(deps: Deps, request: pb.RefreshRequest) -> pb.TokenPair:
    token_hash = deps.cipher.hash_secret(request.refresh_token)
    successor = secrets.token_urlsafe(32)
    reused: list[str] = []
    async with deps.db.uow() as uow:
        row = await sessionstore.get_refresh_token(uow, token_hash) if request.refresh_token else None
        if row is None:
            raise SESSION_ENDED
        session = await sessionstore.get_session(uow, row.session_id)
        if not sessionstore.session_live(session, store.now()):
            raise SESSION_ENDED
        if row.used_at is not None or not await sessionstore.use_refresh_token(uow, token_hash):
            # A used refresh token again: it was copied. End the whole session.
            reused = await sessionstore.revoke_session(uow, row.session_id, "refresh_token_reused")
            await uow.commit()
        else:
            account = await store.get_account(uow, session.account_id)
            assert account is not None
            await sessionstore.insert_refresh_token(
                uow, deps.cipher.hash_secret(successor), row.session_id, session.expires_at
            )
            await uow.commit()
    if reused:
        await end_sessions(deps, reused)
        raise unauthenticated(
            "REFRESH_TOKEN_REUSED",
            "this refresh token was already used; the session has been ended for safety",
            "登录凭证已被使用，为保障安全已退出登录，请重新登录",
        )
    return await _token_pair(deps, account, row.session_id, successor, store.as_utc(session.expires_at))


async def logout(deps: Deps, request: pb.LogoutRequest) -> pb.LogoutResponse:
    caller = current_caller()
    model.require_kind(
        caller,
        common_pb2.CALLER_KIND_PERSON,
        common_pb2.CALLER_KIND_LEGAL_PERSON,
        common_pb2.CALLER_KIND_STAFF,
    )
    ended: list[str] = []
    async with deps.db.uow() as uow:
        if request.refresh_token:
            row = await sessionstore.get_refresh_token(uow, deps.cipher.hash_secret(request.refresh_token))
            if row is not None and row.session_id != caller.session_id:
                raise forbidden("that refresh token belongs to another session", "该凭证不属于当前登录")
        if caller.session_id:
            # An acting token's session is its own: the agent's session (its parent) goes on.
            ended = await sessionstore.revoke_session(uow, caller.session_id, "logout")
        await uow.commit()
    await end_sessions(deps, ended)
    return pb.LogoutResponse()


async def rotate_signing_key(deps: Deps) -> pb.Jwks:
    if current_caller().kind != common_pb2.CALLER_KIND_ADMIN:
        raise forbidden("only platform administrators rotate signing keys", "仅平台管理员可轮换签名密钥")
    return await deps.signer.rotate()
