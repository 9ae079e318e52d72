"""cases' republish: every case that left its draft goes through the outbox again as a
CaseChanged of its current state, with its own revision (so a consumer that holds it, or a newer
one, drops it) and action "republish"; drafts never."""

from __future__ import annotations

import dataclasses

import sqlalchemy as sa

from govhall.cases import app, cli, store
from govhall.cases.republish import ACTION, republish
from govhall.cases.vocabulary import CaseState
from govhall.contracts import cases as contract
from govhall.kit.db import Database
from govhall.kit.events import Delivery, decode
from govhall.kit.outbox import OUTBOX
from govhall.kit.service import migrate
from govhall.protos.cases.v1 import cases_pb2 as pb

from .test_migration_0002 import _record


def _in_state(case_id: str, state: CaseState, revision: int) -> object:
    rec = _record(case_id, submitted=True)
    return dataclasses.replace(rec, case=dataclasses.replace(rec.case, state=state, revision=revision))


async def test_republish_writes_each_cases_current_state_to_the_outbox(db_url: str) -> None:
    db = Database(db_url)
    try:
        await migrate(db, app.SPEC)
        records = [
            _record("c-draft", submitted=False),
            _record("c-submitted", submitted=True),
            _in_state("c-accepted", CaseState.ACCEPTED, 7),
            _in_state("c-reviewing", CaseState.UNDER_REVIEW, 8),
            _in_state("c-approved", CaseState.CONCLUDED_APPROVED, 9),
            _in_state("c-withdrawn", CaseState.WITHDRAWN, 3),
        ]
        async with db.uow() as uow:
            for rec in records:
                await store.insert_case(uow, rec)  # type: ignore[arg-type]
            await uow.commit()

        assert await republish(db, chunk=2) == 5  # three chunks

        async with db.reader() as uow:
            rows = (await uow.conn.execute(sa.select(OUTBOX).order_by(OUTBOX.c.seq))).all()
        got = {}
        for row in rows:
            message = decode(Delivery(row.subject, row.payload, row.event_id), contract.REGISTRY, "test")
            assert isinstance(message, pb.CaseChanged)
            assert message.action == ACTION and message.applicant.subject == "person-1"
            got[message.case_id] = (row.subject, message.state, message.revision)
        submitted_revision = records[1].case.revision  # type: ignore[attr-defined]
        assert got == {
            "c-submitted": ("cases.case.submitted", pb.CASE_STATE_SUBMITTED, submitted_revision),
            "c-accepted": ("cases.case.accepted", pb.CASE_STATE_ACCEPTED, 7),
            "c-reviewing": ("cases.case.step_completed", pb.CASE_STATE_UNDER_REVIEW, 8),
            "c-approved": ("cases.case.concluded", pb.CASE_STATE_CONCLUDED_APPROVED, 9),
            "c-withdrawn": ("cases.case.withdrawn", pb.CASE_STATE_WITHDRAWN, 3),
        }
    finally:
        await db.close()


def test_every_state_but_the_draft_has_a_subject() -> None:
    from govhall.cases.republish import SUBJECT_OF_STATE

    assert set(SUBJECT_OF_STATE) == set(CaseState) - {CaseState.DRAFT}
    assert all(kind in contract.REGISTRY for kind in SUBJECT_OF_STATE.values())


async def test_the_cli_republishes(db_url: str, tmp_path, monkeypatch, capsys) -> None:  # type: ignore[no-untyped-def]
    import asyncio

    monkeypatch.setenv("GOVHALL_CASES_DATABASE_URL", db_url)
    monkeypatch.setenv("GOVHALL_VAR_DIR", str(tmp_path / "var"))
    assert await asyncio.to_thread(cli.main, ["republish"]) == 0
    assert "republished 0 cases" in capsys.readouterr().out
