"""An upload is parsed and written to the file volume before the write transaction (issue 13 §5):
meanwhile the cases database takes other writers at once, and the checks still hold after."""

from __future__ import annotations

import pytest

from govhall.kit.errors import ErrorKind
from govhall.kit.files import FileStore
from govhall.kit.testing import database_is_free
from govhall.protos.cases.v1 import cases_pb2 as pb

from .conftest import World, pdf_bytes, person


async def test_an_upload_is_stored_with_no_transaction_open(
    world: World, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    store = FileStore.aput

    async def probing_aput(self: FileStore, content: bytes) -> str:
        seen.append(await database_is_free(db_url))
        return await store(self, content)

    monkeypatch.setattr(FileStore, "aput", probing_aput)
    who = person()
    case = await world.draft(who)
    upload = pb.UploadMaterialRequest(
        case_id=case.id, material_code="M01", file_name="申请书.pdf", content=pdf_bytes()
    )
    after = await world.call("UploadMaterial", upload, who)
    assert seen == ["free"]
    assert [f.file_name for m in after.materials if m.code == "M01" for f in m.files] == ["申请书.pdf"]
    # The checks made before the file was stored are made again under the row lock.
    error = await world.fails(
        "UploadMaterial", pb.UploadMaterialRequest(case_id=case.id, material_code="NOPE", content=b"x"), who
    )
    assert error.kind is ErrorKind.INVALID and error.code == "MATERIAL_UNKNOWN"


async def test_the_files_per_material_are_counted_under_the_row_lock(world: World) -> None:
    """The check before the transaction no longer counts a material's files: the count under
    the row lock still refuses one file too many, and writes nothing for it."""
    who = person()
    case = await world.draft(who)
    limit = 10  # CasesSettings.max_files_per_material's default, as the world runs cases
    for n in range(limit):
        upload = pb.UploadMaterialRequest(
            case_id=case.id, material_code="M01", file_name=f"申请书{n}.pdf", content=pdf_bytes()
        )
        view = await world.call("UploadMaterial", upload, who)
    assert [len(m.files) for m in view.materials if m.code == "M01"] == [limit]
    one_more = pb.UploadMaterialRequest(
        case_id=case.id, material_code="M01", file_name="多余.pdf", content=pdf_bytes()
    )
    err = await world.fails("UploadMaterial", one_more, who)
    assert err.code == "MATERIAL_TOO_MANY_FILES"
    read = await world.call("GetCase", pb.GetCaseRequest(case_id=case.id), who)
    assert [len(m.files) for m in read.materials if m.code == "M01"] == [limit]
    assert read.revision == view.revision, "the refused upload changed nothing"
