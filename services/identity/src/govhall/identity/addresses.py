"""Delivery addresses (快递地址) of persons and legal persons; cases reads them to mail results."""

from __future__ import annotations

from typing import Any

from govhall.identity import access, store
from govhall.identity.deps import ADDRESS_MOBILE, Deps
from govhall.identity.model import LEGAL_PERSON, PERSON, check_text
from govhall.kit.caller import current_caller
from govhall.kit.db import UnitOfWork
from govhall.kit.errors import invalid, not_found
from govhall.kit.ids import new_id
from govhall.kit.validators import mask_mobile, parse_mobile
from govhall.protos.common.v1 import common_pb2
from govhall.protos.identity.v1 import identity_pb2 as pb
from govhall.sitecopy import COUNTY

MAX_ADDRESSES = 20


#: The address book serves applications (where results are mailed): an agent reads it with
#: cases.view and changes it only with cases.apply.
READ_SCOPE, WRITE_SCOPE = "cases.view", "cases.apply"


async def _owner(uow: UnitOfWork, scope: str) -> str:
    caller, account = await access.signed_in(uow, PERSON, LEGAL_PERSON)
    if caller.actor_subject:
        await access.relation(uow, account)
        await access.agent_may(uow, scope)
    return account.id


async def _views(deps: Deps, uow: UnitOfWork, rows: list[Any], *, full_mobile: bool) -> list[pb.Address]:
    counties = await store.sites.get_many(uow, [r.county_code for r in rows])
    ancestors = await store.sites.get_many(uow, [code for c in counties.values() for code in c.path])
    out = []
    for r in rows:
        county = counties.get(r.county_code)
        names = [ancestors[c].name for c in (county.path if county else []) if c in ancestors]
        mobile = deps.cipher.decrypt(r.mobile_enc, ADDRESS_MOBILE)
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


async def list_addresses(deps: Deps, request: pb.ListAddressesRequest) -> pb.ListAddressesResponse:
    async with deps.db.reader() as uow:
        if current_caller().kind == common_pb2.CALLER_KIND_SERVICE:
            owner, full = request.owner_id, True
        else:
            owner, full = await _owner(uow, READ_SCOPE), False
        rows = await store.list_addresses(uow, owner)
        return pb.ListAddressesResponse(addresses=await _views(deps, uow, rows, full_mobile=full))


async def save(deps: Deps, request: pb.SaveAddressRequest) -> pb.Address:
    values: dict[str, Any] = {
        "recipient": check_text(request.recipient, "recipient", "收件人", 60),
        "mobile_enc": deps.cipher.encrypt(parse_mobile(request.mobile, field="mobile"), ADDRESS_MOBILE),
        "detail": check_text(request.detail, "detail", "详细地址", 200),
        "postal_code": request.postal_code.strip(),
        "is_default": request.is_default,
    }
    if values["postal_code"] and not (len(values["postal_code"]) == 6 and values["postal_code"].isdigit()):
        raise invalid(
            "POSTAL_CODE_INVALID", "a postal code is 6 digits", "邮政编码应为6位数字", "postal_code"
        )
    async with deps.db.uow() as uow:
        owner = await _owner(uow, WRITE_SCOPE)
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
                    "ADDRESS_LIMIT", f"at most {MAX_ADDRESSES} addresses", f"最多保存{MAX_ADDRESSES}个地址"
                )
            values["id"] = new_id()
            # The first address is the default whatever the request says.
            values["is_default"] = values["is_default"] or await store.count_addresses(uow, owner) == 0
        await store.save_address(uow, values, new=not request.id)
        saved = await store.get_address(uow, values["id"])
        view = (await _views(deps, uow, [saved], full_mobile=False))[0]
        await uow.commit()
    return view


async def delete(deps: Deps, request: pb.DeleteAddressRequest) -> pb.DeleteAddressResponse:
    async with deps.db.uow() as uow:
        owner = await _owner(uow, WRITE_SCOPE)
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
