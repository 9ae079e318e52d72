"""Letters' time limits on the kit calendar (National Day 2026 and its adjusted Saturday), the
sweep raising the warning and overdue once each, extensions and the supervisors' lists."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from govhall.consult import letter_clock
from govhall.consult.letters_tables import letters
from govhall.kit.errors import ErrorKind
from govhall.kit.workdays import default_calendar
from govhall.protos.consult.v1 import events_pb2
from govhall.protos.consult.v1 import letters_pb2 as pb

from .conftest import ADMIN, CITY, COUNTY, DEPT, person, staff
from .letters_world import LettersWorld, letters_world

__all__ = ["letters_world"]

CLERK = staff(["window_clerk"])
CITY_SUPERVISOR = staff(["supervisor"], site=CITY, dept=f"{CITY}-ZWFW")
OTHER_SUPERVISOR = staff(["supervisor"], site="420503", dept="420503-ZWFW")
# 2026-09-30 (Wednesday) 10:00 China time, the eve of National Day (Oct 1-7 off, Sat Oct 10 worked).
EVE = dt.datetime(2026, 9, 30, 2, 0, tzinfo=dt.UTC)


def test_due_dates_skip_the_holiday_and_count_the_adjusted_saturday() -> None:
    # Consultation, 3 working days: Oct 8, Oct 9 and Saturday Oct 10 (an adjusted working day).
    assert letter_clock.due_date(COUNTY, "consultation", EVE) == dt.date(2026, 10, 10)
    # The county's complaints have 7 (its own entry); suggestions the default 10.
    assert letter_clock.limit_days(COUNTY, "complaint") == 7
    assert letter_clock.due_date(COUNTY, "complaint", EVE) == dt.date(2026, 10, 15)
    assert letter_clock.due_date(COUNTY, "suggestion", EVE) == dt.date(2026, 10, 20)
    # Another site has the defaults: a complaint 10 working days.
    assert letter_clock.due_date(CITY, "complaint", EVE) == dt.date(2026, 10, 20)
    # Written late in the evening UTC is the next morning in China: the day counts from China time.
    assert letter_clock.due_date(
        COUNTY, "consultation", dt.datetime(2026, 9, 29, 17, tzinfo=dt.UTC)
    ) == dt.date(2026, 10, 10)


async def backdate(w: LettersWorld, letter_id: str, **values: Any) -> None:
    async with w.db.uow() as uow:
        await uow.conn.execute(sa.update(letters).where(letters.c.id == letter_id).values(**values))
        await uow.commit()


async def sweep(w: LettersWorld, day: str) -> tuple[int, int]:
    reply = await w.call(w.letters, "SweepLetters", pb.SweepLettersRequest(today=day), ADMIN)
    return reply.warned, reply.overdue


async def test_the_sweep_warns_at_80_percent_and_raises_overdue_once_each(
    letters_world: LettersWorld,
) -> None:
    w = letters_world
    open_one = (await w.write(person(), kind=pb.LETTER_KIND_COMPLAINT, department_code=DEPT, reason=1)).letter
    answered = (await w.write(person(), department_code=DEPT)).letter
    for letter in (open_one, answered):
        await backdate(w, letter.id, submitted_at=EVE, due_date=dt.date(2026, 10, 15))
    await w.call(w.letters, "ClaimLetter", pb.ClaimLetterRequest(letter_id=answered.id, revision=1), CLERK)
    reply = pb.ReplyLetterRequest(letter_id=answered.id, revision=2, content="已答复")
    await w.call(w.letters, "ReplyLetter", reply, CLERK)
    # 7 working days to Oct 15: on Oct 13, 5 used (71 %); on Oct 14, 6 (86 %).
    assert await sweep(w, "2026-10-13") == (0, 0)
    assert await sweep(w, "2026-10-14") == (1, 0)
    assert await sweep(w, "2026-10-14") == (0, 0)
    assert await sweep(w, "2026-10-15") == (0, 0)  # the due day itself is not overdue
    assert await sweep(w, "2026-10-16") == (0, 1)
    assert await sweep(w, "2026-10-19") == (0, 0)
    (warning,) = await w.published("consult.letter.overdue_warning")
    (overdue,) = await w.published("consult.letter.overdue")
    for event, level in ((warning, "warning"), (overdue, "overdue")):
        message = events_pb2.LetterChanged.FromString(event.payload)
        assert (message.letter_id, message.level, message.due) == (open_one.id, level, "2026-10-15")
    shown = await w.call(w.letters, "GetLetter", pb.GetLetterRequest(letter_id=open_one.id), person())
    assert (
        shown.warning_level == "overdue" and shown.revision == open_one.revision
    )  # not a change of the letter
    # Supervisors of the city above list it; the overdue list too; another county's do not.
    listed = await w.call(
        w.letters, "ListSupervised", pb.ListSupervisedRequest(overdue_only=True), CITY_SUPERVISOR
    )
    assert [x.id for x in listed.letters] == [open_one.id]
    assert not (
        await w.call(w.letters, "ListSupervised", pb.ListSupervisedRequest(), OTHER_SUPERVISOR)
    ).letters
    err = await w.fails(w.letters, "ListSupervised", pb.ListSupervisedRequest(), CLERK)
    assert err.code == "SUPERVISOR_ONLY"
    assert (
        await w.fails(w.letters, "SweepLetters", pb.SweepLettersRequest(), CLERK)
    ).kind == ErrorKind.FORBIDDEN


async def test_a_letter_that_skipped_the_warning_tells_both_levels(letters_world: LettersWorld) -> None:
    w = letters_world
    letter = (await w.write(person())).letter
    await backdate(w, letter.id, submitted_at=EVE, due_date=dt.date(2026, 10, 10))
    assert await sweep(w, "2026-10-12") == (0, 1)
    await w.published("consult.letter.overdue_warning")
    await w.published("consult.letter.overdue")


async def test_an_extension_asked_before_the_deadline_and_approved_by_a_supervisor(
    letters_world: LettersWorld,
) -> None:
    w = letters_world
    letter = (await w.write(person(), department_code=DEPT)).letter
    claimed = await w.call(
        w.letters, "ClaimLetter", pb.ClaimLetterRequest(letter_id=letter.id, revision=1), CLERK
    )
    ask = pb.RequestExtensionRequest(
        letter_id=letter.id, revision=claimed.revision, days=5, reason="需实地核查"
    )
    bad = pb.RequestExtensionRequest(letter_id=letter.id, revision=claimed.revision, days=31, reason="x")
    assert (await w.fails(w.letters, "RequestExtension", bad, CLERK)).code == "DAYS_INVALID"
    asked = await w.call(w.letters, "RequestExtension", ask, CLERK)
    assert asked.extension_state == "requested" and asked.extension_days == 5
    await w.published("consult.letter.extension_requested")
    again = pb.RequestExtensionRequest(letter_id=letter.id, revision=asked.revision, days=3, reason="再延")
    assert (await w.fails(w.letters, "RequestExtension", again, CLERK)).kind == ErrorKind.WRONG_STATE
    decide = pb.DecideExtensionRequest(letter_id=letter.id, revision=asked.revision, approve=True)
    assert (await w.fails(w.letters, "DecideExtension", decide, CLERK)).code == "SUPERVISOR_ONLY"
    assert (await w.fails(w.letters, "DecideExtension", decide, OTHER_SUPERVISOR)).kind == ErrorKind.NOT_FOUND
    approved = await w.call(w.letters, "DecideExtension", decide, CITY_SUPERVISOR)
    expected = default_calendar().add_working_days(dt.date.fromisoformat(letter.due_date), 5).date
    assert (approved.extension_state, approved.due_date) == ("approved", expected.isoformat())
    assert approved.messages[-1].action == "extended"
    await w.published("consult.letter.extended")


async def test_no_extension_after_the_deadline_and_a_refusal_needs_a_reason(
    letters_world: LettersWorld,
) -> None:
    w = letters_world
    late = (await w.write(person(), department_code=DEPT)).letter
    await backdate(w, late.id, due_date=dt.date(2026, 10, 10))
    ask = pb.RequestExtensionRequest(letter_id=late.id, revision=1, days=2, reason="来不及")
    assert (await w.fails(w.letters, "RequestExtension", ask, CLERK)).kind == ErrorKind.WRONG_STATE
    letter = (await w.write(person(), department_code=DEPT)).letter
    ask = pb.RequestExtensionRequest(letter_id=letter.id, revision=1, days=2, reason="需会商")
    asked = await w.call(w.letters, "RequestExtension", ask, CLERK)
    refuse = pb.DecideExtensionRequest(letter_id=letter.id, revision=asked.revision, approve=False)
    assert (await w.fails(w.letters, "DecideExtension", refuse, CITY_SUPERVISOR)).code == "REASON_REQUIRED"
    refuse.reason = "期限内可办结"
    refused = await w.call(w.letters, "DecideExtension", refuse, staff(["supervisor"], dept=f"{COUNTY}-ZWFW"))
    assert (refused.extension_state, refused.due_date) == ("refused", letter.due_date)
    await w.published("consult.letter.extension_refused")


async def test_the_sweep_refreshes_the_letter_gauges(letters_world: LettersWorld) -> None:
    from prometheus_client import REGISTRY

    def value(name: str, **labels: str) -> float | None:
        return REGISTRY.get_sample_value(name, labels)

    w = letters_world
    late = (await w.write(person(), kind=pb.LETTER_KIND_COMPLAINT, department_code=DEPT, reason=1)).letter
    await w.write(person(), department_code=DEPT)  # a consultation, pending
    await backdate(w, late.id, submitted_at=EVE, due_date=dt.date(2026, 10, 15))
    await sweep(w, "2026-10-15")
    assert value("govhall_consult_letters", kind="complaint", state="pending") == 1
    assert value("govhall_consult_letters", kind="consultation", state="pending") == 1
    assert value("govhall_consult_letters", kind="suggestion", state="closed") == 0
    assert value("govhall_consult_letters_overdue", kind="complaint") == 0  # the due day itself
    await sweep(w, "2026-10-16")
    assert value("govhall_consult_letters_overdue", kind="complaint") == 1
    assert value("govhall_consult_letters_overdue", kind="consultation") == 0
