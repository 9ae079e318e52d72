"""The cloud drive (政务云盘): a person's or an enterprise's folders and files.

The owner is the caller itself (a person; an enterprise is its legal-person caller): every item
is looked up with the owner in the WHERE clause, so someone else's id is simply not found (404,
never 403). Files are checked by content as case materials are (kit.files), stored once per
content hash on the volume, and counted against the owner's quota: the bytes are added by one
conditional UPDATE (`used + size <= quota`) in the transaction that inserts the file, so two
uploads racing for the last bytes cannot both pass. Moves and deletes take the owner's usage row
first (a row lock on PostgreSQL; SQLite serialises writers anyway), so two moves cannot combine
into a cycle and a delete never frees bytes twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import unicodedata
from collections.abc import AsyncIterator, Iterator
from typing import Any

import sqlalchemy as sa

from govhall.kit.caller import current_caller
from govhall.kit.db import Database, UnitOfWork
from govhall.kit.dialect import locked, upsert
from govhall.kit.errors import DomainError, ErrorKind, FieldError, invalid
from govhall.kit.files import FileStore, check_upload
from govhall.kit.ids import new_id
from govhall.kit.paging import page_info, paging
from govhall.licences import access
from govhall.licences.drive_tables import blob_refs, drive_items, drive_usage
from govhall.licences.settings import LicencesSettings
from govhall.protos.common.v1 import common_pb2
from govhall.protos.licences.v1 import drive_pb2 as pb

OWNER_KINDS = {common_pb2.CALLER_KIND_PERSON: "person", common_pb2.CALLER_KIND_LEGAL_PERSON: "legal_person"}
ACCEPTED = ("pdf", "jpg", "png", "ofd")
SORTS = {"": "name", "name": "name", "time": "updated_at", "size": "size"}
MAX_DEPTH = 32  # folders within folders: bounds every walk up the tree
_BAD_NAME_CHARS = frozenset('/\\:*?"<>|')

Owner = tuple[str, str]


def owner() -> Owner:
    """The drive the caller owns: a person's or an enterprise's; nobody else has one."""
    caller = current_caller()
    kind = OWNER_KINDS.get(caller.kind)
    if kind is None or not caller.subject:
        if caller.kind == common_pb2.CALLER_KIND_ANONYMOUS:
            raise DomainError("UNAUTHENTICATED", "sign in first", "请先登录", ErrorKind.UNAUTHENTICATED)
        raise DomainError(
            "DRIVE_FORBIDDEN",
            "the cloud drive is a person's or an enterprise's own",
            "政务云盘仅供个人或法人本人使用",
            ErrorKind.FORBIDDEN,
        )
    return kind, caller.subject


def not_found() -> DomainError:
    return DomainError(
        "DRIVE_ITEM_NOT_FOUND", "no such drive item", "云盘中没有该文件或文件夹", ErrorKind.NOT_FOUND
    )


def name_taken() -> DomainError:
    return DomainError(
        "DRIVE_NAME_TAKEN",
        "an item of that name is already in this folder",
        "该文件夹中已有同名文件或文件夹",
        ErrorKind.CONFLICT,
        [FieldError("name", "already used in this folder", "同一文件夹中名称不能重复")],
    )


@contextlib.contextmanager
def names_unique() -> Iterator[None]:
    """Two writers naming items alike at once both pass any check; UNIQUE refuses the second."""
    try:
        yield
    except sa.exc.IntegrityError:
        raise name_taken() from None


def folder_name(value: str) -> str:
    name = unicodedata.normalize("NFC", value or "").strip()
    if (
        not name
        or len(name) > 120
        or name in (".", "..")
        or any(ch in _BAD_NAME_CHARS or unicodedata.category(ch) in ("Cc", "Cf", "Zl", "Zp") for ch in name)
    ):
        raise invalid(
            "DRIVE_NAME_INVALID",
            'a name is 1-120 characters, without / \\ : * ? " < > | or control characters',
            '名称应为1至120个字符，且不能包含 / \\ : * ? " < > | 或控制字符',
            "name",
        )
    return name


def item_message(row: Any) -> pb.DriveItem:
    return pb.DriveItem(
        id=row.id,
        kind=row.kind,
        name=row.name,
        parent_id=row.parent_key,
        size=row.size,
        media_type=row.media_type,
        sha256=row.sha256 or "",
        created_at=_utc(row.created_at),
        updated_at=_utc(row.updated_at),
        revision=row.revision,
    )


def _utc(value: dt.datetime) -> str:
    if value.tzinfo is None:  # SQLite hands back naive UTC
        value = value.replace(tzinfo=dt.UTC)
    return value.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def _mine(who: Owner) -> sa.ColumnElement[bool]:
    return sa.and_(drive_items.c.owner_kind == who[0], drive_items.c.owner_subject == who[1])


async def item(uow: UnitOfWork, who: Owner, item_id: str, field: str = "id") -> Any:
    row = (
        await uow.conn.execute(
            sa.select(drive_items).where(_mine(who), drive_items.c.id == access.object_id(item_id, field))
        )
    ).first()
    if row is None:
        raise not_found()
    return row


async def folder_key(uow: UnitOfWork, who: Owner, folder_id: str, field: str) -> str:
    """The parent_key of a folder the caller names ('' for the root), checked to be theirs."""
    if folder_id in ("", "root"):
        return ""
    row = await item(uow, who, folder_id, field)
    if row.kind != "folder":
        raise invalid("DRIVE_NOT_A_FOLDER", f"{field} is a file, not a folder", "所选位置不是文件夹", field)
    return str(row.id)


async def ancestors(uow: UnitOfWork, who: Owner, key: str) -> list[Any]:
    """The folders from the root down to ``key`` (inclusive); [] for the root."""
    path: list[Any] = []
    while key and len(path) <= MAX_DEPTH:
        row = (
            await uow.conn.execute(sa.select(drive_items).where(_mine(who), drive_items.c.id == key))
        ).first()
        if row is None:
            break
        path.append(row)
        key = row.parent_key
    return list(reversed(path))


async def lock_owner(uow: UnitOfWork, who: Owner) -> None:
    """The owner's usage row, created if need be and locked: the drive's writers queue on it."""
    await uow.conn.execute(
        upsert(
            uow.conn,
            drive_usage,
            {"owner_kind": who[0], "owner_subject": who[1], "used": 0},
            key=["owner_kind", "owner_subject"],
            update={},
        )
    )
    await uow.conn.execute(
        locked(
            uow.conn,
            sa.select(drive_usage.c.used).where(
                drive_usage.c.owner_kind == who[0], drive_usage.c.owner_subject == who[1]
            ),
        )
    )


class Drive:
    def __init__(self, db: Database, files: FileStore, settings: LicencesSettings) -> None:
        self.db = db
        self.files = files
        self.settings = settings

    async def usage(self, uow: UnitOfWork, who: Owner) -> pb.DriveUsage:
        used = (
            await uow.conn.execute(
                sa.select(drive_usage.c.used).where(
                    drive_usage.c.owner_kind == who[0], drive_usage.c.owner_subject == who[1]
                )
            )
        ).scalar()
        return pb.DriveUsage(used_bytes=used or 0, quota_bytes=self.settings.drive_quota_bytes)

    async def listing(self, request: pb.ListDriveRequest) -> pb.ListDriveResponse:
        who = owner()
        number, size = paging(request.page, default_size=50)
        column = SORTS.get(request.sort)
        if column is None:
            raise invalid(
                "DRIVE_SORT_INVALID", "sort is name, time or size", "排序方式应为名称、时间或大小", "sort"
            )
        async with self.db.reader() as uow:
            key = await folder_key(uow, who, request.folder_id, "folder_id")
            where = sa.and_(_mine(who), drive_items.c.parent_key == key)
            total = (
                await uow.conn.execute(sa.select(sa.func.count()).select_from(drive_items).where(where))
            ).scalar_one()
            order = drive_items.c[column].desc() if request.descending else drive_items.c[column].asc()
            rows = (
                await uow.conn.execute(
                    sa.select(drive_items)
                    .where(where)
                    # Folders first (kind 'folder' < 'file' reversed), then the sort, then a tie-break.
                    .order_by(drive_items.c.kind.desc(), order, drive_items.c.name, drive_items.c.id)
                    .limit(size)
                    .offset((number - 1) * size)
                )
            ).all()
            path = await ancestors(uow, who, key)
            usage = await self.usage(uow, who)
        return pb.ListDriveResponse(
            items=[item_message(r) for r in rows],
            page=page_info(number, size, total),
            path=[item_message(r) for r in path],
            usage=usage,
        )

    async def create_folder(self, request: pb.CreateDriveFolderRequest) -> pb.DriveItem:
        who = owner()
        name = folder_name(request.name)
        async with self.db.uow() as uow:
            key = await folder_key(uow, who, request.parent_id, "parent_id")
            if len(await ancestors(uow, who, key)) >= MAX_DEPTH:
                raise invalid(
                    "DRIVE_TOO_DEEP",
                    f"folders nest at most {MAX_DEPTH} deep",
                    f"文件夹最多嵌套{MAX_DEPTH}层",
                    "parent_id",
                )
            now = dt.datetime.now(dt.UTC)
            values = dict(
                id=new_id(),
                owner_kind=who[0],
                owner_subject=who[1],
                parent_key=key,
                kind="folder",
                name=name,
                size=0,
                media_type="",
                sha256=None,
                revision=1,
                created_at=now,
                updated_at=now,
            )
            with names_unique():
                await uow.conn.execute(drive_items.insert().values(**values))
                await uow.commit()
        return item_message(_Row(values))

    async def upload(self, requests: AsyncIterator[pb.UploadDriveFileRequest]) -> pb.DriveItem:
        who = owner()
        header, content = await self._receive(requests)
        upload = await asyncio.to_thread(
            check_upload,
            header.file_name,
            content,
            ACCEPTED,
            self.settings.drive_max_file_bytes,
            self.settings.content_limits(),
        )
        await self.files.aput(content)
        now = dt.datetime.now(dt.UTC)
        values = dict(
            id=new_id(),
            owner_kind=who[0],
            owner_subject=who[1],
            parent_key="",
            kind="file",
            name=upload.file_name,
            size=upload.size,
            media_type=upload.media_type,
            sha256=upload.sha256,
            revision=1,
            created_at=now,
            updated_at=now,
        )
        async with self.db.uow() as uow:
            values["parent_key"] = await folder_key(uow, who, header.parent_id, "parent_id")
            await self._reserve(uow, who, upload.size)
            with names_unique():
                await uow.conn.execute(drive_items.insert().values(**values))
                await uow.conn.execute(
                    blob_refs.insert().values(
                        sha256=upload.sha256, ref=f"drive:{values['id']}", created_at=now
                    )
                )
                await uow.commit()
        # A blob sweep may have moved this hash's blob away before the reference was committed.
        if not self.files.exists(upload.sha256):
            await self.files.aput(content)
        return item_message(_Row(values))

    async def _receive(
        self, requests: AsyncIterator[pb.UploadDriveFileRequest]
    ) -> tuple[pb.UploadDriveFileHeader, bytes]:
        header: pb.UploadDriveFileHeader | None = None
        content = bytearray()
        limit = self.settings.drive_max_file_bytes
        async for message in requests:
            if header is None:
                if message.WhichOneof("part") != "header":
                    raise invalid(
                        "DRIVE_HEADER_MISSING",
                        "the upload starts with its header",
                        "上传请求缺少文件信息",
                        "header",
                    )
                header = message.header
                continue
            content += message.chunk
            if len(content) > limit:
                # Refused as soon as it is too large, not after the whole file has arrived.
                check_upload(header.file_name, bytes(content[: limit + 1]), ACCEPTED, limit)
        if header is None:
            raise invalid(
                "DRIVE_HEADER_MISSING", "the upload starts with its header", "上传请求缺少文件信息", "header"
            )
        return header, bytes(content)

    async def _reserve(self, uow: UnitOfWork, who: Owner, size: int) -> None:
        quota = self.settings.drive_quota_bytes
        await uow.conn.execute(
            upsert(
                uow.conn,
                drive_usage,
                {"owner_kind": who[0], "owner_subject": who[1], "used": 0},
                key=["owner_kind", "owner_subject"],
                update={},
            )
        )
        done = await uow.conn.execute(
            drive_usage.update()
            .where(
                drive_usage.c.owner_kind == who[0],
                drive_usage.c.owner_subject == who[1],
                drive_usage.c.used + size <= quota,
            )
            .values(used=drive_usage.c.used + size)
        )
        if done.rowcount != 1:
            raise DomainError(
                "DRIVE_QUOTA_EXCEEDED",
                f"the cloud drive is full: {quota // (1024 * 1024)} MB per owner; delete files to make room",
                f"云盘空间不足（每人 {quota // (1024 * 1024)} MB），请删除部分文件后再上传",
                ErrorKind.CONFLICT,
                [FieldError("content", "the drive's quota would be exceeded", "超出云盘容量")],
            )

    async def download(
        self, request: pb.DownloadDriveFileRequest
    ) -> AsyncIterator[pb.DownloadDriveFileResponse]:
        who = owner()
        async with self.db.reader() as uow:
            row = await item(uow, who, request.id)
        if row.kind != "file":
            raise invalid(
                "DRIVE_NOT_A_FILE", "id is a folder, not a file", "所选项目是文件夹，不是文件", "id"
            )
        content = await self.files.aget(row.sha256)
        yield pb.DownloadDriveFileResponse(item=item_message(row))
        step = self.settings.drive_chunk_bytes
        for start in range(0, len(content), step):
            yield pb.DownloadDriveFileResponse(chunk=content[start : start + step])

    async def get_file(self, request: pb.GetDriveFileRequest) -> pb.DriveItem:
        who = owner()
        async with self.db.reader() as uow:
            row = await item(uow, who, request.id)
        if row.kind != "file":
            raise invalid(
                "DRIVE_NOT_A_FILE", "id is a folder, not a file", "所选项目是文件夹，不是文件", "id"
            )
        return item_message(row)


class _Row:
    """A dict of column values read like a row (what was just inserted)."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)
