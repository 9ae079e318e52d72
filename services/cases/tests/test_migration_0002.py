"""Migration 0002 on a cases database with data: a case submitted before it gets an application
number the status query can use, and the new tables come and go."""

from __future__ import annotations

import asyncio
import datetime as dt

import sqlalchemy as sa
from alembic import command
from alembic.config import Config

from govhall.cases import app, commands, model, records, store
from govhall.cases.records import Application, CaseRecord
from govhall.cases.tables import case_query_locks, cases
from govhall.cases.values import Actor, Applicant, ApplicantKind, Step, TimeLimit, new_case
from govhall.kit.db import create_engine

T0 = dt.datetime(2026, 11, 2, 2, 0, tzinfo=dt.UTC)


def _config(url: str) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(app.SPEC.migrations))
    cfg.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return cfg


async def _migrate(url: str, target: str, down: bool = False) -> None:
    step = command.downgrade if down else command.upgrade
    await asyncio.to_thread(step, _config(url), target)


def _record(case_id: str, submitted: bool) -> CaseRecord:
    case = new_case(
        case_id=case_id,
        site_code="420502",
        department_code="420502-SCJG",
        matter_code="420502-SCJG-0001",
        matter_name="食品经营许可",
        applicant=Applicant(ApplicantKind.PERSON, "person-1", "张三"),
        steps=[Step("accept", "受理", "window_clerk"), Step("decide", "决定", "approver")],
        promised_limit=TimeLimit(5),
        legal_limit=TimeLimit(20),
        now=T0,
    )
    if submitted:
        case = model.perform(case, commands.Submit(), Actor.person("person-1", "张三"), T0).case
    return CaseRecord(
        case=case,
        site_code="420502",
        matter_site_code="420502",
        matter_version=1,
        matter_type=1,
        department_name="市场监督管理局",
        agent_subject="",
        application=Application(),
        matter=b"",
        warning_level="none",
        due_date=None,
        on_time=None,
        working_days_used=None,
        create_key=None,
        submit_key=None,
        create_fingerprint=None,
        query_hash="",
        query_failures=0,
        query_locked_until=None,
        loaded_revision=case.revision,
    )


async def _seed_version_0001(url: str) -> None:
    rows = []
    for case_id, submitted in (("old-submitted", True), ("old-draft", False)):
        values = {"id": case_id, **store._values(_record(case_id, submitted))}
        for new in ("application_number", "create_fingerprint"):
            values.pop(new)
        rows.append(values)
    old_cases = sa.table("cases", *(sa.column(name) for name in rows[0]))
    engine = create_engine(url)
    try:
        async with engine.begin() as conn:
            await conn.execute(sa.insert(old_cases), rows)
    finally:
        await engine.dispose()


async def test_submitted_cases_get_an_application_number_and_back(db_url: str) -> None:
    await _migrate(db_url, "0001")
    await _seed_version_0001(db_url)
    await _migrate(db_url, "head")
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            loaded = {
                r.id: records.record_from_row(r)
                for r in await conn.execute(sa.select(cases).order_by(cases.c.id))
            }
            found = (
                await conn.execute(
                    sa.select(cases.c.id).where(cases.c.application_number == "SBold-submitted")
                )
            ).scalar_one()
            assert (
                await conn.execute(sa.select(sa.func.count()).select_from(case_query_locks))
            ).scalar() == 0
    finally:
        await engine.dispose()
    assert loaded["old-submitted"].case.application_number == "SBold-submitted" and found == "old-submitted"
    assert loaded["old-draft"].case.application_number == ""
    await _migrate(db_url, "0001", down=True)
    engine = create_engine(db_url)
    try:
        async with engine.connect() as conn:
            columns = await conn.run_sync(
                lambda c: [col["name"] for col in sa.inspect(c).get_columns("cases")]
            )
            tables = await conn.run_sync(lambda c: sa.inspect(c).get_table_names())
    finally:
        await engine.dispose()
    assert "application_number" not in columns and "case_query_locks" not in tables
