"""Materials from the applicant's cloud drive (云盘选择, asked of a real licences service over
gRPC) and from their earlier cases (历史材料引用), on SQLite and PostgreSQL."""

from __future__ import annotations

import hashlib
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from govhall.kit.caller import caller_metadata
from govhall.kit.testing import caller_channel
from govhall.licences import app as licences_app
from govhall.licences.settings import LicencesSettings
from govhall.protos.cases.v1 import cases_pb2 as pb
from govhall.protos.licences.v1 import drive_pb2 as drive_pb
from govhall.protos.licences.v1 import drive_pb2_grpc

from .conftest import C, World, free_port, person, png_bytes
from .test_files import zipped


async def _drive(
    start_service: Any, platform: Any, world: World, tmp_path: Path, files_dir: Path
) -> drive_pb2_grpc.DriveServiceStub:
    """Licences started where the world's cases looks for the drive."""
    host = await start_service(
        licences_app.SPEC,
        LicencesSettings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'l.db'}",
            grpc_address=world.licences_address,
            catalogue_address=f"127.0.0.1:{free_port()}",
            files_dir=files_dir,
            expiry_sweep_seconds=0,
            blob_sweep_interval_seconds=0,
        ),
        platform,
        world.bus,
    )
    return drive_pb2_grpc.DriveServiceStub(caller_channel(host.address, "licences"))


async def put_on_drive(
    drive: drive_pb2_grpc.DriveServiceStub, name: str, content: bytes, who: C.CallerIdentity
) -> drive_pb.DriveItem:
    async def parts() -> AsyncIterator[drive_pb.UploadDriveFileRequest]:
        yield drive_pb.UploadDriveFileRequest(header=drive_pb.UploadDriveFileHeader(file_name=name))
        yield drive_pb.UploadDriveFileRequest(chunk=content)

    item: drive_pb.DriveItem = await drive.UploadDriveFile(parts(), metadata=caller_metadata(who), timeout=30)
    return item


def attach(case_id: str, code: str = "M02", **source: str) -> pb.AttachMaterialFromRequest:
    return pb.AttachMaterialFromRequest(case_id=case_id, material_code=code, **source)


def files_of(case: pb.Case, code: str) -> list[Any]:
    return [f for m in case.materials if m.code == code for f in m.files]


async def read_back(world: World, case_id: str, file_id: str, who: C.CallerIdentity) -> bytes:
    stored = await world.call(
        "GetMaterialFile", pb.GetMaterialFileRequest(case_id=case_id, file_id=file_id), who
    )
    return bytes(stored.content)


@pytest.mark.parametrize("shared", [True, False], ids=["shared-volume", "own-volumes"])
async def test_a_drive_file_becomes_a_material(
    world: World, start_service: Any, platform: Any, tmp_path: Path, shared: bool
) -> None:
    files_dir = world.files_dir if shared else tmp_path / "licences-files"
    assert files_dir is not None and world.files_dir is not None
    drive = await _drive(start_service, platform, world, tmp_path, files_dir)
    me = person()
    content = png_bytes(7)
    item = await put_on_drive(drive, "平面图.png", content, me)
    case = await world.draft(me)
    digest = hashlib.sha256(content).hexdigest()
    blob = world.files_dir / digest[:2] / digest[2:4] / digest
    assert blob.is_file() is shared  # on their own volumes cases does not have it yet
    after = await world.call("AttachMaterialFrom", attach(case.id, drive_file_id=item.id), me)
    [attached] = files_of(after, "M02")
    assert (attached.file_name, attached.size) == ("平面图.png", len(content))
    assert await read_back(world, case.id, attached.id, me) == content
    # Fetched once from licences into cases' own store, and marked as cases' there.
    assert blob.read_bytes() == content
    assert blob.with_name(f"{digest}.ref.cases").exists()


async def test_someone_elses_drive_file_or_a_folder_is_refused(
    world: World, start_service: Any, platform: Any, tmp_path: Path
) -> None:
    drive = await _drive(start_service, platform, world, tmp_path, tmp_path / "licences-files")
    theirs = await put_on_drive(drive, "平面图.png", png_bytes(3), person(2, "李四"))
    me = person()
    case = await world.draft(me)
    err = await world.fails("AttachMaterialFrom", attach(case.id, drive_file_id=theirs.id), me)
    assert (err.kind.name, err.code, [f.field for f in err.fields]) == (
        "NOT_FOUND",
        "MATERIAL_SOURCE_NOT_FOUND",
        ["drive_file_id"],
    )
    folder = await drive.CreateDriveFolder(
        drive_pb.CreateDriveFolderRequest(name="材料"), metadata=caller_metadata(me), timeout=30
    )
    err = await world.fails("AttachMaterialFrom", attach(case.id, drive_file_id=folder.id), me)
    assert (err.kind.name, [f.field for f in err.fields]) == ("INVALID", ["drive_file_id"])
    unchanged = await world.call("GetCase", pb.GetCaseRequest(case_id=case.id), me)
    assert files_of(unchanged, "M02") == []


async def test_a_drive_file_of_a_type_the_material_refuses_names_the_field(
    world: World, start_service: Any, platform: Any, tmp_path: Path
) -> None:
    drive = await _drive(start_service, platform, world, tmp_path, tmp_path / "licences-files")
    me = person()
    ofd = await put_on_drive(drive, "营业执照.ofd", zipped("OFD.xml"), me)  # the drive keeps OFD
    case = await world.draft(me)
    err = await world.fails(
        "AttachMaterialFrom", attach(case.id, drive_file_id=ofd.id), me
    )  # M02: pdf/jpg/png
    assert (err.kind.name, err.code, [f.field for f in err.fields]) == (
        "INVALID",
        "FILE_TYPE_NOT_ACCEPTED",
        ["drive_file_id"],
    )


async def test_a_file_of_an_earlier_case_is_reused(world: World) -> None:
    me = person()
    earlier = await world.submitted(me)  # any state: this one is submitted
    [old] = files_of(earlier, "M02")
    case = await world.draft(me)
    after = await world.call("AttachMaterialFrom", attach(case.id, case_file_id=old.id), me)
    [attached] = files_of(after, "M02")
    assert attached.id != old.id and attached.size == old.size
    assert await read_back(world, case.id, attached.id, me) == await read_back(world, earlier.id, old.id, me)


async def test_someone_elses_case_file_is_not_found(world: World) -> None:
    theirs = await world.submitted(person(2, "李四"))
    [old] = files_of(theirs, "M02")
    me = person()
    case = await world.draft(me)
    err = await world.fails("AttachMaterialFrom", attach(case.id, case_file_id=old.id), me)
    assert (err.kind.name, [f.field for f in err.fields]) == ("NOT_FOUND", ["case_file_id"])
    unchanged = await world.call("GetCase", pb.GetCaseRequest(case_id=case.id), me)
    assert files_of(unchanged, "M02") == []


async def test_no_source_names_the_field(world: World) -> None:
    me = person()
    case = await world.draft(me)
    err = await world.fails("AttachMaterialFrom", attach(case.id), me)
    assert (err.code, [f.field for f in err.fields]) == ("MATERIAL_SOURCE_MISSING", ["drive_file_id"])
