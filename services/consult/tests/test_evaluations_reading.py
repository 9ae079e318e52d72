"""The rater reads back their evaluation of a case and what became of its rectification (what
was done, the callback), never who did it; anybody else, and a case not rated, gets NOT_FOUND."""

from __future__ import annotations

from govhall.kit.errors import ErrorKind
from govhall.protos.consult.v1 import evaluations_pb2 as pb

from . import evaluation_world
from .conftest import ANONYMOUS, enterprise, person, staff
from .evaluation_world import EvaluationWorld, agent_for

ev_world = evaluation_world.ev_world

CLERK = staff(["reviewer"])


def mine(case_id: str) -> pb.GetMyEvaluationRequest:
    return pb.GetMyEvaluationRequest(case_id=case_id)


async def test_the_rater_sees_the_evaluation_and_the_rectification_without_staff(
    ev_world: EvaluationWorld,
) -> None:
    w = ev_world
    await w.case("c1")
    rated = await w.call(
        w.evaluations,
        "SubmitEvaluation",
        pb.SubmitEvaluationRequest(
            case_id="c1",
            level=4,
            text="等太久",
            indicators=[pb.IndicatorScore(indicator="办事效率", score=2)],
        ),
        person(1),
    )
    first = await w.call(w.evaluations, "GetMyEvaluation", mine("c1"), person(1))
    e = first.evaluation
    assert (e.evaluation_id, e.case_number, e.level, e.level_name, e.text, e.channel) == (
        rated.evaluation_id,
        "N-c1",
        4,
        "不满意",
        "等太久",
        "pc",
    )
    assert [(i.indicator, i.score) for i in e.indicators] == [("办事效率", 2)]
    assert e.created_at.seconds > 0 and e.rectification_id == rated.rectification_id
    assert (first.rectification.state, first.rectification.rectification) == ("open", "")
    assert first.rectification.due  # the working day it is due by

    rid = rated.rectification_id
    await w.call(
        w.evaluations, "Rectify", pb.RectifyRequest(rectification_id=rid, content="已加派人手"), CLERK
    )
    await w.call(
        w.evaluations,
        "RecordCallback",
        pb.RecordCallbackRequest(rectification_id=rid, content="电话回访，申请人认可", revision=2),
        CLERK,
    )
    later = await w.call(w.evaluations, "GetMyEvaluation", mine("c1"), person(1))
    seen = later.rectification
    assert (seen.state, seen.rectification, seen.callback) == (
        "called_back",
        "已加派人手",
        "电话回访，申请人认可",
    )
    assert seen.rectified_at.seconds > 0 and seen.called_back_at.seconds > 0
    # Nothing in it names the staff who acted (the message has no field for them).
    assert not [f for f in pb.RaterRectification.DESCRIPTOR.fields if "staff" in f.name or "by" in f.name]
    assert CLERK.subject not in str(later) and CLERK.name not in str(later)


async def test_a_good_review_has_no_rectification_and_others_get_not_found(ev_world: EvaluationWorld) -> None:
    w = ev_world
    await w.case("c2")
    await w.case("c3")  # concluded, not rated
    await w.call(
        w.evaluations, "SubmitEvaluation", pb.SubmitEvaluationRequest(case_id="c2", level=1), person(1)
    )
    got = await w.call(w.evaluations, "GetMyEvaluation", mine("c2"), person(1))
    assert got.evaluation.level_name == "非常满意" and not got.HasField("rectification")
    for who, case_id in (
        (person(2), "c2"),
        (enterprise(1), "c2"),
        (CLERK, "c2"),
        (ANONYMOUS, "c2"),
        (person(1), "c3"),
        (person(1), "no-such-case"),
        (person(1), ""),
    ):
        err = await w.fails(w.evaluations, "GetMyEvaluation", mine(case_id), who)
        assert (err.code, err.kind) == ("EVALUATION_NOT_FOUND", ErrorKind.NOT_FOUND), (who, case_id)


async def test_an_enterprise_and_its_agent_read_the_enterprise_s_evaluation(
    ev_world: EvaluationWorld,
) -> None:
    w = ev_world
    await w.case("e1", kind="legal_person", subject="lp-1")
    await w.call(
        w.evaluations, "SubmitEvaluation", pb.SubmitEvaluationRequest(case_id="e1", level=2), agent_for(1)
    )
    for who in (enterprise(1), agent_for(1)):
        got = await w.call(w.evaluations, "GetMyEvaluation", mine("e1"), who)
        assert got.evaluation.level_name == "满意"
    err = await w.fails(w.evaluations, "GetMyEvaluation", mine("e1"), enterprise(2))
    assert err.kind is ErrorKind.NOT_FOUND
