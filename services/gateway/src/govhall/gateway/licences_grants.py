"""用证授权 routes: the holder grants one of their cases' handling staff a licence (as the case's
material), lists and revokes grants and sees who read it; the case's staff read the licence and its
file while a grant lives. Licences decides every object: someone else's licence, or a licence
without a living grant, is 404."""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Callable
from typing import Any

from fastapi import APIRouter
from fastapi.responses import Response

from govhall.gateway import licences_grants_model as m
from govhall.gateway.auth import SignedIn
from govhall.gateway.cases_http import file_response
from govhall.gateway.licences_mine import FILE
from govhall.gateway.licences_mine_model import LicenceOut, licence_out
from govhall.gateway.params import IdPath, PageNo, PageSize
from govhall.gateway.upstreams import Upstreams
from govhall.protos.cases.v1 import cases_pb2
from govhall.protos.common.v1 import common_pb2
from govhall.protos.licences.v1 import grants_pb2 as pb

TAGS: list[str | Any] = ["licences"]


def grants_routes(up: Callable[[], Upstreams]) -> APIRouter:
    router = APIRouter()

    async def call(method: str, request: Any, caller: common_pb2.CallerIdentity) -> Any:
        return await up().licences.call(lambda s: getattr(s.grants, method), request, caller)

    @router.post(
        "/api/v1/me/licences/{licence_id}/grants",
        tags=TAGS,
        summary="Grant the staff handling one of my cases this licence as the case's material (用证授权); "
        "the case's material then shows the licence",
        operation_id="createLicenceGrant",
        status_code=201,
    )
    async def create(licence_id: IdPath, body: m.GrantIn, caller: SignedIn) -> m.GrantOut:
        grant: pb.Grant = await call("CreateGrant", body.request(licence_id, dt.datetime.now(dt.UTC)), caller)
        # The case's material then shows the licence: cases confirms the grant with licences
        # itself. A grant the case cannot use (a case no longer the applicant's to change) is
        # revoked again rather than left readable with nothing on the case pointing to it.
        use = cases_pb2.UseLicenceRequest(
            case_id=grant.case_id, material_code=grant.material_code, licence_id=licence_id, grant_id=grant.id
        )
        try:
            await up().cases.call(lambda s: s.UseLicence, use, caller)
        except BaseException:
            revoke = pb.RevokeGrantRequest(licence_id=licence_id, grant_id=grant.id)
            with contextlib.suppress(Exception):
                await call("RevokeGrant", revoke, caller)
            raise
        return m.grant_out(grant)

    @router.get(
        "/api/v1/me/licences/{licence_id}/grants",
        tags=TAGS,
        summary="The grants of my licence (active, expired and revoked), newest first",
        operation_id="listLicenceGrants",
    )
    async def listing(
        licence_id: IdPath, caller: SignedIn, page: PageNo = 1, page_size: PageSize = 20
    ) -> m.GrantsOut:
        request = pb.ListGrantsRequest(
            licence_id=licence_id, page=common_pb2.PageRequest(page=page, page_size=page_size)
        )
        return m.grants_out(await call("ListGrants", request, caller))

    @router.delete(
        "/api/v1/me/licences/{licence_id}/grants/{grant_id}",
        tags=TAGS,
        summary="Revoke a grant at once (revoking again keeps the first time); staff reads stop with it",
        operation_id="revokeLicenceGrant",
    )
    async def revoke(licence_id: IdPath, grant_id: IdPath, caller: SignedIn) -> m.GrantOut:
        request = pb.RevokeGrantRequest(licence_id=licence_id, grant_id=grant_id)
        return m.grant_out(await call("RevokeGrant", request, caller))

    @router.get(
        "/api/v1/me/licences/{licence_id}/accesses",
        tags=TAGS,
        summary="Who read my licence through a grant, newest first",
        operation_id="listLicenceAccesses",
    )
    async def accesses(
        licence_id: IdPath, caller: SignedIn, page: PageNo = 1, page_size: PageSize = 20
    ) -> m.AccessesOut:
        request = pb.ListAccessesRequest(
            licence_id=licence_id, page=common_pb2.PageRequest(page=page, page_size=page_size)
        )
        return m.accesses_out(await call("ListAccesses", request, caller))

    @router.get(
        "/api/v1/staff/cases/{case_id}/licences/{licence_id}",
        tags=TAGS,
        summary="A licence the applicant granted to this case (404 without a living grant); the read is recorded",
        operation_id="getGrantedLicence",
    )
    async def granted(case_id: IdPath, licence_id: IdPath, caller: SignedIn) -> LicenceOut:
        request = pb.GetGrantedLicenceRequest(case_id=case_id, licence_id=licence_id)
        return licence_out(await call("GetGrantedLicence", request, caller))

    @router.get(
        "/api/v1/staff/cases/{case_id}/licences/{licence_id}/file",
        tags=TAGS,
        summary="The file of a licence granted to this case (404 without a living grant); the read is recorded",
        operation_id="getGrantedLicenceFile",
        response_class=Response,
        responses=FILE,
    )
    async def granted_file(case_id: IdPath, licence_id: IdPath, caller: SignedIn) -> Response:
        request = pb.GetGrantedLicenceRequest(case_id=case_id, licence_id=licence_id)
        return file_response(await call("GetGrantedLicenceFile", request, caller))

    return router


__all__ = ["grants_routes"]
