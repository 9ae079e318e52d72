"""Staff (工作人员): accounts managed by administrators of their site or an ancestor site."""

from __future__ import annotations

from govhall.identity import access, events, lockout, model, store
from govhall.identity.deps import MOBILE, Deps, ts
from govhall.identity.model import STAFF, AccountRow
from govhall.kit.caller import current_caller
from govhall.kit.db import UnitOfWork
from govhall.kit.errors import DomainError, ErrorKind, forbidden, not_found
from govhall.kit.ids import new_id
from govhall.kit.validators import mask_mobile, parse_mobile
from govhall.protos.common.v1 import common_pb2
from govhall.protos.identity.v1 import identity_pb2 as pb


def _view(deps: Deps, account: AccountRow) -> pb.Staff:
    return pb.Staff(
        id=account.id,
        username=account.username or "",
        name=account.name,
        mobile_masked=mask_mobile(deps.mobile_of(account)) if account.mobile_enc else "",
        site_code=account.site_code or "",
        department_code=account.department_code or "",
        roles=account.roles,
        created_at=ts(account.created_at),
    )


async def _managed_site(uow: UnitOfWork, site_code: str) -> None:
    """The caller administers the site (or an ancestor of it); anyone else is refused."""
    site = await store.sites.get(uow, site_code) if site_code else None
    if site is None:
        raise not_found("site", "站点", site_code)
    caller = current_caller()
    await access.live_session(uow, caller)
    if not model.may_manage_staff(caller, site.path):
        raise forbidden(
            f"only an administrator of site {site.code} or above manages its staff",
            f"仅{site.name}或上级站点的管理员可管理其工作人员",
        )


async def create(deps: Deps, request: pb.CreateStaffRequest) -> pb.Staff:
    username = model.check_username(request.username)
    name = model.check_person_name(request.name)
    mobile = parse_mobile(request.mobile, field="mobile")
    roles = model.check_roles(list(request.roles))
    department = model.check_text(request.department_code, "department_code", "所属部门", 40)
    model.check_password(request.password)
    password_hash = await deps.passwords.hash(request.password)
    async with deps.db.uow() as uow:
        await _managed_site(uow, request.site_code)
        account = AccountRow(
            id=new_id(),
            kind=STAFF,
            name=name,
            created_at=store.now(),
            username=username,
            mobile_enc=deps.cipher.encrypt(mobile, MOBILE),
            password_hash=password_hash,
            level=pb.REAL_NAME_LEVEL_REAL_NAME,
            site_code=request.site_code,
            department_code=department,
            roles=roles,
        )
        if not await store.insert_account(
            uow, account, mobile_idx=deps.idx(mobile, MOBILE), id_number_idx=None
        ):
            raise DomainError(
                "USERNAME_TAKEN",
                "this username or mobile number is already used by another staff account",
                "该用户名或手机号已被其他工作人员账号使用",
                ErrorKind.CONFLICT,
            )
        uow.emit(events.user_registered(account.id, STAFF, name, request.site_code))
        await uow.commit()
    return _view(deps, account)


async def list_staff(deps: Deps, request: pb.ListStaffRequest) -> pb.ListStaffResponse:
    async with deps.db.reader() as uow:
        await _managed_site(uow, request.site_code)
        found = await store.list_staff(uow, request.site_code)
    return pb.ListStaffResponse(staff=[_view(deps, a) for a in found])


async def unlock(deps: Deps, request: pb.UnlockStaffRequest) -> pb.Staff:
    """Staff have no SMS way back in: their site's administrator lifts a lock-out, from every
    client at once (lockout.clear_failures)."""
    caller = current_caller()
    if not (caller.kind == common_pb2.CALLER_KIND_ADMIN or "site_admin" in caller.roles):
        raise forbidden("only site administrators unlock staff", "仅站点管理员可解锁工作人员账号")
    async with deps.db.reader() as uow:
        account = await store.get_account(uow, request.staff_id) if request.staff_id else None
        if account is None or account.kind != STAFF:
            raise not_found("staff", "工作人员", request.staff_id)
        await _managed_site(uow, account.site_code or "")
    await lockout.clear_failures(deps, account.id)
    return _view(deps, account)
