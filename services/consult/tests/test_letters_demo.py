"""The demo letters all-in-one mode loads: public answers per Yichang site, one letter in 西陵区's
office queue for the demo clerk; loaded once."""

from __future__ import annotations

from govhall.consult.demo import demo_questions
from govhall.consult.letters_demo import load_demo_letters
from govhall.protos.consult.v1 import letters_pb2 as pb

from .conftest import ANONYMOUS, staff
from .letters_world import LettersWorld, letters_world

__all__ = ["letters_world"]


async def test_demo_letters_are_public_answers_and_a_queue(letters_world: LettersWorld) -> None:
    w = letters_world
    questions = demo_questions()
    assert await load_demo_letters(w.db) == len(questions) + 1
    assert await load_demo_letters(w.db) == 0  # again: left as it is
    for site in ("420502", "420500", "420000"):
        count = sum(q.site_code == site for q in questions)
        listed = await w.call(
            w.letters, "ListPublicLetters", pb.ListPublicLettersRequest(site_code=site), ANONYMOUS
        )
        assert listed.page.total == count and all(x.answer for x in listed.letters), site
    xl_clerk = staff(["window_clerk"], site="420502", dept="420502-ZWFW")
    (pending,) = (await w.call(w.letters, "ListQueue", pb.ListQueueRequest(), xl_clerk)).letters
    claimed = await w.call(
        w.letters, "ClaimLetter", pb.ClaimLetterRequest(letter_id=pending.id, revision=1), xl_clerk
    )
    assert claimed.state == pb.LETTER_STATE_PROCESSING
