"""The cloud drive (政务云盘) over gRPC: folders, chunked uploads and downloads, rename, move,
delete, listing and sorting, each owner's own items only."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest

from govhall.protos.common.v1 import common_pb2 as C
from govhall.protos.licences.v1 import drive_pb2 as pb
from govhall.protos.licences.v1 import drive_pb2_grpc

from .conftest import ANONYMOUS, World, person, staff

pytestmark = pytest.mark.integration

PNG = b"\x89PNG\r\n\x1a\n"
ENTERPRISE = C.CallerIdentity(kind=C.CALLER_KIND_LEGAL_PERSON, subject="corp-1", name="某某公司")


def drive(world: World) -> drive_pb2_grpc.DriveServiceStub:
    return world.stub(drive_pb2_grpc.DriveServiceStub)


def png(n: int, fill: bytes = b"x") -> bytes:
    return PNG + fill * (n - len(PNG))


async def parts(name: str, content: bytes, parent: str = "", chunk: int = 256 * 1024) -> AsyncIterator[Any]:
    yield pb.UploadDriveFileRequest(header=pb.UploadDriveFileHeader(parent_id=parent, file_name=name))
    for start in range(0, len(content), chunk):
        yield pb.UploadDriveFileRequest(chunk=content[start : start + chunk])


async def upload(
    world: World, name: str, content: bytes, who: C.CallerIdentity, parent: str = ""
) -> pb.DriveItem:
    item: pb.DriveItem = await world.call(drive(world), "UploadDriveFile", parts(name, content, parent), who)
    return item


async def folder(world: World, name: str, who: C.CallerIdentity, parent: str = "") -> pb.DriveItem:
    request = pb.CreateDriveFolderRequest(parent_id=parent, name=name)
    item: pb.DriveItem = await world.call(drive(world), "CreateDriveFolder", request, who)
    return item


async def listing(
    world: World, who: C.CallerIdentity, folder_id: str = "", **kw: Any
) -> pb.ListDriveResponse:
    reply: pb.ListDriveResponse = await world.call(
        drive(world), "ListDrive", pb.ListDriveRequest(folder_id=folder_id, **kw), who
    )
    return reply


async def download(world: World, item_id: str, who: C.CallerIdentity) -> tuple[pb.DriveItem, bytes, int]:
    from govhall.kit.caller import caller_metadata

    head, body, chunks = None, bytearray(), 0
    stub = drive(world)  # held: a channel nobody holds is closed under its stream
    async for part in stub.DownloadDriveFile(
        pb.DownloadDriveFileRequest(id=item_id), metadata=caller_metadata(who), timeout=60
    ):
        if part.WhichOneof("part") == "item":
            head = part.item
        else:
            body += part.chunk
            chunks += 1
    assert head is not None
    return head, bytes(body), chunks


async def test_folders_uploads_listing_sorted_and_downloads(world: World) -> None:
    me = person()
    docs = await folder(world, "证件", me)
    inner = await folder(world, "身份证", me, docs.id)
    small = await upload(world, "正面.jpg", png(1000), me, docs.id)  # a PNG named .jpg
    big = await upload(world, "户口本.png", png(5000, b"y"), me, docs.id)

    assert (small.kind, small.name, small.size, small.media_type) == ("file", "正面.png", 1000, "image/png")
    by_name = await listing(world, me, docs.id)
    assert [i.name for i in by_name.items] == ["身份证", "户口本.png", "正面.png"]  # folders first
    by_size = await listing(world, me, docs.id, sort="size", descending=True)
    assert [i.name for i in by_size.items] == ["身份证", "户口本.png", "正面.png"]
    by_size_up = await listing(world, me, docs.id, sort="size")
    assert [i.name for i in by_size_up.items] == ["身份证", "正面.png", "户口本.png"]
    assert (by_name.usage.used_bytes, by_name.usage.quota_bytes) == (6000, 200 * 1024 * 1024)
    inside = await listing(world, me, inner.id)
    assert [p.name for p in inside.path] == ["证件", "身份证"] and not inside.items
    root = await listing(world, me)
    assert [i.name for i in root.items] == ["证件"] and root.page.total == 1

    head, body, _ = await download(world, big.id, me)
    assert body == png(5000, b"y") and head.sha256 == big.sha256
    bad_sort = await world.fails(drive(world), "ListDrive", pb.ListDriveRequest(sort="colour"), me)
    assert (bad_sort.code, [f.field for f in bad_sort.fields]) == ("DRIVE_SORT_INVALID", ["sort"])


async def test_a_file_larger_than_one_grpc_message_goes_both_ways_in_chunks(world: World) -> None:
    content = png(20 * 1024 * 1024, b"z")  # more than the 16 MiB one gRPC message may carry
    item = await upload(world, "扫描件.png", content, person(), "")
    head, body, chunks = await download(world, item.id, person())
    assert body == content and head.size == len(content) and chunks == 20


async def test_each_owner_sees_only_their_own_and_others_have_no_drive(world: World) -> None:
    mine = await upload(world, "a.png", png(100), person(1))
    corp = await folder(world, "营业资料", ENTERPRISE)
    assert [i.name for i in (await listing(world, ENTERPRISE)).items] == ["营业资料"]
    assert [i.name for i in (await listing(world, person(1))).items] == ["a.png"]

    for who, item_id in ((person(2), mine.id), (ENTERPRISE, mine.id), (person(1), corp.id)):
        for method, request in (
            ("GetDriveFile", pb.GetDriveFileRequest(id=item_id)),
            ("DeleteDriveItem", pb.DeleteDriveItemRequest(id=item_id)),
            ("UpdateDriveItem", pb.UpdateDriveItemRequest(id=item_id, name="x")),
            ("ListDrive", pb.ListDriveRequest(folder_id=item_id)),
        ):
            err = await world.fails(drive(world), method, request, who)
            assert err.code == "DRIVE_ITEM_NOT_FOUND", (method, err.code)
    refused = await world.fails(drive(world), "ListDrive", pb.ListDriveRequest(), staff(["approver"]))
    assert refused.code == "DRIVE_FORBIDDEN"
    anonymous = await world.fails(drive(world), "ListDrive", pb.ListDriveRequest(), ANONYMOUS)
    assert anonymous.code == "UNAUTHENTICATED"
    still = await world.call(drive(world), "GetDriveFile", pb.GetDriveFileRequest(id=mine.id), person(1))
    assert still.sha256 == mine.sha256


async def test_rename_and_move_never_into_its_own_subtree(world: World) -> None:
    me = person()
    a = await folder(world, "A", me)
    b = await folder(world, "B", me, a.id)
    c = await folder(world, "C", me, b.id)
    f = await upload(world, "合同.pdf.png", png(10), me, a.id)

    for target in (a.id, b.id, c.id):
        err = await world.fails(
            drive(world), "UpdateDriveItem", pb.UpdateDriveItemRequest(id=a.id, parent_id=target), me
        )
        assert (err.code, [x.field for x in err.fields]) == ("DRIVE_MOVE_INTO_ITSELF", ["parent_id"])
    moved = await world.call(
        drive(world), "UpdateDriveItem", pb.UpdateDriveItemRequest(id=c.id, parent_id="root"), me
    )
    assert (moved.parent_id, moved.revision) == ("", 2)
    renamed = await world.call(
        drive(world), "UpdateDriveItem", pb.UpdateDriveItemRequest(id=f.id, name="合同.pdf", revision=1), me
    )
    assert renamed.name == "合同.png"  # a file keeps the extension of what it is
    stale = await world.fails(
        drive(world), "UpdateDriveItem", pb.UpdateDriveItemRequest(id=f.id, name="y", revision=1), me
    )
    assert stale.code == "DRIVE_ITEM_CHANGED"
    taken = await world.fails(
        drive(world), "UpdateDriveItem", pb.UpdateDriveItemRequest(id=c.id, name="A"), me
    )
    assert (taken.code, [x.field for x in taken.fields]) == ("DRIVE_NAME_TAKEN", ["name"])
    dup = await world.fails(drive(world), "CreateDriveFolder", pb.CreateDriveFolderRequest(name="C"), me)
    assert dup.code == "DRIVE_NAME_TAKEN"
    moved_file = await world.call(
        drive(world), "UpdateDriveItem", pb.UpdateDriveItemRequest(id=f.id, parent_id=c.id), me
    )
    assert moved_file.parent_id == c.id
    into_file = await world.fails(
        drive(world), "UpdateDriveItem", pb.UpdateDriveItemRequest(id=b.id, parent_id=f.id), me
    )
    assert (into_file.code, [x.field for x in into_file.fields]) == ("DRIVE_NOT_A_FOLDER", ["parent_id"])
    for bad in ("", "a/b", "..", "x" * 121, "tab\there"):
        err = await world.fails(drive(world), "CreateDriveFolder", pb.CreateDriveFolderRequest(name=bad), me)
        assert (err.code, [x.field for x in err.fields]) == ("DRIVE_NAME_INVALID", ["name"]), bad


async def test_delete_a_folder_with_its_contents_returns_the_bytes(world: World) -> None:
    me = person()
    a = await folder(world, "A", me)
    b = await folder(world, "B", me, a.id)
    await upload(world, "1.png", png(300), me, a.id)
    await upload(world, "2.png", png(700), me, b.id)
    keep = await upload(world, "3.png", png(50), me)

    gone = await world.call(drive(world), "DeleteDriveItem", pb.DeleteDriveItemRequest(id=a.id), me)

    assert (gone.removed, gone.freed_bytes) == (4, 1000)
    after = await listing(world, me)
    assert [i.id for i in after.items] == [keep.id] and after.usage.used_bytes == 50
    missing = await world.fails(drive(world), "ListDrive", pb.ListDriveRequest(folder_id=b.id), me)
    assert missing.code == "DRIVE_ITEM_NOT_FOUND"


async def test_uploads_are_checked_by_content(world: World) -> None:
    me = person()
    exe = await world.fails(drive(world), "UploadDriveFile", parts("申请书.pdf", b"MZ\x90\x00" * 100), me)
    assert (exe.code, [f.field for f in exe.fields]) == ("FILE_TYPE_NOT_ACCEPTED", ["content"])
    empty = await world.fails(drive(world), "UploadDriveFile", parts("a.png", b""), me)
    assert empty.code == "FILE_EMPTY"

    async def headless() -> AsyncIterator[Any]:
        yield pb.UploadDriveFileRequest(chunk=png(10))

    no_header = await world.fails(drive(world), "UploadDriveFile", headless(), me)
    assert (no_header.code, [f.field for f in no_header.fields]) == ("DRIVE_HEADER_MISSING", ["header"])
    nul = await world.fails(drive(world), "UploadDriveFile", parts("a\x00.png", png(10)), me)
    assert nul.code == "TEXT_INVALID"
    assert (await listing(world, me)).usage.used_bytes == 0


async def test_a_client_stream_without_a_signed_caller_is_refused(world: World) -> None:
    import grpc

    from govhall.kit.caller import caller_metadata
    from govhall.kit.grpcclient import domain_error

    # Claiming a person in plain metadata, with no assertion signed by a trusted principal.
    unsigned = drive_pb2_grpc.DriveServiceStub(grpc.aio.insecure_channel(world.address))
    with pytest.raises(grpc.aio.AioRpcError) as info:
        await unsigned.UploadDriveFile(
            parts("a.png", png(100)), metadata=caller_metadata(person()), timeout=30
        )
    assert domain_error(info.value).code == "CALLER_UNSIGNED"
    assert (await listing(world, person())).page.total == 0
