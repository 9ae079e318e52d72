"""Migration 0002 on a catalogue with data: each matter becomes version 1 with its status, and back."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from govhall.catalogue import app
from govhall.catalogue.settings import CatalogueSettings
from govhall.kit.bus import InProcessBus
from govhall.kit.db import create_engine
from govhall.kit.testing import caller_channel
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc

from .conftest import ADMIN, ANONYMOUS, SERVICE

T0 = datetime(2026, 10, 1, 8, 0, tzinfo=UTC)
OLD_GUIDE = {
    "acceptance_conditions": "具有完全民事行为能力",
    "materials": "1. 居民身份证",
    "fees": "不收费",
    "place_and_hours": "西陵区政务服务中心，工作日",
    "consult_phone": "0717-12345",
}


def _config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(app.SPEC.migrations))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


async def _migrate(url: str, target: str, down: bool = False) -> None:
    step = command.downgrade if down else command.upgrade
    await asyncio.to_thread(step, _config(url), target)


def _old_matter(code: str, status: int, published: bool) -> dict[str, Any]:
    draft = {
        "name": f"旧事项{code}",
        "department_code": "420502-XZSP",
        "audiences": ["AUDIENCE_PERSON"],
        "type": "MATTER_TYPE_LICENSING",
        "promised_limit": {"value": 5, "unit": "TIME_LIMIT_UNIT_WORKING_DAY"},
        "online_application": False,
        "guide": OLD_GUIDE,
    }
    return {
        "code": code,
        "site_code": "420502",
        "department_code": "420502-XZSP",
        "name": draft["name"],
        "type": pb.MATTER_TYPE_LICENSING,
        "audiences": "1",
        "online_application": False,
        "draft": draft,
        "status": status,
        "revision": 3,
        "created_at": T0,
        "updated_at": T0,
        "published_at": T0 if published else None,
    }


async def _seed_version_0001(url: str) -> None:
    old_matters = sa.table(
        "matters",
        *(sa.column(n) for n in ("code", "site_code", "department_code", "name", "type", "audiences")),
        *(sa.column(n) for n in ("online_application", "status", "revision")),
        sa.column("draft", sa.JSON()),
        *(sa.column(n, sa.DateTime(timezone=True)) for n in ("created_at", "updated_at", "published_at")),
    )
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            for code, name, level, parent, path in [
                ("420000", "湖北省", 1, None, "420000"),
                ("420500", "宜昌市", 2, "420000", "420000,420500"),
                ("420502", "西陵区", 3, "420500", "420000,420500,420502"),
            ]:
                await conn.execute(
                    sa.text(
                        "INSERT INTO sites (code, name, level, parent_code, path) VALUES (:c, :n, :l, :p, :path)"
                    ),
                    {"c": code, "n": name, "l": level, "p": parent, "path": path},
                )
            await conn.execute(
                sa.text(
                    "INSERT INTO departments (code, site_code, name) VALUES ('420502-XZSP', '420502', '行政审批局')"
                )
            )
            await conn.execute(
                sa.insert(old_matters),
                [
                    _old_matter("OLD-PUB", pb.MATTER_STATUS_PUBLISHED, True),
                    _old_matter("OLD-DRAFT", pb.MATTER_STATUS_DRAFT, False),
                    _old_matter("OLD-WD", pb.MATTER_STATUS_WITHDRAWN, True),
                ],
            )
    finally:
        await engine.dispose()


async def test_existing_matters_become_version_one(db_url: str, platform: Any, start_service: Any) -> None:
    await _migrate(db_url, "0001")
    await _seed_version_0001(db_url)
    host = await start_service(app.SPEC, CatalogueSettings(database_url=db_url), platform, InProcessBus())
    ch = caller_channel(host.address, "catalogue")
    stub = catalogue_pb2_grpc.CatalogueServiceStub(ch)

    published = await stub.GetMatter(
        pb.GetMatterRequest(site_code="420502", code="OLD-PUB"), metadata=ANONYMOUS
    )
    assert (published.version, published.status, published.revision) == (1, pb.MATTER_STATUS_PUBLISHED, 3)
    assert published.published_version == 1 and published.latest_version == 1
    assert published.published_at.ToDatetime(UTC) == T0
    notice = published.draft.guide.notice
    assert (
        "申请材料：1. 居民身份证" in notice and "收费标准：不收费" in notice and "办理地点和时间：" in notice
    )
    assert published.draft.guide.acceptance_conditions == "具有完全民事行为能力"

    drafts = await stub.ListMatters(
        pb.ListMattersRequest(site_code="420502", status=pb.MATTER_STATUS_DRAFT), metadata=ADMIN
    )
    assert [m.code for m in drafts.matters] == ["OLD-DRAFT"]
    withdrawn = await stub.GetMatter(
        pb.GetMatterRequest(site_code="420502", code="OLD-WD", version=1), metadata=ANONYMOUS
    )
    assert withdrawn.status == pb.MATTER_STATUS_WITHDRAWN

    export = [item async for item in stub.ExportCatalogue(pb.ExportCatalogueRequest(), metadata=SERVICE)]
    exported = [(i.matter.code, i.matter.status) for i in export if i.HasField("matter")]
    assert exported == [("OLD-PUB", pb.MATTER_STATUS_PUBLISHED), ("OLD-WD", pb.MATTER_STATUS_WITHDRAWN)]

    # The history goes on from there: an edit opens version 2.
    edited_draft = pb.MatterDraft()
    edited_draft.CopyFrom(published.draft)
    edited_draft.handling_type = pb.HANDLING_TYPE_PROMISED
    edited = await stub.UpdateMatter(
        pb.UpdateMatterRequest(site_code="420502", code="OLD-PUB", draft=edited_draft, expected_revision=3),
        metadata=ADMIN,
    )
    assert (edited.version, edited.revision) == (2, 4)
    await ch.close()


async def test_downgrade_restores_the_json_drafts(db_url: str) -> None:
    await _migrate(db_url, "0001")
    await _seed_version_0001(db_url)
    await _migrate(db_url, "head")
    await _migrate(db_url, "0001", down=True)
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            rows = (
                await conn.execute(
                    sa.select(
                        sa.column("code"),
                        sa.column("status"),
                        sa.column("draft", sa.JSON()),
                        sa.column("published_at"),
                    )
                    .select_from(sa.table("matters"))
                    .order_by(sa.column("code"))
                )
            ).all()
    finally:
        await engine.dispose()
    assert [(r.code, r.status) for r in rows] == [
        ("OLD-DRAFT", pb.MATTER_STATUS_DRAFT),
        ("OLD-PUB", pb.MATTER_STATUS_PUBLISHED),
        ("OLD-WD", pb.MATTER_STATUS_WITHDRAWN),
    ]
    assert rows[1].draft["name"] == "旧事项OLD-PUB" and rows[1].published_at is not None
