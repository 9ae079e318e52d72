"""The case clock across National Day 2025 and Spring Festival 2026, with pauses, warning cards
and a provisional 2027.

Calendars used (State Council tables, as chinesecalendar knows them):
- 2025 National Day + Mid-Autumn: off 10-01..10-08; Sunday 09-28 and Saturday 10-11 are working days.
- 2026 Spring Festival: off 02-15..02-23; Saturdays 02-14 and 02-28 are working days.
- 2027: unknown to the package (Monday–Friday, provisional) unless a table is loaded.
"""

from __future__ import annotations

import datetime as dt

import pytest

from govhall.cases import clock, commands, values
from govhall.cases.clock import LimitReading, WarningLevel, read_clock
from govhall.cases.commands import (
    Accept,
    CompleteStep,
    Conclude,
    Decision,
    EndSpecialProcedure,
    RequestSupplement,
    Resubmit,
    StartSpecialProcedure,
    StepOutcome,
    Submit,
    Terminate,
)
from govhall.cases.model import perform
from govhall.cases.values import (
    Actor,
    Applicant,
    ApplicantKind,
    Case,
    LimitUnit,
    Step,
    SupplementItem,
    TimeLimit,
)
from govhall.cases.vocabulary import CHINA, CaseState
from govhall.kit.workdays import WorkingCalendar

D = dt.date
SITE, DEPT = "420502", "420502-SCJG"
OWNER = Actor.person("person-alice")
CLERK = Actor.staff("c", {"window_clerk"}, SITE, DEPT)
REVIEWER = Actor.staff("r", {"reviewer"}, SITE, DEPT)
APPROVER = Actor.staff("a", {"approver"}, SITE, DEPT)
SUPERVISOR = Actor.staff("s", {"supervisor"}, SITE, DEPT)
STEPS = (
    Step("accept", "受理", "window_clerk"),
    Step("review", "审核", "reviewer"),
    Step("decide", "决定", "approver"),
)
ITEMS = (SupplementItem("营业执照", "复印件不清晰"),)


@pytest.fixture
def cal() -> WorkingCalendar:
    return WorkingCalendar()  # chinesecalendar only: no admin tables


def cst(day: dt.date, hour: int = 10) -> dt.datetime:
    return dt.datetime(day.year, day.month, day.day, hour, tzinfo=CHINA)


def accepted_case(
    on: dt.date,
    promised: TimeLimit | None = TimeLimit(10),
    legal: TimeLimit | None = TimeLimit(20),
    at: dt.datetime | None = None,
) -> Case:
    """A case submitted the day before ``on`` and accepted on ``on`` at 10:00 Beijing time."""
    case = values.new_case(
        case_id="c1",
        site_code=SITE,
        department_code=DEPT,
        matter_code="M1",
        matter_name="食品经营许可",
        applicant=Applicant(ApplicantKind.PERSON, "person-alice"),
        steps=STEPS,
        promised_limit=promised,
        legal_limit=legal,
        now=cst(on - dt.timedelta(days=1), 9),
    )
    case = perform(case, Submit(), OWNER, cst(on - dt.timedelta(days=1))).case
    return perform(case, Accept("N-1"), CLERK, at or cst(on)).case


def reading(case: Case, today: dt.date, cal: WorkingCalendar) -> clock.ClockReading:
    r = read_clock(case, today, calendar=cal)
    assert r is not None
    return r


# --------------------------------------------------------------------------------------------
# National Day 2025
# --------------------------------------------------------------------------------------------

NATIONAL_DAY_ACCEPT = D(2025, 9, 26)  # a Friday


def test_national_day_due_dates(cal: WorkingCalendar) -> None:
    # Working days after Fri 09-26: Sun 09-28 (adjusted) 1, 09-29 2, 09-30 3, [10-01..08 off],
    # 10-09 4, 10-10 5, Sat 10-11 (adjusted) 6, 10-13 7, 10-14 8, 10-15 9, 10-16 10 … 10-30 20.
    r = reading(accepted_case(NATIONAL_DAY_ACCEPT), D(2025, 10, 1), cal)
    assert r.accepted_on == NATIONAL_DAY_ACCEPT
    assert r.promised is not None and r.legal is not None
    assert r.promised.due == D(2025, 10, 16) and r.legal.due == D(2025, 10, 30)
    assert (r.promised.used, r.promised.left) == (3, 7)  # 09-28, 09-29, 09-30
    assert not r.provisional and not r.paused and not r.stopped and r.on_time is None


