"""Natural persons (自然人): registration, real-name levels, and what they change on their account."""

from __future__ import annotations

from govhall.identity import access, events, lockout, model, sessions, sessionstore, smscodes, store
from govhall.identity.deps import ID_NUMBER, MOBILE, Deps, mobile_taken
from govhall.identity.model import LEGAL_PERSON, PERSON, STAFF, AccountRow
from govhall.kit.errors import DomainError, ErrorKind, invalid
from govhall.kit.ids import new_id
from govhall.kit.validators import parse_id_number, parse_mobile
from govhall.protos.identity.v1 import identity_pb2 as pb


async def register(deps: Deps, request: pb.RegisterPersonRequest) -> pb.Account:
    mobile = parse_mobile(request.mobile, field="mobile")
    model.check_password(request.password)
    username = model.check_username(request.username) if request.username else None
    password_hash = await deps.passwords.hash(request.password)
    account = AccountRow(
        id=new_id(),
        kind=PERSON,
        name="",
        created_at=store.now(),
        username=username,
        mobile_enc=deps.cipher.encrypt(mobile, MOBILE),
        password_hash=password_hash,
        level=pb.REAL_NAME_LEVEL_UNVERIFIED,
    )
    async with deps.db.uow() as uow:
        await smscodes.check(deps, uow, mobile, pb.SMS_PURPOSE_REGISTER, request.sms_code)
        if not await store.insert_account(
            uow, account, mobile_idx=deps.idx(mobile, MOBILE), id_number_idx=None
        ):
            if username and await store.username_taken(uow, username):
                raise _username_taken()
            raise mobile_taken()
        uow.emit(events.user_registered(account.id, PERSON, ""))
        await uow.commit()
    return deps.account_view(account)


def _username_taken() -> DomainError:
    return DomainError(
        "USERNAME_TAKEN",
        "this username is taken (names differ by more than upper and lower case)",
        "该用户名已被使用（不区分大小写）",
        ErrorKind.CONFLICT,
    )


async def set_username(deps: Deps, request: pb.SetUsernameRequest) -> pb.Account:
    """A person names (or renames) their login after registering; the old name stops working."""
    username = model.check_username(request.username.strip())
    async with deps.db.uow() as uow:
        account = await access.person(uow)
        changed = await store.update_account(
            uow, account.id, username=username, username_norm=model.normalise_username(username)
        )
        if not changed:
            raise _username_taken()
        updated = await store.get_account(uow, account.id)
        await uow.commit()
    assert updated is not None
    return deps.account_view(updated)


async def verify_real_name(deps: Deps, request: pb.VerifyRealNameRequest) -> pb.Account:
    name = model.check_person_name(request.name)
    id_number = parse_id_number(request.id_number, field="id_number")
    if not await deps.adapters.registry.matches(name, id_number):
        raise invalid(
            "REAL_NAME_MISMATCH",
            "the name and ID number do not match the population registry",
            "姓名与身份证号码不一致，请核对后重试",
            "id_number",
        )
    async with deps.db.uow() as uow:
        account = await access.person(uow)
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
            id_number_enc=deps.cipher.encrypt(id_number, ID_NUMBER),
            id_number_idx=deps.idx(id_number, ID_NUMBER),
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
    return deps.account_view(updated)


async def raise_level(deps: Deps, request: pb.RaiseLevelRequest) -> pb.Account:
    methods = {pb.STRONG_METHOD_FACE: "face", pb.STRONG_METHOD_CA: "ca"}
    if request.method not in methods:
        raise invalid(
            "STRONG_METHOD_INVALID", "method must be face or ca", "认证方式须为人脸识别或CA证书", "method"
        )
    async with deps.db.uow() as uow:
        account = await access.person(uow)
        if account.level != pb.REAL_NAME_LEVEL_REAL_NAME or account.id_number_enc is None:
            unverified = account.level < pb.REAL_NAME_LEVEL_REAL_NAME
            raise DomainError(
                "REAL_NAME_REQUIRED" if unverified else "ALREADY_VERIFIED",
                "complete real-name verification first" if unverified else "already at the high level",
                "请先完成实名认证" if unverified else "该账号已是高级实名",
                ErrorKind.WRONG_STATE,
            )
        id_number = deps.cipher.decrypt(account.id_number_enc, ID_NUMBER)
        if not await deps.adapters.strong.verify(methods[request.method], id_number, request.evidence):
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
    return deps.account_view(account)


