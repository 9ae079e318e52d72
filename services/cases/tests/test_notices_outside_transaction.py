"""Notices are rendered and stored after the transition's commit (issue 13 §5): while the PDF is
made the case row, the day's case-number counter and the SQLite write lock are free; a notice
left pending by a process killed between the commit and the render is rendered by the repair
sweep, once, and a reader asking for it meanwhile gets it rendered on demand or NOTICE_PENDING."""

from __future__ import annotations

import asyncio
import datetime as dt
import hashlib
from types import SimpleNamespace
from typing import Any

import pytest

from govhall.cases import documents, notices
from govhall.kit.errors import ErrorKind
from govhall.kit.files import FileStore
from govhall.kit.testing import database_is_free
from govhall.protos.cases.v1 import cases_pb2 as pb

from .conftest import CLERK, World, person


async def test_an_acceptance_notice_is_rendered_and_stored_with_no_transaction_open(
    world: World, db_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    citizen = person()
    case = await world.submitted(citizen)
    seen: list[tuple[str, str]] = []
    real_render, real_put = documents.render_pdf, FileStore.aput

    def probing_render(data: documents.NoticeData) -> bytes:
        # In the renderer's worker thread: probe the database from a loop of its own.
        seen.append(("render", asyncio.run(database_is_free(db_url))))
        return real_render(data)

    async def probing_put(self: FileStore, content: bytes) -> str:
        seen.append(("store", await database_is_free(db_url)))
        return await real_put(self, content)

    monkeypatch.setattr(documents, "render_pdf", probing_render)
    monkeypatch.setattr(FileStore, "aput", probing_put)
    accepted = await world.handle(case.id, CLERK, accept=pb.AcceptCommand(opinion="材料齐全"))
    assert seen == [("render", "free"), ("store", "free")]
    # The answer already carries the finished notice, with the case number printed in it.
    [notice] = accepted.documents
    assert notice.kind == pb.DOCUMENT_KIND_ACCEPTANCE and len(notice.sha256) == 64 and notice.size > 0
    pdf = await world.call(
        "GetDocument", pb.GetDocumentRequest(case_id=case.id, document_id=notice.id), citizen
    )
    assert hashlib.sha256(pdf.content).hexdigest() == notice.sha256
    assert pdf.file_name.endswith(f"{accepted.case_number}.pdf")


async def test_a_notice_left_pending_by_a_crash_is_rendered_once_by_the_repair_sweep(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    citizen = person()
    case = await world.submitted(citizen)
    real_render = notices.render
    renders: list[str] = []

    async def killed(data: documents.NoticeData) -> bytes:
        # The process "dies" after the commit, before the PDF exists.
        raise RuntimeError("kill -9")

    monkeypatch.setattr(notices, "render", killed)
    accepted = await world.handle(case.id, CLERK, accept=pb.AcceptCommand())
    # The state change and the case number are committed; the notice is issued, not yet rendered.
    assert accepted.state == pb.CASE_STATE_ACCEPTED and accepted.case_number
    [pending] = accepted.documents
    assert pending.sha256 == "" and pending.verification_code
    error = await world.fails(
        "GetDocument", pb.GetDocumentRequest(case_id=case.id, document_id=pending.id), citizen
    )
    assert error.kind is ErrorKind.WRONG_STATE and error.code == "NOTICE_PENDING"
    assert "稍后" in error.message_zh

    async def counted(data: documents.NoticeData) -> bytes:
        renders.append(data.case_number)
        return await real_render(data)

    monkeypatch.setattr(notices, "render", counted)
    deps: Any = SimpleNamespace(db=world.db, files=FileStore(world.files_dir))  # what the sweep uses
    # A notice pending for less than a minute is its request's to render: the sweep leaves it.
    assert await notices.repair(deps) == 0 and renders == []
    assert await notices.repair(deps, grace=dt.timedelta(0)) == 1
    assert await notices.repair(deps, grace=dt.timedelta(0)) == 0  # once: nothing is pending any more
    assert renders == [accepted.case_number]
    after = await world.call("GetCase", pb.GetCaseRequest(case_id=case.id), citizen)
    [notice] = after.documents
    assert notice.id == pending.id and notice.verification_code == pending.verification_code
    pdf = await world.call(
        "GetDocument", pb.GetDocumentRequest(case_id=case.id, document_id=notice.id), citizen
    )
    assert hashlib.sha256(pdf.content).hexdigest() == notice.sha256 and pdf.content.startswith(b"%PDF-")


async def test_a_pending_notice_is_rendered_on_demand_for_its_reader(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    citizen = person()
    case = await world.submitted(citizen)
    real_render = notices.render

    async def killed(data: documents.NoticeData) -> bytes:
        raise RuntimeError("kill -9")

    monkeypatch.setattr(notices, "render", killed)
    refused = await world.handle(case.id, CLERK, not_accept=pb.NotAcceptCommand(reason="不属于本部门职责"))
    [pending] = refused.documents
    assert pending.kind == pb.DOCUMENT_KIND_NOT_ACCEPTED and pending.sha256 == ""
    monkeypatch.setattr(notices, "render", real_render)
    pdf = await world.call(
        "GetDocument", pb.GetDocumentRequest(case_id=case.id, document_id=pending.id), citizen
    )
    assert pdf.content.startswith(b"%PDF-")
    verified = await world.call(
        "VerifyDocument",
        pb.VerifyDocumentRequest(document_id=pending.id, verification_code=pending.verification_code),
        citizen,
    )
    assert verified.valid and verified.sha256 == hashlib.sha256(pdf.content).hexdigest()


def test_what_a_pending_notice_prints_survives_its_json() -> None:
    data = documents.NoticeData(
        kind=documents.DocumentKind.SUPPLEMENT,
        document_id="d1",
        verification_code="ABCD2345",
        verify_url="https://example.test/v/d1",
        case_number="",
        case_id="c1",
        matter_name="食品经营许可",
        department_name="市场监督管理局",
        site_name="西陵区政务服务中心",
        applicant_name="张三",
        issued_at=dt.datetime(2026, 12, 5, 8, 0, tzinfo=dt.UTC),
        submitted_at=None,
        accepted_at=None,
        promised_due="",
        opinion="请补正",
        supplement_items=(("营业执照", "不清晰"),),
        supplement_deadline="2026-12-12",
        application_number="SB420502202612050000001",
    )
    assert notices.from_json(notices.to_json(data)) == data
