"""好差评: an applicant rates their concluded case once, from consult's copy of cases."""

from __future__ import annotations

import sqlalchemy as sa

from govhall.consult import case_copies as case_copies_module
from govhall.consult.evaluation_tables import case_copies, evaluations
from govhall.contracts import cases as cases_contract
from govhall.kit.errors import ErrorKind
from govhall.kit.events import Delivery, make_event
from govhall.kit.races import concurrently, outcomes
from govhall.kit.testing import wait_until
from govhall.protos.cases.v1 import cases_pb2
from govhall.protos.common.v1 import common_pb2 as C
from govhall.protos.consult.v1 import evaluations_pb2 as pb

from . import evaluation_world
from .conftest import enterprise, person, staff
from .evaluation_world import EvaluationWorld, agent_for

ev_world = evaluation_world.ev_world

SUBMIT = "SubmitEvaluation"


def rating(case_id: str, level: int = 1, **more: object) -> pb.SubmitEvaluationRequest:
    return pb.SubmitEvaluationRequest(case_id=case_id, level=level, **more)  # type: ignore[arg-type]


async def test_the_applicant_rates_a_concluded_case_and_consult_publishes_it(
    ev_world: EvaluationWorld,
) -> None:
    w = ev_world
    await w.case("c1")
    out = await w.call(
        w.evaluations,
        SUBMIT,
        rating(
            "c1",
            2,
            text="办理很快",
            channel="app",
            indicators=[pb.IndicatorScore(indicator="办事效率", score=5)],
        ),
        person(1),
    )
    assert (out.level, out.level_name, out.case_number, out.channel) == (2, "满意", "N-c1", "app")
    assert out.site_code == "420502" and out.matter_code == "420502-SCJG-0001"
    assert [(i.indicator, i.score) for i in out.indicators] == [("办事效率", 5)]
    assert out.rectification_id == ""  # a good review opens no rectification
    submitted = await wait_until(lambda: w.events("consult.evaluation.submitted"), what="the event")
    event = submitted[0]
    assert (event.case_id, event.level, event.channel) == ("c1", 2, "app")
    assert (event.rater.kind, event.rater.subject) == (C.CALLER_KIND_PERSON, "person-1")


async def test_one_evaluation_per_case(ev_world: EvaluationWorld) -> None:
    w = ev_world
    await w.case("c1")
    await w.call(w.evaluations, SUBMIT, rating("c1", 1), person(1))
    again = await w.fails(w.evaluations, SUBMIT, rating("c1", 5), person(1))
    assert (again.code, again.kind) == ("CASE_ALREADY_EVALUATED", ErrorKind.CONFLICT)


async def test_concurrent_submissions_store_exactly_one(ev_world: EvaluationWorld) -> None:
    """Both back ends (the db_url fixture): on PostgreSQL they truly overlap, and the UNIQUE case
    id, not a read-then-insert, keeps one."""
    w = ev_world
    await w.case("c1")
    results = await concurrently(
        6, lambda i: w.call(w.evaluations, SUBMIT, rating("c1", 1 + i % 5), person(1))
    )
    done, failed = outcomes(results)
    assert len(done) == 1
    assert {getattr(f, "code", repr(f)) for f in failed} == {"CASE_ALREADY_EVALUATED"}
    async with w.db.reader() as uow:
        rows = (await uow.conn.execute(sa.select(evaluations.c.level))).all()
    assert [r.level for r in rows] == [done[0].level]
    await wait_until(lambda: len(w.events("consult.evaluation.submitted")) == 1, what="one event")


async def test_a_case_not_concluded_cannot_be_rated(ev_world: EvaluationWorld) -> None:
    w = ev_world
    # Consult has never heard of the case: not concluded as far as it knows.
    unknown = await w.fails(w.evaluations, SUBMIT, rating("nope"), person(1))
    assert (unknown.code, unknown.kind) == ("CASE_NOT_CONCLUDED", ErrorKind.WRONG_STATE)
    await w.case("c2", cases_pb2.CASE_STATE_ACCEPTED, revision=2)
    accepted = await w.fails(w.evaluations, SUBMIT, rating("c2"), person(1))
    assert accepted.code == "CASE_NOT_CONCLUDED"
    # The evaluation period ended (cases moved it to evaluated with no rating): too late.
    await w.case("c3", cases_pb2.CASE_STATE_EVALUATED, revision=7)
    late = await w.fails(w.evaluations, SUBMIT, rating("c3"), person(1))
    assert late.code == "CASE_NOT_CONCLUDED"


