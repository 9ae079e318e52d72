"""Licences' REST routes: the licence types (public); licences, verification, grants and the
cloud drive join here as they are built. Every object is authorised by licences itself."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Path

from govhall.gateway import licences_model as views
from govhall.gateway.auth import Caller
from govhall.gateway.licences_drive import drive_routes
from govhall.gateway.licences_grants import grants_routes
from govhall.gateway.licences_mine import LICENCE_UPLOAD_MAX, licences_mine_routes
from govhall.gateway.licences_verify import verify_routes
from govhall.gateway.params import PageNo, PageSize
from govhall.gateway.upstreams import Upstreams
from govhall.protos.common.v1 import common_pb2
from govhall.protos.licences.v1 import types_pb2 as types_pb

TypeCodePath = Annotated[str, Path(pattern=r"^[0-9A-Z]{1,40}$", description="licence type code (GB/T 36903)")]


def licences_routes(up: Callable[[], Upstreams], drive_max_file_bytes: int) -> APIRouter:
    router = APIRouter()
    router.include_router(drive_routes(up, drive_max_file_bytes))

    @router.get(
        "/api/v1/licence-types",
        tags=["licences"],
        summary="Licence types (证照目录): issuer, holder kind, validity, fields, the matters issuing each",
        operation_id="listLicenceTypes",
    )
    async def list_types(caller: Caller, page: PageNo = 1, page_size: PageSize = 20) -> views.LicenceTypesOut:
        request = types_pb.ListLicenceTypesRequest(
            page=common_pb2.PageRequest(page=page, page_size=page_size)
        )
        return views.licence_types_out(
            await up().licences.call(lambda s: s.types.ListLicenceTypes, request, caller)
        )

    @router.get(
        "/api/v1/licence-types/{code}",
        tags=["licences"],
        summary="One licence type",
        operation_id="getLicenceType",
    )
    async def get_type(code: TypeCodePath, caller: Caller) -> views.LicenceTypeOut:
        request = types_pb.GetLicenceTypeRequest(code=code)
        return views.licence_type_out(
            await up().licences.call(lambda s: s.types.GetLicenceType, request, caller)
        )

    router.include_router(licences_mine_routes(up, LICENCE_UPLOAD_MAX))
    router.include_router(verify_routes(up))
    router.include_router(grants_routes(up))
    return router


__all__ = ["licences_routes"]
