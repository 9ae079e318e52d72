"""用证授权 in an application: a material the matter takes from "a licence of type X" (免提交)
is provided by the applicant's licence of that type, through the grant they made at licences.

Cases keeps the reference (grant, licence, identifier, type) on the material, and it counts as
provided when the case is submitted. The client's word is not taken: cases asks licences, on the
applicant's behalf (licences' callers.json lets cases name a person or legal person for these
methods), for the licence (GetMyLicence: it is the caller's, valid, of the material's type) and
for its grants (ListGrants: the grant exists, is for this case and this material, and is alive).
Licences answers 404 for someone else's licence, and so does cases. Staff then read the licence
at licences, which records each read, only while the grant lives.
"""

from __future__ import annotations

import re
from typing import Any

import grpc
import sqlalchemy as sa

from govhall.cases import store, supplements, tables, views
from govhall.cases.applying import UPLOAD_STATES, _own_draft, _touched, applicant
from govhall.cases.records import CaseRecord
from govhall.cases.workflow import Deps, actor_for, full_view
from govhall.kit.caller import current_caller
from govhall.kit.errors import DomainError, ErrorKind, FieldError, invalid
from govhall.kit.grpcclient import call_options, domain_error
from govhall.protos.cases.v1 import cases_pb2 as pb
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.common.v1 import common_pb2
from govhall.protos.licences.v1 import grants_pb2, licences_pb2

_ID = re.compile(r"^[0-9A-Za-z-]{1,64}$")
# Grants are listed newest first and a holder makes few per licence: the one just made is on the
# first page; the bound keeps a pathological licence from costing more than this many calls.
GRANT_PAGES = 10
GRANT_PAGE_SIZE = 100


def _not_found(code: str, en: str, zh: str, field: str) -> DomainError:
    return DomainError(code, en, zh, ErrorKind.NOT_FOUND, [FieldError(field, en, zh)])


def _licence_material(rec: CaseRecord, material_code: str) -> cat.Material:
    for m in views.matter_of(rec).draft.materials:
        if m.code == material_code and m.source == cat.MATERIAL_SOURCE_LICENCE:
            return m
    raise invalid(
        "MATERIAL_NOT_FROM_LICENCE",
        "this case has no material taken from a licence with that code",
        "该办件没有此项可用电子证照提交的材料",
        "material_code",
    )


async def _ask(call: Any, request: Any, field: str) -> Any:
    try:
        return await call(request, **call_options(current_caller()))
    except grpc.aio.AioRpcError as err:
        if err.code() == grpc.StatusCode.NOT_FOUND:
            raise _not_found(
                "LICENCE_NOT_FOUND", "no such licence of yours", "未找到您的该证照", field
            ) from None
        raise domain_error(err) from None


async def _confirmed(deps: Deps, req: pb.UseLicenceRequest, material: cat.Material) -> licences_pb2.Licence:
    """The caller's licence for this material, once licences confirms a living grant of it to
    this case and material."""
    if deps.grants is None or deps.licences is None:
        raise DomainError(
            "LICENCES_UNAVAILABLE", "licences are not reachable", "电子证照暂不可用", ErrorKind.UNAVAILABLE
        )
    licence: licences_pb2.Licence = await _ask(
        deps.licences.GetMyLicence, licences_pb2.GetMyLicenceRequest(id=req.licence_id), "licence_id"
    )
    if licence.state != "valid":
        raise invalid("LICENCE_NOT_VALID", "the licence is not valid", "该证照不是有效状态", "licence_id")
    if licence.type_code != material.licence_type_code:
        raise invalid(
            "LICENCE_TYPE_MISMATCH",
            "this material takes a licence of another type",
            "该材料需要其他类型的证照",
            "licence_id",
        )
    grant: grants_pb2.Grant | None = None
    for page in range(1, GRANT_PAGES + 1):
        request = grants_pb2.ListGrantsRequest(
            licence_id=req.licence_id, page=common_pb2.PageRequest(page=page, page_size=GRANT_PAGE_SIZE)
        )
        reply: grants_pb2.ListGrantsResponse = await _ask(deps.grants.ListGrants, request, "licence_id")
        grant = next((g for g in reply.grants if g.id == req.grant_id), None)
        if grant is not None or len(reply.grants) < GRANT_PAGE_SIZE:
            break
    if grant is not None and (grant.case_id, grant.material_code, grant.state) == (
        req.case_id,
        req.material_code,
        "active",
    ):
        return licence
    raise _not_found(
        "GRANT_NOT_FOUND",
        "no living grant of this licence to this case and material",
        "该证照没有对此办件此项材料的有效授权",
        "grant_id",
    )


async def use_licence(deps: Deps, req: pb.UseLicenceRequest) -> pb.Case:
    actor = applicant(await actor_for(deps))
    for field in ("licence_id", "grant_id"):
        if not _ID.match(getattr(req, field)):
            raise invalid("ID_INVALID", f"{field} is not an id", f"{field}格式不正确", field)
    # The case and the material are checked first: licences is not asked for a refused request.
    async with deps.db.reader() as uow:
        rec = await _own_draft(deps, uow, req.case_id, actor, states=UPLOAD_STATES, for_update=False)
        material = _licence_material(rec, req.material_code)
    licence = await _confirmed(deps, req, material)
    now = deps.now()
    async with deps.db.uow() as uow:
        rec = await _own_draft(deps, uow, req.case_id, actor, states=UPLOAD_STATES)
        if rec.case.supplement is not None:
            supplements.check_material_named(rec.case.supplement, req.material_code)
        _licence_material(rec, req.material_code)
        t = tables.case_licences
        # One licence per material: using another (or a new grant) replaces the reference.
        await uow.conn.execute(
            sa.delete(t).where(t.c.case_id == rec.case.id, t.c.material_code == req.material_code)
        )
        await uow.conn.execute(
            t.insert().values(
                case_id=rec.case.id,
                material_code=req.material_code,
                grant_id=req.grant_id,
                licence_id=licence.id,
                identifier=licence.identifier,
                type_code=licence.type_code,
                type_name=licence.type_name,
                level=licence.level,
                granted_at=now,
            )
        )
        rec = _touched(rec, now)
        await store.update_case(uow, rec)
        await uow.commit()
        return await full_view(deps, uow, rec, now)
