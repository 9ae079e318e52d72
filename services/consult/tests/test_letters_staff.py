"""The department's side of letters: queue, claim, reply (公开/私密), reassign, refuse; stale
revisions are 409 and two staff at once on one letter: exactly one wins (SQLite and PostgreSQL)."""

from __future__ import annotations

from govhall.kit.errors import DomainError, ErrorKind
from govhall.kit.races import concurrently, outcomes
from govhall.protos.consult.v1 import events_pb2
from govhall.protos.consult.v1 import letters_pb2 as pb

from .conftest import CITY, DEPT, person, staff
from .letters_world import OTHER_DEPT, LettersWorld, letters_world

__all__ = ["letters_world"]

CLERK, CLERK2 = staff(["window_clerk"], n=1), staff(["window_clerk"], n=2)
OTHER = staff(["window_clerk"], dept=OTHER_DEPT, n=3)


async def queue(w: LettersWorld, who: object, *states: int) -> list[str]:
    reply = await w.call(w.letters, "ListQueue", pb.ListQueueRequest(states=list(states)), who)
    return [letter.id for letter in reply.letters]


async def test_claim_reply_and_the_department_queue(letters_world: LettersWorld) -> None:
    w = letters_world
    letter = (await w.write(person(), department_code=DEPT)).letter
    assert await queue(w, CLERK) == [letter.id]
    assert await queue(w, OTHER) == [] and await queue(w, staff(["window_clerk"], site=CITY, dept=DEPT)) == []
    claimed = await w.call(
        w.letters, "ClaimLetter", pb.ClaimLetterRequest(letter_id=letter.id, revision=1), CLERK
    )
    assert (claimed.state, claimed.revision, claimed.handler_name) == (
        pb.LETTER_STATE_PROCESSING,
        2,
        "window_clerk1",
    )
    # Only its handler replies; an old revision is a conflict.
    reply = pb.ReplyLetterRequest(
        letter_id=letter.id, revision=2, content="请携带营业执照和场所证明。", public=True
    )
    assert (await w.fails(w.letters, "ReplyLetter", reply, CLERK2)).code == "NOT_HANDLER"
    stale = pb.ReplyLetterRequest(letter_id=letter.id, revision=1, content="x")
    assert (await w.fails(w.letters, "ReplyLetter", stale, CLERK)).kind == ErrorKind.CONFLICT
    replied = await w.call(w.letters, "ReplyLetter", reply, CLERK)
    assert (replied.state, replied.revision) == (pb.LETTER_STATE_REPLIED, 3)
    assert [(m.role, m.action, m.public) for m in replied.messages] == [
        (pb.MESSAGE_ROLE_WRITER, "consultation", False),
        (pb.MESSAGE_ROLE_STAFF, "reply", True),
    ]
    assert replied.messages[1].author_name == "window_clerk1"
    (event,) = await w.published("consult.letter.replied")
    assert events_pb2.LetterChanged.FromString(event.payload).revision == 3
    assert await queue(w, CLERK) == [] and await queue(w, CLERK, pb.LETTER_STATE_REPLIED) == [letter.id]
    # The writer reads the reply.
    mine = await w.call(w.letters, "GetLetter", pb.GetLetterRequest(letter_id=letter.id), person())
    assert mine.messages[-1].content == "请携带营业执照和场所证明。"


async def test_other_staff_and_writers_cannot_act(letters_world: LettersWorld) -> None:
    w = letters_world
    letter = (await w.write(person(), department_code=DEPT)).letter
    claim = pb.ClaimLetterRequest(letter_id=letter.id, revision=1)
    assert (await w.fails(w.letters, "ClaimLetter", claim, OTHER)).kind == ErrorKind.NOT_FOUND
    assert (await w.fails(w.letters, "ClaimLetter", claim, person())).kind == ErrorKind.FORBIDDEN
    assert (
        await w.fails(w.letters, "ListQueue", pb.ListQueueRequest(), person())
    ).kind == ErrorKind.FORBIDDEN


