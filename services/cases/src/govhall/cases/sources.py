"""Materials the applicant already has: a file from their cloud drive (云盘选择, kept by licences)
or one they uploaded for an earlier case of theirs (历史材料引用).

Either is attached by its hash. The bytes are read from cases' own store when the blob is
already there (the same volume shared with licences, or an earlier case's file); only a drive
file cases' store lacks is fetched from licences, once, streamed. Whatever the source, the file
is judged as an upload is (kit.files.check_upload against this material's accepted types and
cases' size limit): a drive file was checked under licences' limits, not this material's.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib

import grpc
import sqlalchemy as sa

from govhall.cases import tables
from govhall.cases.applying import _upload_need, applicant, attach_checked
from govhall.cases.values import Actor
from govhall.cases.workflow import Deps, actor_for
from govhall.kit.caller import current_caller
from govhall.kit.errors import DomainError, ErrorKind, FieldError, invalid
from govhall.kit.files import DEFAULT_ACCEPTED, check_upload
from govhall.kit.grpcclient import call_options, domain_error
from govhall.protos.cases.v1 import cases_pb2 as pb
from govhall.protos.licences.v1 import drive_pb2

# A drive download may take longer than a unary call's deadline: it is up to max_upload_bytes.
DOWNLOAD_TIMEOUT_SECONDS = 60.0


def _source_not_found(field: str) -> DomainError:
    # Someone else's file and no file at all look the same: nobody learns what exists.
    return DomainError(
        "MATERIAL_SOURCE_NOT_FOUND",
        "no such file of yours",
        "未找到您的该文件",
        ErrorKind.NOT_FOUND,
        [FieldError(field, "not one of your files", "不是您的文件")],
    )


def _named(err: DomainError, field: str) -> DomainError:
    """The content checks name "content", which this request does not have: name the source."""
    fields = [dataclasses.replace(f, field=field) for f in err.fields] or [
        FieldError(field, err.message, err.message_zh)
    ]
    return dataclasses.replace(err, fields=fields)


async def _earlier_case_file(deps: Deps, actor: Actor, file_id: str) -> tuple[str, bytes]:
    """A file of one of the applicant's own cases (any state), by cases' own tables."""
    f, c = tables.case_files.c, tables.cases.c
    query = (
        sa.select(f.file_name, f.sha256)
        .select_from(tables.case_files.join(tables.cases, c.id == f.case_id))
        .where(
            f.id == file_id,
            c.applicant_subject == actor.subject,
            c.applicant_kind == (actor.applicant_kind or "person"),
        )
    )
    async with deps.db.reader() as uow:
        row = (await uow.conn.execute(query)).first()
    if row is None:
        raise _source_not_found("case_file_id")
    return row.file_name, await deps.files.aget(row.sha256)


async def _drive_file(deps: Deps, file_id: str) -> tuple[str, bytes]:
    """The caller's drive file. Licences decides whose it is: cases asks on the applicant's
    behalf (its callers.json lets cases name a person or legal person for these two methods)."""
    if deps.drive is None:
        raise DomainError(
            "DRIVE_UNAVAILABLE", "the cloud drive is not reachable", "云盘暂不可用", ErrorKind.UNAVAILABLE
        )
    caller = current_caller()
    try:
        item: drive_pb2.DriveItem = await deps.drive.GetDriveFile(
            drive_pb2.GetDriveFileRequest(id=file_id), **call_options(caller)
        )
    except grpc.aio.AioRpcError as err:
        failure = domain_error(err)
        if failure.kind is ErrorKind.NOT_FOUND:
            raise _source_not_found("drive_file_id") from None
        raise _named(failure, "drive_file_id") from None
    if item.size > deps.settings.max_upload_bytes:
        # Refused before a byte travels.
        limit = f"{deps.settings.max_upload_bytes / (1024 * 1024):.0f} MB"
        raise invalid(
            "FILE_TOO_LARGE",
            f"the file is too large: a single file may be at most {limit}",
            f"文件过大：单个文件不能超过 {limit}",
            "drive_file_id",
        )
    if deps.files.exists(item.sha256):
        # Shared volume (or the same content attached before): nothing travels.
        return item.name, await deps.files.aget(item.sha256)
    chunks: list[bytes] = []
    try:
        stream = deps.drive.DownloadDriveFile(
            drive_pb2.DownloadDriveFileRequest(id=file_id),
            **call_options(caller, DOWNLOAD_TIMEOUT_SECONDS),
        )
        async for part in stream:
            if part.WhichOneof("part") == "chunk":
                chunks.append(part.chunk)
    except grpc.aio.AioRpcError as err:
        failure = domain_error(err)
        if failure.kind is ErrorKind.NOT_FOUND:
            raise _source_not_found("drive_file_id") from None
        raise _named(failure, "drive_file_id") from None
    content = b"".join(chunks)
    if hashlib.sha256(content).hexdigest() != item.sha256:
        # Replaced between the two calls, or cut short: nothing half-true is attached.
        raise DomainError(
            "DRIVE_FILE_CHANGED",
            "the drive file changed while it was fetched; try again",
            "云盘文件在读取时发生变化，请重试",
            ErrorKind.CONFLICT,
            [FieldError("drive_file_id", "changed while fetched", "读取时发生变化")],
        )
    return item.name, content


async def attach_from(deps: Deps, req: pb.AttachMaterialFromRequest) -> pb.Case:
    actor = applicant(await actor_for(deps))
    source = req.WhichOneof("source")
    if source is None or not getattr(req, source).strip():
        raise invalid(
            "MATERIAL_SOURCE_MISSING",
            "give drive_file_id or case_file_id",
            "请选择云盘文件或历史材料",
            "drive_file_id",
        )
    # The case and the material are checked first: nothing is fetched for a refused request.
    async with deps.db.reader() as uow:
        need = await _upload_need(deps, uow, req, actor, for_update=False)
    if source == "drive_file_id":
        name, content = await _drive_file(deps, req.drive_file_id.strip())
    else:
        name, content = await _earlier_case_file(deps, actor, req.case_file_id.strip())
    try:
        upload = await asyncio.to_thread(
            check_upload,
            name,
            content,
            need.accepted_types or DEFAULT_ACCEPTED,
            deps.settings.max_upload_bytes,
            deps.settings.content_limits(),
        )
    except DomainError as err:
        raise _named(err, source) from None
    # attach_checked marks the blob as cases' (kit.files): a sweep on the shared volume keeps it;
    # an existing blob is not written again.
    return await attach_checked(deps, req, actor, upload, content, deps.now())
