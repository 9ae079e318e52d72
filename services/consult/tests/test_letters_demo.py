"""The demo letters all-in-one mode loads: public answers per Yichang site, one letter in 西陵区's
office queue for the demo clerk; loaded once."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from govhall.catalogue.demo import SITES
from govhall.consult.demo import demo_questions, load_demo_into
from govhall.consult.letters_demo import DEMO_WRITER, PENDING, load_demo_letters
from govhall.consult.letters_tables import letters
from govhall.kit.caller import caller_metadata
from govhall.kit.errors import ErrorKind
from govhall.kit.trust import Signer
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.consult.v1 import letters_pb2 as pb

from .conftest import ADMIN, ANONYMOUS, person, staff
from .letters_world import LettersWorld, letters_world

__all__ = ["letters_world"]


async def _demo_sites(w: LettersWorld) -> None:
    """The catalogue's demo sites (loaded before consult's demo, as `make up` does)."""
    for site in SITES:  # parents first
        await w.catalogue.UpsertSite(
            cat.UpsertSiteRequest(
                code=site.code, name=site.name, level=site.level, parent_code=site.parent_code
            ),
            metadata=caller_metadata(ADMIN),
        )


async def test_demo_letters_are_public_answers_and_a_queue(letters_world: LettersWorld) -> None:
    w = letters_world
    await _demo_sites(w)
    questions = demo_questions()
    assert await load_demo_letters(w.db) == len(questions) + 1
    # Each letter's path is its site's in the catalogue's tree (consult's copy of it).
    async with w.db.reader() as uow:
        paths = dict(
            (await uow.conn.execute(sa.select(letters.c.site_code, letters.c.site_path))).tuples().all()
        )
    assert paths["420102"] == "/420000/420100/420102/" and paths["420000"] == "/420000/"
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


async def test_the_demo_loader_writes_the_letters_over_grpc_once(
    letters_world: LettersWorld, platform: Any
) -> None:
    # As `make up` runs it: python -m govhall.consult.demo, signed with the operators' key.
    w = letters_world
    await _demo_sites(w)
    ops = Signer.from_settings(platform, "ops")
    questions = demo_questions()
    for _ in range(2):
        assert await load_demo_into(w.consult_address, ops) == len(questions)
    async with w.db.reader() as uow:
        titles = list(
            await uow.conn.scalars(sa.select(letters.c.title).where(letters.c.writer_subject == DEMO_WRITER))
        )
    assert sorted(titles) == sorted([q.title for q in questions] + [PENDING.title])  # each once
    listed = await w.call(
        w.letters, "ListPublicLetters", pb.ListPublicLettersRequest(site_code="420502"), ANONYMOUS
    )
    assert listed.page.total == sum(q.site_code == "420502" for q in questions)
    # Nobody but a platform administrator asks for it.
    for who in (person(), staff(["site_admin"], site="420502", dept="420502-ZWFW"), ANONYMOUS):
        err = await w.fails(w.letters, "LoadDemoLetters", pb.LoadDemoLettersRequest(), who)
        assert (err.code, err.kind) == ("ADMIN_ONLY", ErrorKind.FORBIDDEN)