@pytest.mark.parametrize(
    ("today", "used", "left", "level"),
    [
        (D(2025, 9, 26), 0, 10, WarningLevel.NONE),  # the accepting day never counts
        (D(2025, 9, 27), 0, 10, WarningLevel.NONE),  # Saturday off
        (D(2025, 9, 28), 1, 9, WarningLevel.NONE),  # Sunday, adjusted working day
        (D(2025, 10, 8), 3, 7, WarningLevel.NONE),  # the whole holiday counts nothing
        (D(2025, 10, 11), 6, 4, WarningLevel.NONE),  # Saturday, adjusted working day
        (D(2025, 10, 13), 7, 3, WarningLevel.NONE),  # 70 %
        (D(2025, 10, 14), 8, 2, WarningLevel.YELLOW),  # 80 %: 黄牌
        (D(2025, 10, 16), 10, 0, WarningLevel.YELLOW),  # the due date itself is still on time
        (D(2025, 10, 17), 11, -1, WarningLevel.RED),  # 红牌
        (D(2025, 10, 18), 11, -1, WarningLevel.RED),  # a Saturday past the due date is still overdue
    ],
)
def test_national_day_warning_cards(
    cal: WorkingCalendar, today: dt.date, used: int, left: int, level: WarningLevel
) -> None:
    r = reading(accepted_case(NATIONAL_DAY_ACCEPT), today, cal)
    assert r.promised is not None
    assert (r.promised.used, r.promised.left, r.warning) == (used, left, level)
    assert r.promised.overdue is (level is WarningLevel.RED)


def test_special_procedure_over_national_day_pauses_the_clock(cal: WorkingCalendar) -> None:
    case = accepted_case(NATIONAL_DAY_ACCEPT)
    special = StartSpecialProcedure("expert_review", "组织专家评审", TimeLimit(10, LimitUnit.NATURAL_DAY))
    paused = perform(case, special, REVIEWER, cst(D(2025, 10, 13))).case
    r = reading(paused, D(2025, 10, 15), cal)
    assert r.paused and r.pauses == ((D(2025, 10, 13), D(2025, 10, 15)),)
    assert r.promised is not None
    # Used stops at 6 (09-28 … 10-11); the open pause is taken to end today, so the earliest due
    # date is the 4th working day after 10-15.
    assert (r.promised.used, r.promised.due) == (6, D(2025, 10, 21))
    assert r.warning is WarningLevel.NONE
    # Ten natural days with 10-13 as day 1: 10-22 (a Wednesday).
    assert r.planned_resume == D(2025, 10, 22)
    # Still paused on 10-17: the due date moves on with the pause, no red card.
    r17 = reading(paused, D(2025, 10, 17), cal)
    assert r17.promised is not None and r17.promised.used == 6 and r17.warning is WarningLevel.NONE
    assert r17.promised.due == D(2025, 10, 23)

    resumed = perform(paused, EndSpecialProcedure("评审通过"), REVIEWER, cst(D(2025, 10, 16))).case
    r = reading(resumed, D(2025, 10, 20), cal)
    assert not r.paused and r.pauses == ((D(2025, 10, 13), D(2025, 10, 16)),)
    assert r.promised is not None and r.legal is not None
    # 10-13..10-16 skipped: 10-17 is day 7, 10-20 day 8 (80 %: yellow), 10-22 day 10.
    assert (r.promised.used, r.promised.due, r.warning) == (8, D(2025, 10, 22), WarningLevel.YELLOW)
    assert r.legal.due == D(2025, 11, 5)  # the legal limit moves by the same four days
    assert reading(resumed, D(2025, 10, 23), cal).warning is WarningLevel.RED


# --------------------------------------------------------------------------------------------
# Spring Festival 2026
# --------------------------------------------------------------------------------------------

SPRING_ACCEPT = D(2026, 2, 11)  # a Wednesday


