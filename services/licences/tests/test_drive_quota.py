"""The drive's quota under concurrent uploads (PostgreSQL and SQLite), the largest file, and the
licences side of the blob sweep: a deleted file's blob goes once nobody references it."""

from __future__ import annotations

import os
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from govhall.kit import blobs
from govhall.kit.caller import reset_caller, set_caller
from govhall.kit.errors import DomainError
from govhall.kit.files import FileStore
from govhall.kit.races import concurrently, outcomes
from govhall.licences import drive_edit
from govhall.licences.drive import Drive
from govhall.licences.settings import LicencesSettings
from govhall.protos.common.v1 import common_pb2 as C
from govhall.protos.licences.v1 import drive_pb2 as pb

from .conftest import World, person

pytestmark = pytest.mark.integration

PNG = b"\x89PNG\r\n\x1a\n"


def png(n: int, fill: bytes = b"x") -> bytes:
    return PNG + fill * (n - len(PNG))


async def parts(name: str, content: bytes, chunk: int = 1000) -> AsyncIterator[Any]:
    yield pb.UploadDriveFileRequest(header=pb.UploadDriveFileHeader(file_name=name))
    for start in range(0, len(content), chunk):
        yield pb.UploadDriveFileRequest(chunk=content[start : start + chunk])


async def as_caller(caller: C.CallerIdentity, command: Any) -> Any:
    token = set_caller(caller)
    try:
        return await command
    finally:
        reset_caller(token)


def local_drive(world: World, files: Path, **settings: Any) -> Drive:
    """The drive over licences' own database with settings a test chooses (a small quota)."""
    return Drive(world.db, FileStore(files, holder="licences"), LicencesSettings(**settings))


async def test_concurrent_uploads_never_pass_the_quota(world: World, tmp_path: Path) -> None:
    drive = local_drive(world, tmp_path / "files", drive_quota_bytes=5 * 1000)
    me = person()

    results = await concurrently(
        8, lambda i: as_caller(me, drive.upload(parts(f"{i}.png", png(1000, bytes([65 + i])))))
    )

    done, failed = outcomes(results)
    assert len(done) == 5 and len(failed) == 3
    assert {e.code for e in failed if isinstance(e, DomainError)} == {"DRIVE_QUOTA_EXCEEDED"}
    listed = await as_caller(me, drive.listing(pb.ListDriveRequest()))
    assert listed.usage.used_bytes == 5000 and listed.page.total == 5
    # Another owner has a quota of their own.
    other = await as_caller(person(2), drive.upload(parts("x.png", png(1000))))
    assert other.size == 1000


async def test_concurrent_uploads_of_one_name_keep_one_and_count_it_once(
    world: World, tmp_path: Path
) -> None:
    drive = local_drive(world, tmp_path / "files")
    me = person()
    results = await concurrently(
        4, lambda i: as_caller(me, drive.upload(parts("同名.png", png(500, bytes([70 + i])))))
    )
    done, failed = outcomes(results)
    assert len(done) == 1 and {e.code for e in failed if isinstance(e, DomainError)} == {"DRIVE_NAME_TAKEN"}
    assert (await as_caller(me, drive.listing(pb.ListDriveRequest()))).usage.used_bytes == 500


async def test_a_file_over_the_limit_is_refused_while_it_streams(world: World, tmp_path: Path) -> None:
    drive = local_drive(world, tmp_path / "files", drive_max_file_bytes=2048)
    sent = 0

    async def endless() -> AsyncIterator[Any]:
        nonlocal sent
        yield pb.UploadDriveFileRequest(header=pb.UploadDriveFileHeader(file_name="a.png"))
        while True:  # a client that never stops: refused once past the limit
            sent += 1
            yield pb.UploadDriveFileRequest(chunk=png(1000))

    with pytest.raises(DomainError) as info:
        await as_caller(person(), drive.upload(endless()))
    assert (info.value.code, [f.field for f in info.value.fields]) == ("FILE_TOO_LARGE", ["content"])
    assert sent == 3


async def test_a_deleted_files_blob_is_swept_once_nobody_references_it(world: World, tmp_path: Path) -> None:
    drive = local_drive(world, tmp_path / "files")
    content, shared = png(700, b"d"), png(800, b"s")
    gone = await as_caller(person(1), drive.upload(parts("gone.png", content)))
    mine = await as_caller(person(1), drive.upload(parts("shared.png", shared)))
    theirs = await as_caller(person(2), drive.upload(parts("shared.png", shared)))
    assert mine.sha256 == theirs.sha256
    for item in (gone, mine):
        await as_caller(person(1), drive_edit.delete(drive, pb.DeleteDriveItemRequest(id=item.id)))
    referenced = drive_edit.referenced(world.db)

    young = await blobs.sweep(drive.files, referenced, grace_seconds=3600)
    assert young.deleted == [] and drive.files.exists(gone.sha256)  # within the grace period

    later = time.time() + 7200
    swept = await blobs.sweep(drive.files, referenced, grace_seconds=3600, now=later)
    assert swept.deleted == [gone.sha256]
    assert not drive.files.exists(gone.sha256) and drive.files.exists(theirs.sha256)
    back = await as_caller(person(2), drive.get_file(pb.GetDriveFileRequest(id=theirs.id)))
    assert back.sha256 == theirs.sha256
    # Uploaded again after the sweep: stored again.
    again = await as_caller(person(1), drive.upload(parts("again.png", content)))
    assert drive.files.get(again.sha256) == content
    os.utime(drive.files.marker(again.sha256, "licences"), (0, 0))
    assert (await blobs.sweep(drive.files, referenced, grace_seconds=3600)).deleted == []
