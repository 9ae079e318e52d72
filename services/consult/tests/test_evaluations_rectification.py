"""A bad review (不满意, 非常不满意) opens a rectification for the handling department: rectify,
call back (回访), or appeal to a supervisor who upholds or voids it; a sweep warns once per
level. Staff never see who rated."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa

from govhall.consult import rectification_clock
from govhall.consult.evaluation_tables import rectifications
from govhall.consult.rectifications import CHINA
from govhall.kit.errors import ErrorKind
from govhall.kit.races import concurrently, outcomes
from govhall.kit.testing import wait_until
from govhall.kit.workdays import default_calendar
from govhall.protos.consult.v1 import evaluations_pb2 as pb

from . import evaluation_world
from .conftest import CITY, DEPT, person, staff
from .evaluation_world import EvaluationWorld

ev_world = evaluation_world.ev_world

CLERK = staff(["reviewer"])
OTHER_DEPT = staff(["reviewer"], dept="420502-GAJ")
SUPERVISOR = staff(["supervisor"], site=CITY, dept="420500-JCJ")
OTHER_CITY_SUPERVISOR = staff(["supervisor"], site="420600", dept="420600-JCJ")


async def _bad_review(w: EvaluationWorld, case_id: str = "c1", level: int = 5) -> str:
    await w.case(case_id)
    out = await w.call(
        w.evaluations, "SubmitEvaluation", pb.SubmitEvaluationRequest(case_id=case_id, level=level), person(1)
    )
    assert out.rectification_id
    return str(out.rectification_id)


async def test_a_bad_review_opens_a_rectification_the_department_works(ev_world: EvaluationWorld) -> None:
    w = ev_world
    rid = await _bad_review(w)
    await w.case("c2")
    good = await w.call(
        w.evaluations, "SubmitEvaluation", pb.SubmitEvaluationRequest(case_id="c2", level=3), person(1)
    )
    assert good.rectification_id == ""  # 基本满意 is no bad review
    queue = await w.call(w.evaluations, "ListRectifications", pb.ListRectificationsRequest(), CLERK)
    assert [r.rectification_id for r in queue.rectifications] == [rid]
    item = queue.rectifications[0]
    assert (item.state, item.evaluation.level_name, item.evaluation.case_number) == (
        "open",
        "非常不满意",
        "N-c1",
    )
    # Five working days on the kit calendar from the day it opened.
    today = dt.datetime.now(CHINA).date()
    assert item.due == default_calendar().add_working_days(today, 5).date.isoformat()
    # The rater is nowhere in what staff see.
    assert "person-1" not in str(queue)
    # Another department sees nothing of it.
    other = await w.call(w.evaluations, "ListRectifications", pb.ListRectificationsRequest(), OTHER_DEPT)
    assert list(other.rectifications) == []
    missing = await w.fails(
        w.evaluations, "GetRectification", pb.GetRectificationRequest(rectification_id=rid), OTHER_DEPT
    )
    assert missing.kind == ErrorKind.NOT_FOUND
    # Callback before the rectification: refused.
    early = await w.fails(
        w.evaluations, "RecordCallback", pb.RecordCallbackRequest(rectification_id=rid, content="回访"), CLERK
    )
    assert (early.code, early.kind) == ("RECTIFICATION_NOT_IN_STATE", ErrorKind.WRONG_STATE)
    done = await w.call(
        w.evaluations,
        "Rectify",
        pb.RectifyRequest(rectification_id=rid, content="已核实，窗口加强培训"),
        CLERK,
    )
    assert (done.state, done.rectification, done.revision) == ("rectified", "已核实，窗口加强培训", 2)
    called = await w.call(
        w.evaluations,
        "RecordCallback",
        pb.RecordCallbackRequest(rectification_id=rid, content="申请人表示认可", revision=2),
        CLERK,
    )
    assert (called.state, called.callback) == ("called_back", "申请人表示认可")

    def rectification_subjects() -> list[str]:
        return [s for s, _ in w.published if s.startswith("consult.rectification.")]

    await wait_until(lambda: len(rectification_subjects()) == 3, what="three rectification events")
    assert rectification_subjects() == [
        "consult.rectification.opened",
        "consult.rectification.rectified",
        "consult.rectification.called_back",
    ]
    opened = w.events("consult.rectification.opened")[0]
    assert (opened.case_id, opened.department_code, opened.applicant.subject) == ("c1", DEPT, "person-1")


async def test_two_staff_at_once_one_wins(ev_world: EvaluationWorld) -> None:
    w = ev_world
    rid = await _bad_review(w)
    results = await concurrently(
        4,
        lambda i: w.call(
            w.evaluations,
            "Rectify",
            pb.RectifyRequest(rectification_id=rid, content=f"整改{i}", revision=1),
            staff(["reviewer"], n=i),
        ),
    )
    done, failed = outcomes(results)
    assert len(done) == 1
    assert {getattr(f, "kind", None) for f in failed} == {ErrorKind.CONFLICT}
    # A stale revision is refused too.
    stale = await w.fails(
        w.evaluations, "Appeal", pb.AppealRequest(rectification_id=rid, reason="误评", revision=1), CLERK
    )
    assert (stale.code, stale.kind) == ("RECTIFICATION_CHANGED", ErrorKind.CONFLICT)


async def test_an_appeal_is_decided_by_a_supervisor_of_the_subtree(ev_world: EvaluationWorld) -> None:
    w = ev_world
    rid = await _bad_review(w)
    appealed = await w.call(
        w.evaluations,
        "Appeal",
        pb.AppealRequest(rectification_id=rid, reason="申请人评价的是其他部门"),
        CLERK,
    )
    assert appealed.state == "appealed"
    # The department may not decide its own appeal; a supervisor of another city may not either.
    own = await w.fails(
        w.evaluations,
        "DecideAppeal",
        pb.DecideAppealRequest(rectification_id=rid, decision="void", reason="x"),
        CLERK,
    )
    assert own.code == "SUPERVISOR_ONLY"
    stranger = await w.fails(
        w.evaluations,
        "DecideAppeal",
        pb.DecideAppealRequest(rectification_id=rid, decision="void", reason="x"),
        OTHER_CITY_SUPERVISOR,
    )
    assert stranger.kind == ErrorKind.NOT_FOUND
    bad = await w.fails(
        w.evaluations,
        "DecideAppeal",
        pb.DecideAppealRequest(rectification_id=rid, decision="maybe"),
        SUPERVISOR,
    )
    assert [f.field for f in bad.fields] == ["decision"]
    # The city's supervisor sees the county's item in the queue.
    seen = await w.call(
        w.evaluations, "ListRectifications", pb.ListRectificationsRequest(state="appealed"), SUPERVISOR
    )
    assert [r.rectification_id for r in seen.rectifications] == [rid]
    voided = await w.call(
        w.evaluations,
        "DecideAppeal",
        pb.DecideAppealRequest(rectification_id=rid, decision="void", reason="确属误评"),
        SUPERVISOR,
    )
    assert (voided.state, voided.evaluation.status, voided.decision) == ("voided", "voided", "void")
    # Upheld: back to rectifying.
    rid2 = await _bad_review(w, "c2", 4)
    await w.call(w.evaluations, "Appeal", pb.AppealRequest(rectification_id=rid2, reason="不认可"), CLERK)
    upheld = await w.call(
        w.evaluations,
        "DecideAppeal",
        pb.DecideAppealRequest(rectification_id=rid2, decision="uphold", reason="评价属实"),
        SUPERVISOR,
    )
    assert (upheld.state, upheld.evaluation.status) == ("open", "valid")
    decided = ("consult.rectification.voided", "consult.rectification.upheld")
    await wait_until(lambda: len([s for s, _ in w.published if s in decided]) == 2, what="the decisions")
    assert [s for s, _ in w.published if s in decided] == [
        "consult.rectification.voided",
        "consult.rectification.upheld",
    ]


async def test_the_sweep_warns_once_then_overdue_once(ev_world: EvaluationWorld) -> None:
    w = ev_world
    rid = await _bad_review(w)
    calendar = default_calendar()
    # Opened on Monday 2026-09-28: five working days run across the National Day holiday
    # (10-01 to 10-07) and end on Saturday 10-10, an adjusted working day.
    opened = dt.datetime(2026, 9, 28, 2, tzinfo=dt.UTC)
    due = calendar.add_working_days(opened.date(), 5).date
    assert due == dt.date(2026, 10, 10)
    async with w.db.uow() as uow:
        await uow.conn.execute(sa.update(rectifications).values(created_at=opened, due=due.isoformat()))
        await uow.commit()

    def at(day: dt.date) -> dt.datetime:
        return dt.datetime.combine(day, dt.time(4), dt.UTC)

    async def sweep(day: dt.date) -> int:
        return await rectification_clock.sweep(w.db, calendar, 5, at(day))

    assert await sweep(dt.date(2026, 9, 29)) == 0
    assert await sweep(dt.date(2026, 10, 7)) == 0  # holidays do not count
    assert await sweep(dt.date(2026, 10, 8)) == 0
    warn_day = dt.date(2026, 10, 9)  # four working days: 80 % of five
    assert await sweep(warn_day) == 1
    assert await sweep(warn_day) == 0  # once per level
    assert await sweep(due) == 0
    assert await sweep(due + dt.timedelta(days=1)) == 1
    assert await sweep(due + dt.timedelta(days=5)) == 0
    await wait_until(lambda: len([s for s, _ in w.published if "overdue" in s]) == 2, what="the clock events")
    assert [s for s, _ in w.published if "overdue" in s] == [
        "consult.rectification.overdue_warning",
        "consult.rectification.overdue",
    ]
    item = await w.call(
        w.evaluations, "GetRectification", pb.GetRectificationRequest(rectification_id=rid), CLERK
    )
    assert item.overdue_level == "overdue"
    assert w.events("consult.rectification.overdue")[0].due == due.isoformat()
