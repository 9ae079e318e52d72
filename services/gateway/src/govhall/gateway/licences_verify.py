"""Verification's REST routes (the QR's target, public), the issuing department's status changes
under /api/v1/staff/licences, and the administrators' licence types. Licences authorises every
call itself (the department's deciding staff; platform administrators)."""

from __future__ import annotations

from collections.abc import Callable
from enum import Enum
from typing import Annotated, Any, Literal

from fastapi import APIRouter, File, Path, Query, UploadFile

from govhall.gateway import licences_model as views
from govhall.gateway import licences_verify_model as m
from govhall.gateway.auth import Admin, Caller, SignedIn
from govhall.gateway.cases_http import capped_body_route, file_too_large
from govhall.gateway.params import IdPath, MatterCodePath
from govhall.gateway.upstreams import Upstreams
from govhall.protos.common.v1 import common_pb2
from govhall.protos.licences.v1 import verification_pb2 as pb

TAGS: list[str | Enum] = ["licences"]
VerifyCode = Annotated[str, Query(min_length=1, max_length=64, description="the code on the licence's QR")]
TypeCodePath = Annotated[str, Path(pattern=r"^[0-9A-Z]{1,40}$", description="licence type code (GB/T 36903)")]
# licences' own bound on an authority's file (imports.MAX_BYTES); the body is capped just above it.
IMPORT_MAX_BYTES = 8 * 1024 * 1024
IssuerPath = Annotated[str, Path(pattern=r"^[0-9A-Z]{18}$", description="the issuer's credit code")]


def verify_routes(up: Callable[[], Upstreams]) -> APIRouter:
    router = APIRouter()

    async def call(service: str, method: str, request: Any, caller: common_pb2.CallerIdentity) -> Any:
        return await up().licences.call(lambda s: getattr(getattr(s, service), method), request, caller)

    @router.get(
        "/api/v1/licences/verify",
        tags=TAGS,
        summary="核验: valid, revoked, suspended or expired, with the holder masked (404 for any unknown code)",
        operation_id="verifyLicence",
        responses={404: {"description": "No licence has this code (LICENCE_NOT_FOUND), whatever the code"}},
    )
    async def verify(code: VerifyCode, caller: Caller) -> m.VerificationOut:
        return m.verification_out(await call("verification", "Verify", pb.VerifyRequest(code=code), caller))

    @router.get(
        "/api/v1/licences/status-lists/{issuer}/{purpose}",
        tags=TAGS,
        summary="An issuer's status list (W3C Bitstring Status List, revocation or suspension)",
        operation_id="getLicenceStatusList",
    )
    async def status_list(
        issuer: IssuerPath, purpose: Literal["revocation", "suspension"], caller: Caller
    ) -> m.StatusListOut:
        request = pb.GetStatusListRequest(issuer_code=issuer, purpose=purpose)
        return m.status_list_out(await call("verification", "GetStatusList", request, caller))

    for action, method, summary in (
        ("revoke", "RevokeLicence", "注销: revoke a licence the department issued, with a reason"),
        ("suspend", "SuspendLicence", "暂停: suspend a licence the department issued, with a reason"),
        ("reinstate", "ReinstateLicence", "恢复: reinstate a suspended licence, with a reason"),
    ):
        router.add_api_route(
            f"/api/v1/staff/licences/{{licence}}/{action}",
            _change(call, method),
            methods=["POST"],
            tags=TAGS,
            summary=summary + " (409 when it moved; another department's licence is 404)",
            operation_id=f"{action}Licence",
        )

    @router.post(
        "/api/v1/admin/licence-types",
        tags=TAGS,
        status_code=201,
        summary="Create a licence type (证照目录)",
        operation_id="createLicenceType",
    )
    async def create_type(body: m.NewLicenceType, caller: Admin) -> views.LicenceTypeOut:
        request = pb.SaveLicenceTypeRequest(type=m.type_message(body.code, body))
        return views.licence_type_out(await call("admin", "SaveLicenceType", request, caller))

    @router.put(
        "/api/v1/admin/licence-types/{code}",
        tags=TAGS,
        summary="Update a licence type under its revision",
        operation_id="updateLicenceType",
    )
    async def update_type(
        code: TypeCodePath, body: m.LicenceTypeUpdate, caller: Admin
    ) -> views.LicenceTypeOut:
        request = pb.SaveLicenceTypeRequest(type=m.type_message(code, body), revision=body.revision)
        return views.licence_type_out(await call("admin", "SaveLicenceType", request, caller))

    @router.put(
        "/api/v1/admin/licence-types/{code}/matters/{matter}",
        tags=TAGS,
        summary="Link a matter: its approved conclusion issues a licence of this type",
        operation_id="linkLicenceTypeMatter",
    )
    async def link(code: TypeCodePath, matter: MatterCodePath, caller: Admin) -> views.LicenceTypeOut:
        request = pb.LinkMatterRequest(type_code=code, matter_code=matter)
        return views.licence_type_out(await call("admin", "LinkMatter", request, caller))

    @router.delete(
        "/api/v1/admin/licence-types/{code}/matters/{matter}",
        tags=TAGS,
        summary="Unlink a matter from a licence type",
        operation_id="unlinkLicenceTypeMatter",
    )
    async def unlink(code: TypeCodePath, matter: MatterCodePath, caller: Admin) -> views.LicenceTypeOut:
        request = pb.LinkMatterRequest(type_code=code, matter_code=matter)
        return views.licence_type_out(await call("admin", "UnlinkMatter", request, caller))

    uploads = APIRouter(route_class=capped_body_route(IMPORT_MAX_BYTES + 64 * 1024))

    @uploads.post(
        "/api/v1/admin/licence-types/{code}/imports",
        tags=TAGS,
        summary="Import level-B licences of a type from an authority's CSV or Excel (.xlsx): a row-level report "
        "(row, field, problem), all or nothing",
        operation_id="importLicences",
        responses={413: {"description": "the file is larger than 8 MiB (FILE_TOO_LARGE)"}},
    )
    async def import_licences(
        code: TypeCodePath, caller: Admin, file: Annotated[UploadFile, File()]
    ) -> m.ImportReportOut:
        content = await file.read(IMPORT_MAX_BYTES + 1)
        if len(content) > IMPORT_MAX_BYTES:
            raise file_too_large(IMPORT_MAX_BYTES)
        request = pb.ImportLicencesRequest(
            type_code=code, filename=(file.filename or "")[:255], content=content
        )
        return m.import_report_out(await call("admin", "ImportLicences", request, caller))

    router.include_router(uploads)
    return router


def _change(call: Any, method: str) -> Any:
    async def change(licence: IdPath, body: m.StatusChangeIn, caller: SignedIn) -> m.LicenceStatusOut:
        request = pb.ChangeLicenceStatusRequest(
            licence_id=licence, reason=body.reason, revision=body.revision
        )
        return m.status_out(await call("verification", method, request, caller))

    return change


__all__ = ["verify_routes"]
