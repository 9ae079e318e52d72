"""An upload is parsed and written to the file volume before the write transaction (issue 13 §5):
meanwhile the cases database takes other writers at once, and the checks still hold after."""

from __future__ import annotations

import asyncio
import sqlite3

import pytest
import sqlalchemy as sa
from sqlalchemy.ext.asyncio import create_async_engine

from govhall.cases.files import FileStore
from govhall.kit.errors import ErrorKind
from govhall.protos.cases.v1 import cases_pb2 as pb

from .conftest import World, pdf_bytes, person


async def _database_is_free(db_url: str) -> str:
    if db_url.startswith("sqlite"):
        path = db_url.split("///", 1)[1]

        def write_now() -> str:
            conn = sqlite3.connect(path, timeout=0.2, isolation_level=None)
            try:
                conn.execute("BEGIN IMMEDIATE")
                conn.execute("ROLLBACK")
                return "free"
            except sqlite3.OperationalError as exc:
                return str(exc)
            finally:
                conn.close()

        return await asyncio.to_thread(write_now)
    engine = create_async_engine(db_url)
    try:
        async with engine.connect() as conn:
            busy = await conn.scalar(
                sa.text(
                    "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
                    " AND pid <> pg_backend_pid() AND state LIKE 'idle in transaction%'"
                )
            )
    finally:
        await engine.dispose()
    return "free" if busy == 0 else f"{busy} sessions in a transaction"


async def test_an_upload_is_stored_with_no_transaction_open(
    world: World, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    seen: list[str] = []
    store = FileStore.aput

    async def probing_aput(self: FileStore, content: bytes) -> str:
        seen.append(await _database_is_free(db_url))
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
