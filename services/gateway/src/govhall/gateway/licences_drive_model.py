"""What the cloud drive's routes take and answer (政务云盘): request bodies and typed response
models built from licences' drive messages."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from govhall.gateway.model import In, PageOut, page_out
from govhall.gateway.protojson import Out, model_of, out
from govhall.protos.licences.v1 import drive_pb2 as pb

FolderId = Annotated[str, Field(max_length=36, pattern=r"^([0-9A-Za-z-]{1,36})?$")]
Name = Annotated[str, Field(max_length=120)]

_ITEM = model_of(pb.DriveItem.DESCRIPTOR, name="DriveItem_")
_USAGE = model_of(pb.DriveUsage.DESCRIPTOR, name="DriveUsage_")


class DriveItemOut(_ITEM):  # type: ignore[misc,valid-type]
    """A folder or a file in my drive (size, media type and hash for files)."""


class DriveUsageOut(_USAGE):  # type: ignore[misc,valid-type]
    """The bytes my drive holds and its quota."""


class DriveListingOut(Out):
    items: list[DriveItemOut]
    page: PageOut
    path: list[DriveItemOut]
    usage: DriveUsageOut


class DeletedOut(Out):
    removed: int
    freed_bytes: int


class FolderIn(In):
    parent_id: FolderId = Field("", description="the folder to create it in; empty: the root")
    name: Name


class ItemChangeIn(In):
    name: Name = Field("", description="a new name; empty: keep it")
    parent_id: FolderId = Field("", description='move into this folder ("root" for the root); empty: stay')
    revision: int = Field(0, ge=0, le=2**31 - 1, description="the revision you saw (0: do not check)")

    def message(self, item_id: str) -> pb.UpdateDriveItemRequest:
        return pb.UpdateDriveItemRequest(
            id=item_id, name=self.name, parent_id=self.parent_id, revision=self.revision
        )


def item_out(item: pb.DriveItem) -> DriveItemOut:
    return out(DriveItemOut, item)


def listing_out(reply: pb.ListDriveResponse) -> DriveListingOut:
    return DriveListingOut(
        items=[item_out(i) for i in reply.items],
        page=page_out(reply.page),
        path=[item_out(i) for i in reply.path],
        usage=out(DriveUsageOut, reply.usage),
    )


def deleted_out(reply: pb.DeleteDriveItemResponse) -> DeletedOut:
    return DeletedOut(removed=reply.removed, freed_bytes=reply.freed_bytes)