async def get_me(deps: Deps) -> pb.Account:
    caller, account = await access.signed_in_at_once(deps.db, PERSON, LEGAL_PERSON, STAFF)
    if caller.actor_subject:  # an agent: the authorisation is read too (rarer; a reader then)
        async with deps.db.reader() as uow:
            _, account = await access.signed_in(uow, PERSON, LEGAL_PERSON, STAFF)
            await access.relation(uow, account)
    return deps.account_view(account)


async def change_password(deps: Deps, request: pb.ChangePasswordRequest) -> pb.Account:
    model.check_password(request.new_password, "new_password")
    async with deps.db.reader() as uow:
        _, account = await access.signed_in(uow, PERSON, STAFF)
    await lockout.password_login(deps, account, "", request.old_password)
    new_hash = await deps.passwords.hash(request.new_password)
    async with deps.db.uow() as uow:
        await smscodes.check(
            deps, uow, deps.mobile_of(account), pb.SMS_PURPOSE_CHANGE_PASSWORD, request.sms_code
        )
        await store.update_account(uow, account.id, password_hash=new_hash)
        ended = await sessionstore.revoke_all_sessions(uow, account.id, "password_changed")
        await uow.commit()
    await sessions.end_sessions(deps, ended)
    return deps.account_view(account)


async def reset_password(deps: Deps, request: pb.ResetPasswordRequest) -> pb.Account:
    mobile = parse_mobile(request.mobile, field="mobile")
    model.check_password(request.new_password, "new_password")
    new_hash = await deps.passwords.hash(request.new_password)
    async with deps.db.uow() as uow:
        account = await store.find_account(uow, PERSON, mobile_idx=deps.idx(mobile, MOBILE))
        # An unknown number fails like a wrong code: no code for it was ever sent.
        await smscodes.check(deps, uow, mobile, pb.SMS_PURPOSE_RESET_PASSWORD, request.sms_code)
        if account is None:
            raise smscodes.wrong_code()
        await store.update_account(uow, account.id, password_hash=new_hash)
        ended = await sessionstore.revoke_all_sessions(uow, account.id, "password_reset")
        await uow.commit()
    await sessions.end_sessions(deps, ended)
    await lockout.clear_failures(deps, account.id)
    return deps.account_view(account)


async def change_mobile(deps: Deps, request: pb.ChangeMobileRequest) -> pb.Account:
    new_mobile = parse_mobile(request.new_mobile, field="new_mobile")
    async with deps.db.reader() as uow:
        _, account = await access.signed_in(uow, PERSON, STAFF)
    await lockout.password_login(deps, account, "", request.password)
    async with deps.db.uow() as uow:
        await smscodes.check(
            deps, uow, deps.mobile_of(account), pb.SMS_PURPOSE_CHANGE_MOBILE, request.old_mobile_code
        )
        await smscodes.check(deps, uow, new_mobile, pb.SMS_PURPOSE_BIND_MOBILE, request.new_mobile_code)
        changed = await store.update_account(
            uow,
            account.id,
            mobile_enc=deps.cipher.encrypt(new_mobile, MOBILE),
            mobile_idx=deps.idx(new_mobile, MOBILE),
        )
        if not changed:
            raise mobile_taken()
        updated = await store.get_account(uow, account.id)
        await uow.commit()
    assert updated is not None
    return deps.account_view(updated)
