"""我的消息: every event that concerns a user becomes one message (however often it is
delivered); read state per message, unread count, mark one or all read, delete, paging; a user
sees only their own messages. SQLite and PostgreSQL (the `db_url` fixture)."""

from __future__ import annotations

from typing import Any

from govhall.contracts import consult as consult_contract
from govhall.kit.events import make_event
from govhall.protos.common.v1 import common_pb2 as C
from govhall.protos.consult.v1 import events_pb2 as ev
from govhall.protos.consult.v1 import inbox_pb2 as pb

from .conftest import ANONYMOUS, enterprise, person, staff
from .inbox_support import InboxWorld, case_event, inbox_world_fixture  # noqa: F401 - the fixture

ME, OTHER = person(1), person(2)


async def listed(w: InboxWorld, caller: C.CallerIdentity = ME, **page: Any) -> pb.ListMessagesResponse:
    return await w.call("ListMessages", pb.ListMessagesRequest(page=C.PageRequest(**page)), caller)


async def unread(w: InboxWorld, caller: C.CallerIdentity = ME) -> int:
    return int((await w.call("UnreadCount", pb.UnreadCountRequest(), caller)).unread)


async def test_case_events_become_messages_once_each(inbox_world: InboxWorld) -> None:
    w = inbox_world
    accepted = case_event("cases.case.accepted", notice_title="受理通知书")
    await w.bus.publish(case_event("cases.case.submitted"))
    await w.bus.publish(accepted)
    await w.bus.publish(case_event("cases.case.step_completed"))  # no template: no message
    await w.bus.publish(
        case_event(
            "cases.case.supplement_requested",
            supplement_items=[
                {"material": "YYZZ", "name": "营业执照", "problem": "复印件不清晰"},
                {"material": "CSZM", "name": "经营场所证明", "problem": "缺少"},
            ],
            supplement_deadline="2026-12-20",
        )
    )
    await w.bus.publish(accepted)  # delivered again: still one message
    await w.bus.publish(case_event("cases.case.accepted", applicant=""))  # concerns nobody

    page = await listed(w)
    assert page.page.total == 3
    subjects = [m.subject for m in page.messages]
    assert sorted(subjects) == sorted(
        ["cases.case.submitted", "cases.case.accepted", "cases.case.supplement_requested"]
    )
    by_subject = {m.subject: m for m in page.messages}
    told = by_subject["cases.case.accepted"]
    assert told.title == "申请已受理：食品经营许可"
    assert "420502-2026-000001" in told.body and "《受理通知书》" in told.body
    assert (told.link_kind, told.link_id, told.read) == ("case", "case-1", False)
    supplement = by_subject["cases.case.supplement_requested"].body
    assert "营业执照：复印件不清晰；经营场所证明：缺少" in supplement and "2026-12-20" in supplement
    assert await unread(w) == 3

    # Paging: newest first, two a page.
    first, second = await listed(w, page=1, page_size=2), await listed(w, page=2, page_size=2)
    assert [len(first.messages), len(second.messages), first.page.total] == [2, 1, 3]
    ids = [m.id for m in first.messages] + [m.id for m in second.messages]
    assert len(set(ids)) == 3
    times = [m.created_at.ToDatetime() for m in (*first.messages, *second.messages)]
    assert times == sorted(times, reverse=True)


