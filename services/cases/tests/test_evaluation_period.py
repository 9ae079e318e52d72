"""待评价 -> 已办结: consult's evaluation moves a concluded case (durable cases-evaluations), or
the evaluation period (15 working days after the conclusion) passes and the sweep moves it
with no rating invented."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

from govhall.cases import evaluations
from govhall.contracts import consult as consult_contract
from govhall.kit.events import make_event
from govhall.kit.testing import wait_until
from govhall.kit.workdays import default_calendar
from govhall.protos.cases.v1 import cases_pb2 as pb
from govhall.protos.common.v1 import common_pb2 as C
from govhall.protos.consult.v1 import events_pb2 as consult_pb

from .conftest import APPROVER, CLERK, REVIEWER, SERVICE, World, person


async def _concluded(world: World) -> pb.Case:
    case = await world.submitted()
    case = await world.handle(case.id, CLERK, accept=pb.AcceptCommand())
    for _ in range(2):
        case = await world.handle(case.id, REVIEWER, complete_step=pb.CompleteStepCommand(outcome="pass"))
    case = await world.handle(case.id, APPROVER, conclude=pb.ConcludeCommand(decision="approved"))
    assert case.state == pb.CASE_STATE_CONCLUDED_APPROVED
    return case


async def _evaluated(world: World, case: pb.Case, level: int) -> None:
    await world.bus.publish(
        make_event(
            consult_contract.EVALUATION_SUBMITTED,
            consult_pb.EvaluationChanged(
                evaluation_id=f"ev-{case.id}",
                case_id=case.id,
                case_number=case.case_number,
                level=level,
                rater=consult_pb.Owner(kind=C.CALLER_KIND_PERSON, subject="person-1"),
                revision=1,
            ),
        )
    )


async def _tab(world: World, tab: int) -> list[str]:
    listed = await world.call("ListMyCases", pb.ListMyCasesRequest(tab=tab), person())  # type: ignore[arg-type]
    return [c.id for c in listed.cases]


async def test_an_evaluation_moves_the_case_to_done(world: World) -> None:
    case = await _concluded(world)
    assert await _tab(world, pb.APPLICANT_TAB_TO_EVALUATE) == [case.id]
    await _evaluated(world, case, 5)

    async def done() -> bool:
        return await _tab(world, pb.APPLICANT_TAB_DONE) == [case.id]

    await wait_until(done, what="the case in 已办结")
    mine = await world.call("GetCase", pb.GetCaseRequest(case_id=case.id), person())
    assert mine.state == pb.CASE_STATE_EVALUATED
    assert mine.flow[-1].action == "evaluate"
    assert await _tab(world, pb.APPLICANT_TAB_TO_EVALUATE) == []
    # Delivered again (a redelivery or a replay): nothing more happens.
    await _evaluated(world, case, 5)
    again = await world.call("GetCase", pb.GetCaseRequest(case_id=case.id), person())
    assert again.revision == mine.revision and len(again.flow) == len(mine.flow)


async def test_an_evaluation_of_a_case_not_awaiting_one_changes_nothing(world: World) -> None:
    case = await world.submitted()
    await _evaluated(world, case, 1)
    mine = await world.call("GetCase", pb.GetCaseRequest(case_id=case.id), person())
    assert mine.state == pb.CASE_STATE_SUBMITTED and mine.revision == case.revision


async def test_the_evaluation_period_ends_without_a_rating(world: World) -> None:
    case = await _concluded(world)
    today = dt.datetime.now(dt.UTC).date()
    # Within 15 working days (two calendar weeks are at most 10 of them): still 待评价.
    early = await world.call(
        "SweepClock", pb.SweepClockRequest(today=str(today + dt.timedelta(days=14))), SERVICE
    )
    assert early.evaluation_periods_ended == 0
    assert await _tab(world, pb.APPLICANT_TAB_TO_EVALUATE) == [case.id]
    # Six weeks on, whatever the holidays: the period has passed.
    late = await world.call(
        "SweepClock", pb.SweepClockRequest(today=str(today + dt.timedelta(days=42))), SERVICE
    )
    assert late.evaluation_periods_ended == 1
    assert await _tab(world, pb.APPLICANT_TAB_DONE) == [case.id]
    mine = await world.call("GetCase", pb.GetCaseRequest(case_id=case.id), person())
    assert mine.state == pb.CASE_STATE_EVALUATED
    assert mine.flow[-1].action == "evaluation_period_ended"
    # No rating is invented: the system's entry says the period ended, and nothing more.
    assert (mine.flow[-1].action_zh, mine.flow[-1].opinion) == ("评价期满", "")
    # Once: the next sweep finds nothing, and a late evaluation changes nothing.
    again = await world.call(
        "SweepClock", pb.SweepClockRequest(today=str(today + dt.timedelta(days=43))), SERVICE
    )
    assert again.evaluation_periods_ended == 0
    await _evaluated(world, case, 1)
    after = await world.call("GetCase", pb.GetCaseRequest(case_id=case.id), person())
    assert after.revision == mine.revision


def test_the_period_counts_working_days_in_china_time_across_national_day() -> None:
    """15 working days after a conclusion on 2026-09-30 (China): the National Day holiday
    (10-01 to 10-07) does not count and Saturday 10-10 (an adjusted working day) does, so the
    last day to rate is 10-27, not 10-21."""
    deps: Any = SimpleNamespace(
        calendar=default_calendar(), settings=SimpleNamespace(evaluation_period_days=15)
    )
    concluded = dt.datetime(2026, 9, 29, 17, tzinfo=dt.UTC)  # 09-30 01:00 in China
    assert not evaluations.period_ended(deps, concluded, dt.date(2026, 10, 21))
    assert not evaluations.period_ended(deps, concluded, dt.date(2026, 10, 27))
    assert evaluations.period_ended(deps, concluded, dt.date(2026, 10, 28))
    # 09-29 23:00 in China: a day earlier, so the period ends a working day earlier.
    earlier = dt.datetime(2026, 9, 29, 15, tzinfo=dt.UTC)
    assert evaluations.period_ended(deps, earlier, dt.date(2026, 10, 27))
