"""Consult's demo data: the public Q&As are about the demo province's own sites and matters, and
the loader both ways to run call finds consult serving."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from govhall.catalogue.demo import MATTERS_BY_CODE, SITES_BY_CODE
from govhall.consult.demo import QA_FILE, demo_questions, load_demo_into
from govhall.kit.errors import DomainError

from .conftest import demo_sites


def test_every_demo_site_has_public_questions_about_its_own_matters() -> None:
    questions = demo_questions()
    assert {q.site_code for q in questions} == set(SITES_BY_CODE)
    for q in questions:
        assert q.title and q.content and q.reply
        if q.matter_code:
            assert MATTERS_BY_CODE[q.matter_code].site_code == q.site_code


def test_a_bad_question_in_the_data_is_refused(tmp_path: Path) -> None:
    data = json.loads(QA_FILE.read_text(encoding="utf-8"))
    bad = tmp_path / "qa.json"
    for change in ({"site_code": "42"}, {"matter_code": "bad code"}, {"reply": " "}, {"title": "问" * 101}):
        data["questions"][0] = {**data["questions"][0], **change}
        bad.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
        with pytest.raises((DomainError, ValueError)):
            demo_questions(bad)
        data = json.loads(QA_FILE.read_text(encoding="utf-8"))


async def test_the_loader_finds_consult_serving(world: Any, platform: Any) -> None:
    from govhall.kit.trust import Signer

    await demo_sites(world.catalogue)
    loaded = await load_demo_into(world.consult_address, Signer.from_settings(platform, "ops"))
    assert loaded == len(demo_questions())
