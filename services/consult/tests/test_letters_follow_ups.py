"""追问/追答, rating, reopening once within 10 days of the reply, and the public Q&A (咨询公开)."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from govhall.consult.letters_tables import letters
from govhall.kit.errors import ErrorKind
from govhall.protos.consult.v1 import letters_pb2 as pb

from .conftest import ANONYMOUS, COUNTY, DEPT, MATTER, OTHER_MATTER, person, staff
from .letters_world import LettersWorld, letters_world

__all__ = ["letters_world"]

CLERK = staff(["window_clerk"])


async def replied(w: LettersWorld, public: bool = True, **fields: object) -> pb.Letter:
    letter = (await w.write(person(), department_code=DEPT, **fields)).letter
    await w.call(w.letters, "ClaimLetter", pb.ClaimLetterRequest(letter_id=letter.id, revision=1), CLERK)
    reply = pb.ReplyLetterRequest(letter_id=letter.id, revision=2, content="请携带营业执照。", public=public)
    return await w.call(w.letters, "ReplyLetter", reply, CLERK)


async def test_a_follow_up_and_its_answer_keep_the_thread_in_order(letters_world: LettersWorld) -> None:
    w = letters_world
    letter = await replied(w)
    ask = pb.FollowUpRequest(letter_id=letter.id, content="复印件可以吗？")
    assert (await w.fails(w.letters, "FollowUp", ask, person(2))).kind == ErrorKind.NOT_FOUND
    asked = await w.call(w.letters, "FollowUp", ask, person())
    assert (asked.state, asked.revision) == (pb.LETTER_STATE_FOLLOWED_UP, 4)
    # Asking again before the answer: not replied now.
    assert (await w.fails(w.letters, "FollowUp", ask, person())).kind == ErrorKind.WRONG_STATE
    assert letter.id in [
        x.id for x in (await w.call(w.letters, "ListQueue", pb.ListQueueRequest(), CLERK)).letters
    ]
    answer = pb.ReplyLetterRequest(letter_id=letter.id, revision=4, content="需原件。", public=False)
    answered = await w.call(w.letters, "ReplyLetter", answer, CLERK)
    assert [(m.seq, m.action) for m in answered.messages] == [
        (1, "consultation"),
        (2, "reply"),
        (3, "follow_up"),
        (4, "follow_up_answer"),
    ]
    assert answered.state == pb.LETTER_STATE_REPLIED and answered.revision == 5
    await w.published("consult.letter.followed_up")
    await w.published("consult.letter.replied", 2)


async def test_rating_closes_and_an_unsatisfied_writer_reopens_once(letters_world: LettersWorld) -> None:
    w = letters_world
    letter = await replied(w)
    rate = pb.RateLetterRequest(letter_id=letter.id, rating=pb.LETTER_RATING_SATISFIED, reopen=True)
    assert (await w.fails(w.letters, "RateLetter", rate, person())).code == "REOPEN_INVALID"
    bad = pb.RateLetterRequest(letter_id=letter.id)
    assert (await w.fails(w.letters, "RateLetter", bad, person())).code == "RATING_INVALID"
    reopen = pb.RateLetterRequest(letter_id=letter.id, rating=pb.LETTER_RATING_UNSATISFIED, reopen=True)
    again = await w.call(w.letters, "RateLetter", reopen, person())
    assert (again.state, again.reopened, again.handler_name) == (
        pb.LETTER_STATE_PROCESSING,
        True,
        "window_clerk1",
    )
    await w.published("consult.letter.reopened")
    answer = pb.ReplyLetterRequest(
        letter_id=letter.id, revision=again.revision, content="已复核。", public=True
    )
    await w.call(w.letters, "ReplyLetter", answer, CLERK)
    # Once only.
    assert (await w.fails(w.letters, "RateLetter", reopen, person())).kind == ErrorKind.WRONG_STATE
    closed = await w.call(
        w.letters,
        "RateLetter",
        pb.RateLetterRequest(letter_id=letter.id, rating=pb.LETTER_RATING_BASICALLY),
        person(),
    )
    assert (closed.state, closed.rating) == (pb.LETTER_STATE_CLOSED, pb.LETTER_RATING_BASICALLY)
    await w.published("consult.letter.closed")


async def test_the_reopen_window_counts_from_the_reply_not_the_last_change(
    letters_world: LettersWorld,
) -> None:
    w = letters_world
    letter = await replied(w)
    now = dt.datetime.now(dt.UTC)
    # Replied 11 days ago, changed (rated unsatisfied) just now: too late all the same.
    await w.call(
        w.letters,
        "RateLetter",
        pb.RateLetterRequest(letter_id=letter.id, rating=pb.LETTER_RATING_UNSATISFIED),
        person(),
    )
    async with w.db.uow() as uow:
        await uow.conn.execute(
            sa.update(letters)
            .where(letters.c.id == letter.id)
            .values(replied_at=now - dt.timedelta(days=11), updated_at=now)
        )
        await uow.commit()
    reopen = pb.RateLetterRequest(letter_id=letter.id, rating=pb.LETTER_RATING_UNSATISFIED, reopen=True)
    err = await w.fails(w.letters, "RateLetter", reopen, person())
    assert (err.code, err.kind) == ("LETTER_WRONG_STATE", ErrorKind.WRONG_STATE)
    # Nine days after the reply it still may.
    async with w.db.uow() as uow:
        await uow.conn.execute(
            sa.update(letters).where(letters.c.id == letter.id).values(replied_at=now - dt.timedelta(days=9))
        )
        await uow.commit()
    assert (await w.call(w.letters, "RateLetter", reopen, person())).reopened


async def test_public_answers_only_agreed_and_public_without_names_or_numbers(
    letters_world: LettersWorld,
) -> None:
    w = letters_world
    shown = await replied(w, matter_code=MATTER)
    await replied(w, public=False, matter_code=MATTER)  # a private reply
    await replied(w, agrees_to_publish=False, matter_code=MATTER)  # the writer did not agree
    other = await replied(w, matter_code=OTHER_MATTER)
    (await w.write(ANONYMOUS, matter_code=MATTER))  # not replied
    listed = await w.call(
        w.letters,
        "ListPublicLetters",
        pb.ListPublicLettersRequest(site_code=COUNTY, matter_code=MATTER),
        ANONYMOUS,
    )
    assert listed.page.total == 1
    (item,) = listed.letters
    assert (item.title, item.answer, item.matter_code) == (shown.title, "请携带营业执照。", MATTER)
    assert "13812345678" not in item.question and item.question.startswith("请问") and "***" in item.question
    assert shown.letter_number not in str(item) and "李匿名" not in str(item) and "person-1" not in str(item)
    everything = await w.call(
        w.letters, "ListPublicLetters", pb.ListPublicLettersRequest(site_code=COUNTY), ANONYMOUS
    )
    assert everything.page.total == 2 and other.title in [x.title for x in everything.letters]
    err = await w.fails(
        w.letters, "ListPublicLetters", pb.ListPublicLettersRequest(site_code="42"), ANONYMOUS
    )
    assert err.code == "SITE_CODE_INVALID"
