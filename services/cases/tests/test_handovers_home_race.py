"""One case per handover under real concurrency (PostgreSQL): the same handover delivered N times
at once — every delivery past the "already here?" read before any commits — gives one case, by
the unique key (sender, handover_id), and every delivery answers with that case."""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from govhall.cases import handovers_home, tables
from govhall.cases.settings import CasesSettings
from govhall.cases.workflow import Deps
from govhall.kit.caller import reset_caller, set_caller
from govhall.kit.fieldcipher import FieldCipher
from govhall.kit.files import FileStore
from govhall.kit.races import concurrently, outcomes
from govhall.kit.workdays import default_calendar
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat

from .conftest import COUNTY, matter_draft
from .handovers_helpers import CROSSPROVINCE
from .test_handovers_home import handover

pytestmark = pytest.mark.asyncio
N = 8


class Catalogue:
    """The published matter, answered only once all N deliveries have asked: so every one of them
    has read "not here yet" before any inserts."""

    def __init__(self) -> None:
        self.barrier = asyncio.Barrier(N)

    async def GetMatter(self, request: cat.GetMatterRequest, **_: Any) -> cat.Matter:
        await self.barrier.wait()
        return cat.Matter(
            code=request.code,
            site_code=COUNTY,
            version=1,
            status=cat.MATTER_STATUS_PUBLISHED,
            department_name="西陵区市场监督管理局",
            draft=matter_draft(),
        )


async def test_n_concurrent_deliveries_make_one_case(pg_database: Any, tmp_path: Path) -> None:
    async with pg_database.engine.begin() as conn:
        await conn.run_sync(tables.metadata.create_all)
    deps = Deps(
        db=pg_database,
        settings=CasesSettings(database_url="sqlite://", files_dir=tmp_path / "files"),
        files=FileStore(tmp_path / "files", holder="cases"),
        catalogue=Catalogue(),  # type: ignore[arg-type]
        identity=None,  # type: ignore[arg-type]
        calendar=default_calendar(),
        cipher=FieldCipher(os.urandom(32), "cases"),
    )
    token = set_caller(CROSSPROVINCE)
    try:
        results = await concurrently(N, lambda i: handovers_home.receive_handover(deps, handover("raced")))
    finally:
        reset_caller(token)
    done, failed = outcomes(results)
    assert failed == [] and len(done) == N
    assert len({r.case_id for r in done}) == 1
    async with pg_database.reader() as uow:
        assert await uow.conn.scalar(sa.select(sa.func.count()).select_from(tables.cases)) == 1