async def test_only_the_applicant_rates(ev_world: EvaluationWorld) -> None:
    w = ev_world
    await w.case("c1")
    other = await w.fails(w.evaluations, SUBMIT, rating("c1"), person(2))
    assert (other.code, other.kind) == ("CASE_NOT_YOURS", ErrorKind.FORBIDDEN)
    clerk = await w.fails(w.evaluations, SUBMIT, rating("c1"), staff(["window_clerk"]))
    assert (clerk.code, clerk.kind) == ("OWNER_ONLY", ErrorKind.FORBIDDEN)
    anonymous = await w.fails(
        w.evaluations, SUBMIT, rating("c1"), C.CallerIdentity(kind=C.CALLER_KIND_ANONYMOUS)
    )
    assert anonymous.kind == ErrorKind.UNAUTHENTICATED


async def test_an_enterprise_or_its_agent_rates_the_enterprises_case(ev_world: EvaluationWorld) -> None:
    w = ev_world
    await w.case("e1", kind="legal_person", subject="lp-1")
    await w.case("e2", kind="legal_person", subject="lp-1")
    assert (await w.call(w.evaluations, SUBMIT, rating("e1", 3), enterprise(1))).level == 3
    assert (await w.call(w.evaluations, SUBMIT, rating("e2", 1), agent_for(1))).level == 1
    await w.case("e3", kind="legal_person", subject="lp-1")
    stranger = await w.fails(w.evaluations, SUBMIT, rating("e3"), agent_for(2))
    assert stranger.code == "CASE_NOT_YOURS"
    # The person who is the agent is not the enterprise.
    as_person = await w.fails(w.evaluations, SUBMIT, rating("e3"), person(1))
    assert as_person.code == "CASE_NOT_YOURS"


async def test_bad_input_names_the_field(ev_world: EvaluationWorld) -> None:
    w = ev_world
    await w.case("c1")
    cases = [
        (rating("c1", 0), "level"),
        (rating("c1", 6), "level"),
        (rating("c1", 1, text="长" * 501), "text"),
        (rating("c1", 1, channel="fax"), "channel"),
        (rating("c1", 1, indicators=[pb.IndicatorScore(indicator="态度", score=9)]), "indicators"),
        (rating("", 1), "case_id"),
    ]
    for request, name in cases:
        err = await w.fails(w.evaluations, SUBMIT, request, person(1))
        assert err.kind == ErrorKind.INVALID, name
        assert [f.field for f in err.fields] == [name]
        assert err.message_zh


async def test_the_copy_of_a_case_only_moves_forward(ev_world: EvaluationWorld) -> None:
    w = ev_world
    await w.case("c1", cases_pb2.CASE_STATE_CONCLUDED_DENIED, revision=6)
    # A redelivered older change (accepted, revision 3) does not undo the conclusion.
    await w.case("c1", cases_pb2.CASE_STATE_ACCEPTED, revision=3)
    async with w.db.reader() as uow:
        copy = (await uow.conn.execute(sa.select(case_copies))).one()
    assert (copy.state, copy.revision, copy.case_number) == ("concluded_denied", 6, "N-c1")
    assert copy.concluded_at is not None
    assert (await w.call(w.evaluations, SUBMIT, rating("c1", 4), person(1))).level == 4


async def test_two_first_deliveries_of_a_case_at_once_keep_the_newer(ev_world: EvaluationWorld) -> None:
    """No row to lock yet: the revision is checked in the write itself (PostgreSQL truly overlaps)."""
    w = ev_world
    events = [
        make_event(
            cases_contract.CONCLUDED if rev == 9 else cases_contract.ACCEPTED,
            cases_pb2.CaseChanged(
                case_id="race",
                case_number="N-race",
                site_code="420502",
                department_code="420502-SCJG",
                matter_code="420502-SCJG-0001",
                state=cases_pb2.CASE_STATE_CONCLUDED_APPROVED if rev == 9 else cases_pb2.CASE_STATE_ACCEPTED,
                applicant=cases_pb2.Applicant(kind="person", subject="person-1"),
                revision=rev,
            ),
        )
        for rev in (3, 9, 4, 5)
    ]

    async def deliver(i: int) -> None:
        e = events[i]
        async with w.db.uow() as uow:
            await case_copies_module.apply(uow, Delivery(e.subject, e.payload, e.event_id))
            await uow.commit()

    _, failed = outcomes(await concurrently(len(events), deliver))
    assert failed == []
    async with w.db.reader() as uow:
        copy = (await uow.conn.execute(sa.select(case_copies))).one()
    assert (copy.state, copy.revision) == ("concluded_approved", 9)


async def test_evaluations_are_counted_by_grade(ev_world: EvaluationWorld) -> None:
    from prometheus_client import REGISTRY

    def count(grade: str) -> float:
        return REGISTRY.get_sample_value("govhall_consult_evaluations_total", {"grade": grade}) or 0.0

    w = ev_world
    await w.case("c1")
    before = count("2")
    await w.call(w.evaluations, SUBMIT, rating("c1", 2), person(1))
    await w.fails(w.evaluations, SUBMIT, rating("c1", 2), person(1))  # refused: not counted
    assert count("2") == before + 1