async def test_read_state_is_per_message_and_only_the_owners(inbox_world: InboxWorld) -> None:
    w = inbox_world
    for subject in ("cases.case.submitted", "cases.case.accepted", "cases.case.concluded"):
        await w.bus.publish(case_event(subject))
    await w.bus.publish(case_event("cases.case.accepted", applicant="person-2"))
    mine = (await listed(w)).messages
    one = mine[0].id

    read = await w.call("MarkRead", pb.MarkReadRequest(id=one), ME)
    assert read.read and read.read_at.seconds > 0
    again = await w.call("MarkRead", pb.MarkReadRequest(id=one), ME)
    assert again.read_at == read.read_at  # idempotent: the first read time stays
    assert await unread(w) == 2
    only_unread = await w.call("ListMessages", pb.ListMessagesRequest(unread_only=True), ME)
    assert one not in [m.id for m in only_unread.messages] and only_unread.page.total == 2

    # Another user's message is not found, whatever they try; their own list is theirs.
    for method, request in (
        ("MarkRead", pb.MarkReadRequest(id=one)),
        ("DeleteMessage", pb.DeleteMessageRequest(id=one)),
    ):
        assert (await w.world.fails(w.inbox, method, request, OTHER)).code == "MESSAGE_NOT_FOUND"
    theirs = await listed(w, OTHER)
    assert [m.subject for m in theirs.messages] == ["cases.case.accepted"] and await unread(w, OTHER) == 1

    marked = await w.call("MarkAllRead", pb.MarkAllReadRequest(), ME)
    assert marked.marked == 2 and await unread(w) == 0 and await unread(w, OTHER) == 1

    removed = await w.call("DeleteMessage", pb.DeleteMessageRequest(id=one), ME)
    assert removed.removed
    assert one not in [m.id for m in (await listed(w)).messages]
    assert (
        await w.world.fails(w.inbox, "MarkRead", pb.MarkReadRequest(id=one), ME)
    ).code == "MESSAGE_NOT_FOUND"
    gone = await w.world.fails(w.inbox, "DeleteMessage", pb.DeleteMessageRequest(id=one), ME)
    assert gone.code == "MESSAGE_NOT_FOUND"


async def test_callers_and_input_are_checked(inbox_world: InboxWorld) -> None:
    w = inbox_world
    assert (await w.world.fails(w.inbox, "UnreadCount", pb.UnreadCountRequest(), ANONYMOUS)).code == (
        "SIGN_IN_REQUIRED"
    )
    clerk = staff(["window_clerk"])
    assert (
        await w.world.fails(w.inbox, "ListMessages", pb.ListMessagesRequest(), clerk)
    ).code == "OWNER_ONLY"
    bad = await w.world.fails(w.inbox, "MarkRead", pb.MarkReadRequest(id=""), ME)
    assert bad.code == "MESSAGE_ID_INVALID" and [f.field for f in bad.fields] == ["id"]
    big = await w.world.fails(
        w.inbox, "ListMessages", pb.ListMessagesRequest(page=C.PageRequest(page_size=1000)), ME
    )
    assert big.code == "PAGE_SIZE_INVALID"


async def test_consult_events_tell_their_owner_and_an_anonymous_letter_nobody(
    inbox_world: InboxWorld,
) -> None:
    w = inbox_world
    writer = ev.Owner(kind=C.CALLER_KIND_LEGAL_PERSON, subject="lp-1")
    letter = ev.LetterChanged(
        letter_id="letter-1",
        letter_number="ZX20261205001",
        kind="complaint",
        title="窗口排队太久",
        writer=writer,
    )
    await w.bus.publish(make_event(consult_contract.letter("replied"), letter))
    anonymous = ev.LetterChanged(letter_id="letter-2", letter_number="TS2", kind="complaint", title="匿名")
    await w.bus.publish(make_event(consult_contract.letter("replied"), anonymous))
    await w.bus.publish(make_event(consult_contract.letter("claimed"), letter))  # no template
    report = ev.ErrorReportChanged(
        report_id="r-1",
        matter_name="食品经营许可",
        reporter=ev.Owner(kind=C.CALLER_KIND_PERSON, subject="person-1"),
    )
    await w.bus.publish(make_event(consult_contract.error_report("accepted"), report))
    rect = ev.RectificationChanged(
        case_id="case-9",
        case_number="420502-2026-000009",
        applicant=ev.Owner(kind=C.CALLER_KIND_PERSON, subject="person-1"),
    )
    await w.bus.publish(make_event(consult_contract.rectification("called_back"), rect))

    company = (await listed(w, enterprise(1))).messages
    assert [(m.subject, m.title, m.link_kind, m.link_id) for m in company] == [
        ("consult.letter.replied", "您的投诉已答复", "letter", "letter-1")
    ]
    assert "窗口排队太久" in company[0].body and "ZX20261205001" in company[0].body
    citizen = {m.subject: m for m in (await listed(w)).messages}
    assert set(citizen) == {"consult.error_report.accepted", "consult.rectification.called_back"}
    assert citizen["consult.error_report.accepted"].link_id == "r-1"
    assert "420502-2026-000009" in citizen["consult.rectification.called_back"].body