def test_spring_festival_due_dates(cal: WorkingCalendar) -> None:
    # 02-12 1, 02-13 2, Sat 02-14 (adjusted) 3, [02-15..23 off], 02-24 4 … 02-27 7,
    # Sat 02-28 (adjusted) 8, 03-02 9, 03-03 10.
    r = reading(accepted_case(SPRING_ACCEPT), D(2026, 2, 20), cal)
    assert r.promised is not None and r.promised.due == D(2026, 3, 3)
    assert (r.promised.used, r.promised.left, r.warning) == (3, 7, WarningLevel.NONE)
    assert reading(accepted_case(SPRING_ACCEPT), D(2026, 2, 28), cal).warning is WarningLevel.YELLOW
    assert reading(accepted_case(SPRING_ACCEPT), D(2026, 3, 4), cal).warning is WarningLevel.RED


def test_supplement_during_review_over_spring_festival(cal: WorkingCalendar) -> None:
    case = perform(
        accepted_case(SPRING_ACCEPT), RequestSupplement(ITEMS, D(2026, 3, 10)), REVIEWER, cst(D(2026, 2, 24))
    )
    paused = case.case
    r = reading(paused, D(2026, 2, 24), cal)
    assert r.paused and r.promised is not None and r.promised.used == 3
    back = perform(paused, Resubmit(), OWNER, cst(D(2026, 2, 25), 15)).case
    r = reading(back, D(2026, 2, 26), cal)
    # 02-24 and 02-25 do not count: 02-26 is day 4, and day 10 moves from 03-03 to 03-05.
    assert r.pauses == ((D(2026, 2, 24), D(2026, 2, 25)),) and not r.paused
    assert r.promised is not None and (r.promised.used, r.promised.due) == (4, D(2026, 3, 5))


def test_a_pause_before_acceptance_does_not_move_the_clock(cal: WorkingCalendar) -> None:
    case = values.new_case(
        case_id="c2",
        site_code=SITE,
        department_code=DEPT,
        matter_code="M1",
        matter_name="x",
        applicant=Applicant(ApplicantKind.PERSON, "person-alice"),
        steps=STEPS,
        promised_limit=TimeLimit(10),
        legal_limit=None,
        now=cst(D(2026, 2, 2)),
    )
    case = perform(case, Submit(), OWNER, cst(D(2026, 2, 2), 11)).case
    case = perform(case, RequestSupplement(ITEMS, D(2026, 2, 20)), CLERK, cst(D(2026, 2, 3))).case
    assert read_clock(case, D(2026, 2, 5), calendar=cal) is None  # no clock before acceptance
    case = perform(case, Resubmit(), OWNER, cst(D(2026, 2, 10))).case
    case = perform(case, Accept("N-2"), CLERK, cst(SPRING_ACCEPT)).case
    r = reading(case, D(2026, 2, 26), cal)
    assert r.pauses == () and r.promised is not None and r.promised.due == D(2026, 3, 3)
    assert r.legal is None


# --------------------------------------------------------------------------------------------
# Provisional years
# --------------------------------------------------------------------------------------------


def test_a_due_date_in_2027_is_provisional(cal: WorkingCalendar) -> None:
    case = accepted_case(D(2026, 12, 21))  # a Monday; 20 working days run into 2027
    r = reading(case, D(2026, 12, 22), cal)
    assert r.promised is not None and r.legal is not None
    # Monday–Friday guess for 2027: Fri 01-01 counts as day 9, Mon 01-04 is day 10.
    assert (r.promised.due, r.promised.provisional) == (D(2027, 1, 4), True)
    assert (r.legal.due, r.legal.provisional) == (D(2027, 1, 18), True)
    assert r.provisional
    # Loading the State Council's 2027 table (here: New Year 01-01 off) makes it firm and moves it.
    cal.load_year({"year": 2027, "holidays": ["2027-01-01"], "workdays": []})
    firm = reading(case, D(2026, 12, 22), cal)
    assert firm.promised is not None and firm.legal is not None
    assert (firm.promised.due, firm.legal.due) == (D(2027, 1, 5), D(2027, 1, 19))
    assert not firm.provisional


def test_a_case_inside_known_years_is_not_provisional(cal: WorkingCalendar) -> None:
    r = reading(accepted_case(D(2026, 11, 2)), D(2026, 11, 10), cal)
    assert not r.provisional


