"""好差评 statistics: counts per level and rates by site (rolled up its subtree), department,
matter and month (China time), on SQLite and PostgreSQL; voided evaluations left out."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from govhall.consult.evaluation_tables import evaluations
from govhall.kit.errors import ErrorKind
from govhall.protos.consult.v1 import evaluations_pb2 as pb

from . import evaluation_world
from .conftest import CITY, COUNTY, DEPT, MATTER, OTHER_MATTER, PROVINCE, person, staff
from .evaluation_world import EvaluationWorld

ev_world = evaluation_world.ev_world

CLERK = staff(["reviewer"])
SUPERVISOR = staff(["supervisor"], site=CITY, dept="420500-JCJ")
NEIGHBOUR = "420503"


async def _rated(w: EvaluationWorld, case_id: str, level: int, at: dt.datetime, **case: str) -> pb.Evaluation:
    await w.case(case_id, **case)  # type: ignore[arg-type]
    out = await w.call(
        w.evaluations, "SubmitEvaluation", pb.SubmitEvaluationRequest(case_id=case_id, level=level), person(1)
    )
    async with w.db.uow() as uow:
        await uow.conn.execute(
            sa.update(evaluations).where(evaluations.c.case_id == case_id).values(created_at=at)
        )
        await uow.commit()
    return out  # type: ignore[no-any-return]


async def _stats(w: EvaluationWorld, **query: str) -> pb.EvaluationStatisticsResponse:
    return await w.call(  # type: ignore[no-any-return]
        w.evaluations, "EvaluationStatistics", pb.EvaluationStatisticsRequest(**query), person(9)
    )


async def test_statistics_by_month_site_department_and_matter(ev_world: EvaluationWorld) -> None:
    w = ev_world
    utc = dt.UTC
    await _rated(w, "a", 1, dt.datetime(2026, 10, 5, 3, tzinfo=utc))
    await _rated(w, "b", 2, dt.datetime(2026, 10, 20, 3, tzinfo=utc))
    # 2026-10-31 20:00 UTC is 11-01 04:00 in China: November.
    bad = await _rated(w, "c", 5, dt.datetime(2026, 10, 31, 20, tzinfo=utc))
    await _rated(w, "d", 4, dt.datetime(2026, 11, 3, 3, tzinfo=utc), matter=OTHER_MATTER)
    await _rated(w, "e", 3, dt.datetime(2026, 11, 4, 3, tzinfo=utc), site=NEIGHBOUR, dept="420503-SCJG")
    await _rated(w, "f", 1, dt.datetime(2026, 11, 5, 3, tzinfo=utc), site="430000", dept="430000-X")
    # One of the two bad reviews rectified and called back.
    await w.call(
        w.evaluations,
        "Rectify",
        pb.RectifyRequest(rectification_id=bad.rectification_id, content="已整改"),
        CLERK,
    )
    await w.call(
        w.evaluations,
        "RecordCallback",
        pb.RecordCallbackRequest(rectification_id=bad.rectification_id, content="满意"),
        CLERK,
    )

    city = await _stats(w, site_code=CITY)
    assert [(m.month, m.total, list(m.per_level)) for m in city.months] == [
        ("2026-10", 2, [1, 1, 0, 0, 0]),
        ("2026-11", 3, [0, 0, 1, 1, 1]),
    ]
    overall = city.overall
    assert (overall.total, list(overall.per_level)) == (5, [1, 1, 1, 1, 1])
    assert overall.satisfaction_rate == 0.6
    assert (overall.rectifications, overall.rectified_rate, overall.callback_rate) == (2, 0.5, 0.5)
    # The province rolls up the city; another province is apart; a county is only itself.
    assert (await _stats(w, site_code=PROVINCE)).overall.total == 5
    assert (await _stats(w)).overall.total == 6
    assert (await _stats(w, site_code=COUNTY)).overall.total == 4
    assert (await _stats(w, site_code=NEIGHBOUR)).overall.total == 1
    assert (await _stats(w, site_code=CITY, department_code=DEPT)).overall.total == 4
    assert (await _stats(w, site_code=COUNTY, matter_code=MATTER)).overall.total == 3
    assert (await _stats(w, site_code=CITY, matter_code=OTHER_MATTER)).overall.total == 1
    november = await _stats(w, site_code=CITY, month_from="2026-11", month_to="2026-11")
    assert [m.month for m in november.months] == ["2026-11"] and november.overall.total == 3
    assert (await _stats(w, site_code=CITY, month_to="2026-10")).overall.total == 2


async def test_a_voided_evaluation_is_left_out(ev_world: EvaluationWorld) -> None:
    w = ev_world
    bad = await _rated(w, "a", 5, dt.datetime(2026, 10, 5, 3, tzinfo=dt.UTC))
    await _rated(w, "b", 1, dt.datetime(2026, 10, 6, 3, tzinfo=dt.UTC))
    before = await _stats(w, site_code=COUNTY)
    assert (before.overall.total, before.overall.satisfaction_rate) == (2, 0.5)
    rid = bad.rectification_id
    await w.call(w.evaluations, "Appeal", pb.AppealRequest(rectification_id=rid, reason="误评"), CLERK)
    await w.call(
        w.evaluations,
        "DecideAppeal",
        pb.DecideAppealRequest(rectification_id=rid, decision="void", reason="确属误评"),
        SUPERVISOR,
    )
    after = await _stats(w, site_code=COUNTY)
    assert (after.overall.total, after.overall.satisfaction_rate, after.overall.rectifications) == (1, 1.0, 0)


async def test_bad_filters_name_the_field(ev_world: EvaluationWorld) -> None:
    w = ev_world
    for query, name in (
        ({"site_code": "42"}, "site_code"),
        ({"month_from": "2026-13"}, "month_from"),
        ({"month_to": "October"}, "month_to"),
        ({"matter_code": "bad code!"}, "matter_code"),
    ):
        err = await w.fails(
            w.evaluations, "EvaluationStatistics", pb.EvaluationStatisticsRequest(**query), person(1)
        )
        assert err.kind == ErrorKind.INVALID and [f.field for f in err.fields] == [name]