async def test_reassign_to_another_department_then_refuse(letters_world: LettersWorld) -> None:
    w = letters_world
    letter = (await w.write(person(), department_code=DEPT)).letter
    bad = pb.ReassignLetterRequest(
        letter_id=letter.id, revision=1, department_code="420502-NONE", reason="不属本部门"
    )
    assert (await w.fails(w.letters, "ReassignLetter", bad, CLERK)).code == "DEPARTMENT_UNKNOWN"
    no_reason = pb.ReassignLetterRequest(letter_id=letter.id, revision=1, department_code=OTHER_DEPT)
    assert (await w.fails(w.letters, "ReassignLetter", no_reason, CLERK)).code == "REASON_REQUIRED"
    moved = await w.call(
        w.letters,
        "ReassignLetter",
        pb.ReassignLetterRequest(
            letter_id=letter.id, revision=1, department_code=OTHER_DEPT, reason="属商务局职责"
        ),
        CLERK,
    )
    assert (moved.department_code, moved.state, moved.revision) == (OTHER_DEPT, pb.LETTER_STATE_PENDING, 2)
    assert moved.messages[-1].action == "reassigned" and "属商务局职责" in moved.messages[-1].content
    assert await queue(w, CLERK) == [] and await queue(w, OTHER) == [letter.id]
    refused = await w.call(
        w.letters,
        "RefuseLetter",
        pb.RefuseLetterRequest(letter_id=letter.id, revision=2, reason="不属政务服务范围"),
        OTHER,
    )
    assert refused.state == pb.LETTER_STATE_REFUSED and refused.messages[-1].content == "不属政务服务范围"
    again = pb.RefuseLetterRequest(letter_id=letter.id, revision=3, reason="x")
    assert (await w.fails(w.letters, "RefuseLetter", again, OTHER)).kind == ErrorKind.WRONG_STATE
    await w.published("consult.letter.reassigned")
    await w.published("consult.letter.refused")


async def test_two_staff_at_once_exactly_one_wins(letters_world: LettersWorld) -> None:
    """On PostgreSQL the two calls truly overlap (each its own transaction): the conditional
    UPDATE lets one through; on SQLite the second sees the new revision. Either way one 409."""
    w = letters_world
    letter = (await w.write(person(), department_code=DEPT)).letter
    clerks = [staff(["window_clerk"], n=i) for i in range(4)]

    async def claim(i: int) -> pb.Letter:
        return await w.call(
            w.letters, "ClaimLetter", pb.ClaimLetterRequest(letter_id=letter.id, revision=1), clerks[i]
        )

    won, lost = outcomes(await concurrently(4, claim))
    assert len(won) == 1 and won[0].revision == 2
    assert len(lost) == 3 and all(isinstance(e, DomainError) and e.kind == ErrorKind.CONFLICT for e in lost)
    # A reply and a refusal racing on the claimed letter: one of them.
    winner = clerks[
        [c.subject for c in clerks].index(next(c.subject for c in clerks if c.name == won[0].handler_name))
    ]

    async def act(i: int) -> pb.Letter:
        if i == 0:
            request = pb.ReplyLetterRequest(letter_id=letter.id, revision=2, content="答复")
            return await w.call(w.letters, "ReplyLetter", request, winner)
        refuse = pb.RefuseLetterRequest(letter_id=letter.id, revision=2, reason="不属范围")
        return await w.call(w.letters, "RefuseLetter", refuse, winner)

    won, lost = outcomes(await concurrently(2, act))
    assert len(won) == 1 and len(lost) == 1 and isinstance(lost[0], DomainError)
    assert lost[0].kind == ErrorKind.CONFLICT
    final = await w.call(w.letters, "GetLetter", pb.GetLetterRequest(letter_id=letter.id), winner)
    assert final.revision == 3 and len(final.messages) == 2