def test_reading_in_2027_is_provisional_even_if_the_due_date_is_not(cal: WorkingCalendar) -> None:
    case = accepted_case(D(2026, 12, 1), promised=TimeLimit(10), legal=None)
    r = reading(case, D(2027, 1, 6), cal)  # past the due date; counting days used walks into 2027
    assert r.promised is not None and r.promised.due.year == 2026
    assert r.promised.overdue and r.warning is WarningLevel.RED and r.provisional


# --------------------------------------------------------------------------------------------
# Natural-day limits
# --------------------------------------------------------------------------------------------


def test_natural_days_count_the_holiday_and_end_on_a_working_day(cal: WorkingCalendar) -> None:
    case = accepted_case(NATIONAL_DAY_ACCEPT, promised=TimeLimit(10, LimitUnit.NATURAL_DAY), legal=None)
    r = reading(case, D(2025, 10, 3), cal)
    assert r.promised is not None and r.promised.used == 7
    # Ten calendar days end on 10-06, inside the holiday: the period ends on 10-09 (民法典 art. 203).
    assert r.promised.due == D(2025, 10, 9) and r.promised.left == 6
    assert reading(case, D(2025, 10, 5), cal).warning is WarningLevel.YELLOW  # 9 of 10 used
    assert reading(case, D(2025, 10, 10), cal).warning is WarningLevel.RED


def test_natural_days_on_plain_weeks_and_with_a_pause(cal: WorkingCalendar) -> None:
    case = accepted_case(D(2025, 11, 3), promised=TimeLimit(10, LimitUnit.NATURAL_DAY), legal=None)
    r = reading(case, D(2025, 11, 4), cal)
    assert r.promised is not None and (r.promised.due, r.promised.used) == (D(2025, 11, 13), 1)
    paused = perform(case, RequestSupplement(ITEMS, D(2025, 11, 20)), REVIEWER, cst(D(2025, 11, 5))).case
    back = perform(paused, Resubmit(), OWNER, cst(D(2025, 11, 7))).case
    r = reading(back, D(2025, 11, 10), cal)
    # 11-05..11-07 skipped: 11-04 1, 11-08 2 … 11-16 10, a Sunday → Monday 11-17.
    assert r.promised is not None and (r.promised.used, r.promised.due) == (4, D(2025, 11, 17))


def test_due_date_function(cal: WorkingCalendar) -> None:
    assert clock.due_date(TimeLimit(1), D(2025, 9, 30), calendar=cal) == (D(2025, 10, 9), False)
    assert clock.due_date(TimeLimit(1, LimitUnit.NATURAL_DAY), D(2025, 9, 30), calendar=cal) == (
        D(2025, 10, 9),
        False,
    )
    assert clock.due_date(TimeLimit(5, LimitUnit.NATURAL_DAY), D(2025, 9, 22), calendar=cal) == (
        D(2025, 9, 28),  # day 5 is Saturday 09-27, off: it rolls to Sunday 09-28, an adjusted working day
        False,
    )
    due, provisional = clock.due_date(TimeLimit(3, LimitUnit.NATURAL_DAY), D(2026, 12, 30), calendar=cal)
    assert due == D(2027, 1, 4) and provisional  # 01-02 Saturday → Monday, by weekday guess


# --------------------------------------------------------------------------------------------
# Stopped clocks, thresholds, events
# --------------------------------------------------------------------------------------------


def concluded(on: dt.date) -> Case:
    case = accepted_case(NATIONAL_DAY_ACCEPT)
    case = perform(case, CompleteStep(StepOutcome.PASS), REVIEWER, cst(on, 9)).case
    return perform(case, Conclude(Decision.APPROVED), APPROVER, cst(on, 11)).case


def test_a_concluded_case_stops_its_clock(cal: WorkingCalendar) -> None:
    on_time = reading(concluded(D(2025, 10, 16)), D(2025, 12, 1), cal)
    assert on_time.stopped and on_time.as_of == D(2025, 10, 16) and on_time.on_time is True
    assert on_time.warning is WarningLevel.NONE
    assert on_time.promised is not None and on_time.promised.used == 10
    late = reading(concluded(D(2025, 10, 17)), D(2025, 12, 1), cal)
    assert late.on_time is False and late.promised is not None and late.promised.left == -1
    evaluated = perform(
        concluded(D(2025, 10, 16)), commands.Evaluate(), Actor.system("consult"), cst(D(2025, 11, 1))
    )
    assert reading(evaluated.case, D(2025, 12, 1), cal).as_of == D(2025, 10, 16)


