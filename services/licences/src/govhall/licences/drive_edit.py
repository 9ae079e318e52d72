"""Changing the drive: rename, move (never into the item's own subtree), delete (a folder with
everything under it, its bytes back to the quota), and the licences side of the blob sweep.

Every change takes the owner's usage row first (drive.lock_owner): two moves of one owner
cannot both pass the subtree check and make a cycle (A into B while B goes into A), and two
deletes of one folder cannot both return its bytes.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging

import sqlalchemy as sa

from govhall.kit import blobs
from govhall.kit.db import Database, UnitOfWork
from govhall.kit.errors import DomainError, ErrorKind, invalid
from govhall.kit.files import clean_name
from govhall.licences import drive
from govhall.licences.drive_tables import blob_refs, drive_items, drive_usage
from govhall.licences.tables import licences
from govhall.protos.licences.v1 import drive_pb2 as pb

log = logging.getLogger(__name__)


async def update(d: drive.Drive, request: pb.UpdateDriveItemRequest) -> pb.DriveItem:
    who = drive.owner()
    async with d.db.uow() as uow:
        await drive.lock_owner(uow, who)
        row = await drive.item(uow, who, request.id)
        if request.revision and request.revision != row.revision:
            raise DomainError(
                "DRIVE_ITEM_CHANGED",
                "the item was changed meanwhile: reload it and try again",
                "该项目已被修改，请刷新后重试",
                ErrorKind.CONFLICT,
            )
        changes: dict[str, object] = {}
        if request.name:
            name = drive.folder_name(request.name)
            if row.kind == "file":
                # A file keeps the extension of what it really is (its content was checked).
                name = clean_name(name, row.name.rsplit(".", 1)[-1])
            changes["name"] = name
        if request.parent_id:
            key = await drive.folder_key(uow, who, request.parent_id, "parent_id")
            if row.kind == "folder" and any(f.id == row.id for f in await drive.ancestors(uow, who, key)):
                raise invalid(
                    "DRIVE_MOVE_INTO_ITSELF",
                    "a folder cannot be moved into itself or a folder inside it",
                    "不能将文件夹移动到其自身或其子文件夹中",
                    "parent_id",
                )
            if (
                row.kind == "folder"
                and len(await drive.ancestors(uow, who, key)) + await _height(uow, row.id) > drive.MAX_DEPTH
            ):
                raise invalid(
                    "DRIVE_TOO_DEEP",
                    f"folders nest at most {drive.MAX_DEPTH} deep",
                    f"文件夹最多嵌套{drive.MAX_DEPTH}层",
                    "parent_id",
                )
            changes["parent_key"] = key
        if not changes:
            raise invalid(
                "DRIVE_NOTHING_TO_CHANGE",
                "give a new name or a folder to move to",
                "请填写新名称或目标文件夹",
                "name",
            )
        changes.update(revision=row.revision + 1, updated_at=dt.datetime.now(dt.UTC))
        with drive.names_unique():
            await uow.conn.execute(drive_items.update().where(drive_items.c.id == row.id).values(**changes))
            await uow.commit()
        async with d.db.reader() as read:
            return drive.item_message(await drive.item(read, who, row.id))


async def _subtree(uow: UnitOfWork, root_id: str) -> list[str]:
    """The ids of a folder and everything under it (breadth first, one query per level)."""
    found, level = [root_id], [root_id]
    while level:
        level = list(
            (
                await uow.conn.execute(sa.select(drive_items.c.id).where(drive_items.c.parent_key.in_(level)))
            ).scalars()
        )
        found.extend(level)
    return found


async def _height(uow: UnitOfWork, folder_id: str) -> int:
    height, level = 0, [folder_id]
    while level:
        height += 1
        level = list(
            (
                await uow.conn.execute(
                    sa.select(drive_items.c.id).where(
                        drive_items.c.parent_key.in_(level), drive_items.c.kind == "folder"
                    )
                )
            ).scalars()
        )
    return height


async def delete(d: drive.Drive, request: pb.DeleteDriveItemRequest) -> pb.DeleteDriveItemResponse:
    who = drive.owner()
    async with d.db.uow() as uow:
        await drive.lock_owner(uow, who)
        row = await drive.item(uow, who, request.id)
        ids = await _subtree(uow, row.id) if row.kind == "folder" else [row.id]
        freed = 0
        for start in range(0, len(ids), 500):  # bounded IN lists
            part = ids[start : start + 500]
            freed += (
                await uow.conn.execute(
                    sa.select(sa.func.coalesce(sa.func.sum(drive_items.c.size), 0)).where(
                        drive_items.c.id.in_(part), drive_items.c.kind == "file"
                    )
                )
            ).scalar_one()
            await uow.conn.execute(
                blob_refs.delete().where(blob_refs.c.ref.in_([f"drive:{i}" for i in part]))
            )
            await uow.conn.execute(drive_items.delete().where(drive_items.c.id.in_(part)))
        await uow.conn.execute(
            drive_usage.update()
            .where(drive_usage.c.owner_kind == who[0], drive_usage.c.owner_subject == who[1])
            .values(used=drive_usage.c.used - freed)
        )
        await uow.commit()
    # The blobs stay until the sweep finds nobody references them (another owner may).
    return pb.DeleteDriveItemResponse(removed=len(ids), freed_bytes=int(freed))


def referenced(db: Database) -> blobs.Referenced:
    """Which of some hashes licences still uses: a drive item's reference or a licence's file."""

    async def still(hashes: list[str]) -> set[str]:
        found: set[str] = set()
        async with db.reader() as uow:
            for start in range(0, len(hashes), 500):
                part = hashes[start : start + 500]
                found.update(
                    (
                        await uow.conn.execute(
                            sa.select(blob_refs.c.sha256).where(blob_refs.c.sha256.in_(part))
                        )
                    ).scalars()
                )
                found.update(
                    (
                        await uow.conn.execute(
                            sa.select(licences.c.file_hash).where(licences.c.file_hash.in_(part))
                        )
                    ).scalars()
                )
        return found

    return still


async def sweep_forever(d: drive.Drive, interval: float, grace: float) -> None:
    """The periodic blob sweep (interval 0: never; tests call blobs.sweep themselves)."""
    if interval <= 0:
        return
    while True:
        await asyncio.sleep(interval)
        try:
            report = await blobs.sweep(d.files, referenced(d.db), grace_seconds=grace)
            if report.deleted or report.temporary:
                log.info(
                    "blob sweep: %d blobs, %d temporary files removed", len(report.deleted), report.temporary
                )
        except Exception:
            log.exception("blob sweep failed; tried again next interval")
