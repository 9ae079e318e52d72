"""Blank forms (空白表格) and samples (示例样表): the files a guide's materials link to.

An administrator of a site uploads one; it is checked by what it contains, as an applicant's
upload is (kit.files: PDF, OFD, JPG or PNG, a PDF that parses and runs nothing), and stored once
per site and content. A material then names it by the path the upload answers,
``/api/v1/sites/{site}/files/{sha256}``, which the gateway serves to anyone: a guide is public,
and so is what it hands out. The path names the content, so the bytes behind it never change
and may be cached for good; a new version of a form is a new upload and a new path.
"""

from __future__ import annotations

import asyncio
from typing import Any

import sqlalchemy as sa

from govhall.catalogue import access, store
from govhall.kit.caller import current_caller
from govhall.kit.db import Database
from govhall.kit.dialect import upsert
from govhall.kit.errors import invalid
from govhall.kit.files import SHA256_HEX, check_upload, file_not_found
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb

ACCEPTED = ("pdf", "ofd", "jpg", "png")
# A form or a sample is a page or a few: 10 MiB is generous, and the gateway caps its body at it.
MAX_BYTES = 10 * 1024 * 1024


def path_of(site_code: str, sha256: str) -> str:
    return f"/api/v1/sites/{site_code}/files/{sha256}"


def _view(row: Any) -> pb.MaterialFile:
    out = pb.MaterialFile(
        site_code=row.site_code,
        sha256=row.sha256,
        file_name=row.file_name,
        media_type=row.media_type,
        size=row.size,
        path=path_of(row.site_code, row.sha256),
    )
    store.ts(row.uploaded_at, out.uploaded_at)
    return out


async def _row(uow: Any, site_code: str, sha256: str) -> Any:
    t = store.material_files
    query = sa.select(t).where(t.c.site_code == site_code, t.c.sha256 == sha256)
    return (await uow.conn.execute(query)).first()


async def upload(db: Database, request: pb.UploadMaterialFileRequest) -> pb.MaterialFile:
    async with db.reader() as uow:
        site = await access.site_or_404(uow, request.site_code)
    access.require_admin(site)
    checked = await asyncio.to_thread(check_upload, request.file_name, request.content, ACCEPTED, MAX_BYTES)
    caller = current_caller()
    async with db.uow() as uow:
        # The same content twice is one file: the first upload's name and time stand.
        await uow.conn.execute(
            upsert(
                uow.conn,
                store.material_files,
                {
                    "site_code": site.code,
                    "sha256": checked.sha256,
                    "file_name": checked.file_name,
                    "media_type": checked.media_type,
                    "size": checked.size,
                    "content": request.content,
                    "uploaded_by": caller.subject[:64],
                    "uploaded_at": store.now(),
                },
                key=["site_code", "sha256"],
                update={},
            )
        )
        row = await _row(uow, site.code, checked.sha256)
        await uow.commit()
    return _view(row)


async def get(db: Database, request: pb.GetMaterialFileRequest) -> pb.MaterialFileContent:
    if not SHA256_HEX.fullmatch(request.sha256):
        raise invalid(
            "FILE_ID_INVALID", "sha256 must be 64 lowercase hex digits", "文件编号格式不正确", "sha256"
        )
    async with db.reader() as uow:
        site = await access.site_or_404(uow, request.site_code)
        row = await _row(uow, site.code, request.sha256)
    if row is None:
        raise file_not_found()
    return pb.MaterialFileContent(file=_view(row), content=row.content)