def test_termination_closes_an_open_pause(cal: WorkingCalendar) -> None:
    case = accepted_case(NATIONAL_DAY_ACCEPT)
    case = perform(
        case, StartSpecialProcedure("hearing", "听证", TimeLimit(5)), REVIEWER, cst(D(2025, 10, 9))
    ).case
    case = perform(case, Terminate(2, "申请人死亡，作废"), SUPERVISOR, cst(D(2025, 10, 13))).case
    assert case.state is CaseState.TERMINATED
    r = reading(case, D(2025, 12, 1), cal)
    assert r.stopped and not r.paused and r.pauses == ((D(2025, 10, 9), D(2025, 10, 13)),)
    assert r.planned_resume is None


def test_acceptance_date_is_taken_in_beijing_time(cal: WorkingCalendar) -> None:
    late_friday_utc = dt.datetime(2025, 9, 26, 17, 30, tzinfo=dt.UTC)  # Sat 09-27 01:30 in Beijing
    case = accepted_case(D(2025, 9, 27), at=late_friday_utc)
    r = reading(case, D(2025, 9, 28), cal)
    assert r.accepted_on == D(2025, 9, 27) and r.promised is not None and r.promised.used == 1


def test_instant_matter_without_limits_has_no_card(cal: WorkingCalendar) -> None:
    r = reading(accepted_case(NATIONAL_DAY_ACCEPT, promised=None, legal=None), D(2026, 1, 1), cal)
    assert r.promised is None and r.legal is None and r.warning is WarningLevel.NONE


def test_legal_limit_decides_without_a_promised_one(cal: WorkingCalendar) -> None:
    case = accepted_case(NATIONAL_DAY_ACCEPT, promised=None, legal=TimeLimit(10))
    assert reading(case, D(2025, 10, 14), cal).warning is WarningLevel.YELLOW
    assert reading(case, D(2025, 10, 17), cal).warning is WarningLevel.RED


def _r(value: int, used: int, overdue: bool = False) -> LimitReading:
    return LimitReading(TimeLimit(value), D(2025, 1, 1), used, value - used, overdue, False)


@pytest.mark.parametrize(
    ("value", "used", "level"),
    [
        (5, 3, "none"),
        (5, 4, "yellow"),
        (3, 2, "none"),
        (3, 3, "yellow"),
        (4, 3, "none"),  # 75 %
        (10, 7, "none"),
        (10, 8, "yellow"),
        (20, 15, "none"),  # 75 %
        (20, 16, "yellow"),
        (9, 7, "none"),  # 77.8 %
        (9, 8, "yellow"),
    ],
)
def test_yellow_at_eighty_percent(value: int, used: int, level: str) -> None:
    assert clock.warning_level(_r(value, used), None).value == level


def test_legal_overdue_is_red_whatever_the_promised_says() -> None:
    assert clock.warning_level(_r(30, 1), _r(20, 21, overdue=True)) is WarningLevel.RED
    assert clock.warning_level(None, None) is WarningLevel.NONE


def test_warning_events_only_when_the_level_rises() -> None:
    none, yellow, red = WarningLevel.NONE, WarningLevel.YELLOW, WarningLevel.RED
    assert clock.warning_event(none, yellow) == ("cases.case.overdue_warning",)
    assert clock.warning_event(yellow, red) == ("cases.case.overdue_warning", "cases.case.overdue")
    assert clock.warning_event(none, red) == ("cases.case.overdue_warning", "cases.case.overdue")
    assert clock.warning_event(red, yellow) == () and clock.warning_event(yellow, yellow) == ()
    assert yellow.zh == "黄牌预警" and red.zh == "红牌超期"


def test_read_clock_refuses_a_datetime(cal: WorkingCalendar) -> None:
    with pytest.raises(TypeError):
        read_clock(accepted_case(NATIONAL_DAY_ACCEPT), cst(D(2025, 10, 1)), calendar=cal)  # type: ignore[arg-type]
