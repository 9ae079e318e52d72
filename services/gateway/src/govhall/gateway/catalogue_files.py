"""A site's blank forms (空白表格) and samples (示例样表): an administrator of the site uploads one
(multipart, capped at the size of a file before it is parsed, as consult's attachments are) and
anyone downloads it by the `path` the upload answers, /api/v1/sites/{site}/files/{sha256}. The
catalogue checks the file by its content and who may upload; the gateway only carries it.

A file is named by its content's SHA-256, so the bytes at a path never change: the download may
be kept by browsers and caches for a day without asking again (`immutable`). It does not go
through the response cache (responsecache.py keeps small JSON answers, not files)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any

from fastapi import APIRouter, File, Path, UploadFile
from fastapi.responses import Response

from govhall.gateway import catalogue_model as views
from govhall.gateway import openapi
from govhall.gateway.auth import Admin
from govhall.gateway.cases_http import capped_body_route, read_upload, send_file
from govhall.gateway.params import SitePath
from govhall.gateway.upstreams import Upstreams
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat

# The catalogue's own limit on a material file (10 MiB): a bigger body is refused here before
# it is parsed, and a file in between by the catalogue, both as FILE_TOO_LARGE.
MAX_FILE_BYTES = 10 * 1024 * 1024

Sha256Path = Annotated[
    str, Path(pattern=r"^[0-9a-f]{64}$", description="the file's SHA-256, 64 lowercase hex digits")
]

# The bytes at a sha256 never change; a day, then the browser asks again (and gets the same).
FILE_CACHE = "public, max-age=86400, immutable"

FILE = {
    **openapi.content(
        "application/pdf", "application/ofd", "image/jpeg", "image/png", description="The file as checked"
    ),
    404: {"description": "no such file at this site (FILE_NOT_FOUND), or no such site"},
}
TOO_LARGE: dict[int | str, dict[str, Any]] = {
    413: {"description": "the body is larger than a material file may be (FILE_TOO_LARGE)"}
}


def catalogue_file_routes(up: Callable[[], Upstreams]) -> APIRouter:
    router = APIRouter()
    uploads = APIRouter(route_class=capped_body_route(MAX_FILE_BYTES))

    @uploads.post(
        "/api/v1/admin/sites/{site}/files",
        tags=["admin"],
        status_code=201,
        summary="Upload a blank form or sample for the site's guides (checked by content: PDF, OFD, "
        "JPG or PNG, at most 10 MiB); a guide's material links to it by the `path` answered",
        operation_id="uploadMaterialFile",
        responses=TOO_LARGE,
    )
    async def upload(
        site: SitePath, caller: Admin, file: Annotated[UploadFile, File()]
    ) -> views.MaterialFileOut:
        file_name, content = await read_upload(file, MAX_FILE_BYTES)
        request = cat.UploadMaterialFileRequest(site_code=site, file_name=file_name, content=content)
        return views.material_file_out(
            await up().catalogue.call(lambda s: s.UploadMaterialFile, request, caller)
        )

    router.include_router(uploads)

    @router.get(
        "/api/v1/sites/{site}/files/{sha256}",
        tags=["sites"],
        summary="Download a site's blank form or sample that a guide links to",
        operation_id="getMaterialFile",
        response_class=Response,
        responses=FILE,
    )
    async def download(site: SitePath, sha256: Sha256Path) -> Response:
        # Anonymous, like the guides that link to it: the same answer for everyone.
        request = cat.GetMaterialFileRequest(site_code=site, sha256=sha256)
        reply = await up().catalogue.call(lambda s: s.GetMaterialFile, request)
        return send_file(reply.content, reply.file.media_type, reply.file.file_name, FILE_CACHE)

    return router
