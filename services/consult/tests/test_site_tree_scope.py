"""Subtrees follow the catalogue's site tree (consult's site copy), not the GB/T 2260 code
prefix. 仙桃市 429004 is a city-level site straight under 湖北省 whose code does not end in 00 (the
prefix rule gives it only itself), and its development zone 仙桃高新区 429071 hangs under it; a
park 420599 carries 宜昌市's prefix but the catalogue puts it under 襄阳市 420600 (the prefix rule
says it is 宜昌's). Both the supervisors' scopes and the statistics must follow the catalogue.
SQLite and PostgreSQL."""

from __future__ import annotations

import sqlalchemy as sa

from govhall.consult.store import sites
from govhall.kit.caller import caller_metadata
from govhall.kit.errors import ErrorKind
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.common.v1 import common_pb2 as C
from govhall.protos.consult.v1 import evaluations_pb2 as pb
from govhall.protos.consult.v1 import letters_pb2 as lpb

from . import evaluation_world
from .conftest import ADMIN, CITY, PROVINCE, person, staff
from .evaluation_world import EvaluationWorld
from .letters_world import LettersWorld, letters_world

ev_world = evaluation_world.ev_world
__all__ = ["letters_world"]

XIANTAO, XIANTAO_ZONE, PARK, XIANGYANG = "429004", "429071", "420599", "420600"


def supervisor(site: str) -> C.CallerIdentity:
    return staff(["supervisor"], site=site, dept=f"{site}-JCJ")


async def _tree(w: EvaluationWorld) -> None:
    await w.site(XIANTAO, "仙桃市", PROVINCE)
    await w.site(XIANTAO_ZONE, "仙桃高新区", XIANTAO)
    await w.site(PARK, "襄阳宜昌共建产业园", XIANGYANG)


async def _bad_review(w: EvaluationWorld, case_id: str, site: str) -> str:
    await w.case(case_id, site=site, dept=f"{site}-SCJG")
    out = await w.call(
        w.evaluations, "SubmitEvaluation", pb.SubmitEvaluationRequest(case_id=case_id, level=5), person(1)
    )
    return str(out.rectification_id)


async def _listed(w: EvaluationWorld, site: str) -> set[str]:
    out = await w.call(w.evaluations, "ListRectifications", pb.ListRectificationsRequest(), supervisor(site))
    return {r.evaluation.site_code for r in out.rectifications}


async def _total(w: EvaluationWorld, site: str) -> int:
    request = pb.EvaluationStatisticsRequest(site_code=site)
    return int((await w.call(w.evaluations, "EvaluationStatistics", request, person(9))).overall.total)


async def test_supervisors_scope_follows_the_site_tree_not_the_code(ev_world: EvaluationWorld) -> None:
    w = ev_world
    await _tree(w)
    in_zone = await _bad_review(w, "z1", XIANTAO_ZONE)
    in_park = await _bad_review(w, "p1", PARK)
    assert await _listed(w, XIANTAO) == {XIANTAO_ZONE}
    assert await _listed(w, CITY) == set()
    assert await _listed(w, XIANGYANG) == {PARK}
    assert await _listed(w, PROVINCE) == {XIANTAO_ZONE, PARK}
    get = pb.GetRectificationRequest(rectification_id=in_zone)
    assert (
        await w.call(w.evaluations, "GetRectification", get, supervisor(XIANTAO))
    ).rectification_id == in_zone
    hidden = await w.fails(
        w.evaluations,
        "GetRectification",
        pb.GetRectificationRequest(rectification_id=in_park),
        supervisor(CITY),
    )
    assert hidden.kind == ErrorKind.NOT_FOUND
    # An appeal goes to the supervisors above the site in the tree, and to no one else.
    for rid, site in ((in_zone, XIANTAO_ZONE), (in_park, PARK)):
        clerk = staff(["reviewer"], site=site, dept=f"{site}-SCJG")
        await w.call(w.evaluations, "Appeal", pb.AppealRequest(rectification_id=rid, reason="误评"), clerk)
    uphold = pb.DecideAppealRequest(rectification_id=in_zone, decision="uphold", reason="评价属实")
    assert (await w.call(w.evaluations, "DecideAppeal", uphold, supervisor(XIANTAO))).state == "open"
    void = pb.DecideAppealRequest(rectification_id=in_park, decision="void", reason="确属误评")
    assert (await w.fails(w.evaluations, "DecideAppeal", void, supervisor(CITY))).kind == ErrorKind.NOT_FOUND
    assert (await w.call(w.evaluations, "DecideAppeal", void, supervisor(XIANGYANG))).state == "voided"


async def test_statistics_roll_up_the_site_tree_not_the_code(ev_world: EvaluationWorld) -> None:
    w = ev_world
    await _tree(w)
    for case_id, site in (("z1", XIANTAO_ZONE), ("p1", PARK), ("c1", "420502"), ("x1", XIANGYANG)):
        await _bad_review(w, case_id, site)
    assert await _total(w, XIANTAO) == 1  # its zone
    assert await _total(w, CITY) == 1  # 西陵区 only: the park is 襄阳's
    assert await _total(w, XIANGYANG) == 2  # itself and the park
    assert await _total(w, PROVINCE) == 4
    assert await _total(w, PARK) == 1


async def test_a_site_the_catalogue_moves_moves_its_scope(ev_world: EvaluationWorld) -> None:
    w = ev_world
    await _tree(w)
    await _bad_review(w, "p1", PARK)
    assert (await _listed(w, XIANGYANG), await _listed(w, CITY)) == ({PARK}, set())
    # The park is handed to 宜昌市: 襄阳's supervisors and figures lose it, 宜昌's gain it.
    await w.site(PARK, "襄阳宜昌共建产业园", CITY)
    assert (await _listed(w, XIANGYANG), await _listed(w, CITY)) == (set(), {PARK})
    assert (await _total(w, XIANGYANG), await _total(w, CITY)) == (0, 1)


async def test_a_letter_is_read_by_the_supervisors_above_its_site_in_the_tree(
    letters_world: LettersWorld,
) -> None:
    w = letters_world
    admin = caller_metadata(ADMIN)
    await w.catalogue.UpsertSite(
        cat.UpsertSiteRequest(code=XIANTAO, name="仙桃市", level=cat.SITE_LEVEL_CITY, parent_code=PROVINCE),
        metadata=admin,
    )
    await w.catalogue.UpsertSite(
        cat.UpsertSiteRequest(
            code=XIANTAO_ZONE, name="仙桃高新区", level=cat.SITE_LEVEL_COUNTY, parent_code=XIANTAO
        ),
        metadata=admin,
    )
    letter = (await w.write(person(), site_code=XIANTAO_ZONE)).letter
    get = lpb.GetLetterRequest(letter_id=letter.id)
    for site in (XIANTAO, PROVINCE):
        assert (await w.call(w.letters, "GetLetter", get, supervisor(site))).id == letter.id
    assert (await w.fails(w.letters, "GetLetter", get, supervisor(CITY))).kind == ErrorKind.NOT_FOUND
    # The path came from consult's own copy, which holds the zone where the catalogue put it.
    async with w.db.reader() as uow:
        path = await uow.conn.scalar(sa.select(sites.t.c.path).where(sites.t.c.code == XIANTAO_ZONE))
    assert path == ",".join([PROVINCE, XIANTAO, XIANTAO_ZONE])
