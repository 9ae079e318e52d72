"""The case clock: due dates, days used and left, and the warning cards (黄牌/红牌). No I/O here.

The clock starts on the acceptance date (China Standard Time) and follows the kit's counting
convention (govhall.kit.workdays): the accepting day never counts, day 1 is the first working day
after it, and the due date is the n-th counted day.

- **Working-day limits** (《行政许可法》 art. 82) count the kit calendar's working days: statutory
  holidays are skipped and adjusted working days (调休) count.
- **Natural-day limits** count every calendar day; when the last day falls on a rest day or a
  holiday, the period ends on the next working day (《民法典》 art. 203).
- **Pauses** (补正 during review, 特别程序, art. 45) are the case's :class:`~govhall.cases.model.Pause`
  values: every day from the day a pause starts through the day it ends is skipped (both ends, in
  China Standard Time). An open pause is taken to run through the day the clock is read, so the due
  dates shown while paused are the earliest possible ones and move on as the pause lasts.
- **Warning**: red (红牌) once the day read is past the due date; yellow (黄牌) once at least 80 %
  of the limit's days are used. The promised limit decides; a matter with none falls back to the
  legal limit; a case past its *legal* due date is red whatever the promised one says.
- **Provisional**: an answer that relied on a year the calendar does not know (Monday–Friday
  counting, e.g. 2027 before its table is loaded) says so; the kit logs and counts it.
- A case that ended (办结, 异常办结) stops its clock on the day it ended: the reading is frozen
  there, has no warning, and ``on_time`` says whether it ended by the due date.

Before acceptance there is no clock (:func:`read_clock` returns None).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Final

from govhall.cases.values import Case, LimitUnit, Pause, PauseKind, TimeLimit
from govhall.cases.vocabulary import FINAL_STATES, local_date
from govhall.contracts import cases as contract
from govhall.kit.workdays import WorkingCalendar, default_calendar

__all__ = [
    "OVERDUE",
    "OVERDUE_WARNING",
    "ClockReading",
    "LimitReading",
    "WarningLevel",
    "due_date",
    "limit_reading",
    "paused_days",
    "read_clock",
    "warning_event",
    "warning_level",
]

#: Raised when a case enters yellow (黄牌) or red (红牌); the payload carries the level.
OVERDUE_WARNING: Final = contract.OVERDUE_WARNING.subject
#: Raised when a case enters red (past its due date), in addition to OVERDUE_WARNING.
OVERDUE: Final = contract.OVERDUE.subject

YELLOW_NUMERATOR, YELLOW_DENOMINATOR = 4, 5  # 80 %

_DayPause = tuple[dt.date, dt.date]


class WarningLevel(StrEnum):
    NONE = "none"
    YELLOW = "yellow"  # 黄牌: 80 % of the limit used
    RED = "red"  # 红牌: past the due date

    @property
    def zh(self) -> str:
        return {"none": "正常", "yellow": "黄牌预警", "red": "红牌超期"}[self.value]

    @property
    def rank(self) -> int:
        return ("none", "yellow", "red").index(self.value)


@dataclass(frozen=True)
class LimitReading:
    """One limit (promised or legal) read on ``as_of``."""

    limit: TimeLimit
    due: dt.date
    used: int  # days of the limit used up by the end of as_of
    left: int  # days left after as_of up to the due date; negative: days overdue
    overdue: bool  # as_of is past the due date
    provisional: bool

    @property
    def yellow(self) -> bool:
        return self.used * YELLOW_DENOMINATOR >= self.limit.value * YELLOW_NUMERATOR


@dataclass(frozen=True)
class ClockReading:
    accepted_on: dt.date
    as_of: dt.date  # the day read, or the day the case ended
    stopped: bool  # the case ended; the reading is frozen on as_of
    paused: bool  # a supplement or special procedure is open
    pauses: tuple[_DayPause, ...]  # the paused day ranges used (closed, CST)
    promised: LimitReading | None
    legal: LimitReading | None
    warning: WarningLevel
    provisional: bool
    on_time: bool | None  # ended cases: by the deciding limit's due date; None while running
    planned_resume: dt.date | None  # an open special procedure's planned last day


def paused_days(pauses: Iterable[Pause], as_of: dt.date) -> tuple[_DayPause, ...]:
    """The closed date ranges a case's pauses cover, an open one running through ``as_of``."""
    out: list[_DayPause] = []
    for pause in pauses:
        first = local_date(pause.started_at)
        last = local_date(pause.ended_at) if pause.ended_at is not None else max(as_of, first)
        out.append((first, max(first, last)))
    return tuple(out)


def _merged(pauses: Iterable[_DayPause]) -> list[tuple[int, int]]:
    spans = sorted((a.toordinal(), b.toordinal()) for a, b in pauses)
    merged: list[tuple[int, int]] = []
    for first, last in spans:
        if merged and first <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], last))
        else:
            merged.append((first, last))
    return merged


def _natural_between(start: dt.date, end: dt.date, pauses: Iterable[_DayPause]) -> int:
    """Calendar days d with start < d <= end outside pauses; negative when end < start."""
    sign = 1
    if end < start:
        start, end, sign = end, start, -1
    lo, hi = start.toordinal() + 1, end.toordinal()
    total = max(0, hi - lo + 1)
    for first, last in _merged(pauses):
        overlap = min(hi, last) - max(lo, first) + 1
        if overlap > 0:
            total -= overlap
    return sign * total


def _natural_add(start: dt.date, n: int, pauses: Iterable[_DayPause]) -> dt.date:
    """The n-th calendar day after start outside pauses."""
    cursor, remaining = start.toordinal() + 1, n
    for first, last in _merged(pauses):
        if last < cursor:
            continue
        gap = first - cursor
        if remaining <= gap:
            break
        remaining -= max(gap, 0)
        cursor = max(cursor, last + 1)
    return dt.date.fromordinal(cursor + remaining - 1)


def due_date(
    limit: TimeLimit,
    start: dt.date,
    pauses: Iterable[_DayPause] = (),
    *,
    calendar: WorkingCalendar | None = None,
) -> tuple[dt.date, bool]:
    """The due date of ``limit`` counted from ``start``, and whether it is provisional."""
    cal = calendar or default_calendar()
    pauses = tuple(pauses)
    if limit.unit is LimitUnit.WORKING_DAY:
        due = cal.add_working_days(start, limit.value, paused=pauses)
        return due.date, due.provisional
    day = _natural_add(start, limit.value, pauses)
    provisional = cal.year_status(day.year) == "unknown"
    # 《民法典》 art. 203: a period whose last day is a rest day or holiday ends on the next working day.
    while not cal.is_working_day(day):
        day += dt.timedelta(days=1)
        provisional = provisional or cal.year_status(day.year) == "unknown"
    return day, provisional


def limit_reading(
    limit: TimeLimit,
    start: dt.date,
    as_of: dt.date,
    pauses: Iterable[_DayPause] = (),
    *,
    calendar: WorkingCalendar | None = None,
) -> LimitReading:
    """Read one limit counted from ``start`` on ``as_of``."""
    cal = calendar or default_calendar()
    pauses = tuple(pauses)
    due, provisional = due_date(limit, start, pauses, calendar=cal)
    end = max(as_of, start)
    if limit.unit is LimitUnit.WORKING_DAY:
        used = cal.working_days_between(start, end, paused=pauses)
        left = cal.working_days_between(end, due, paused=pauses)
        provisional = provisional or cal.is_provisional(start, end, paused=pauses)
    else:
        used = _natural_between(start, end, pauses)
        left = _natural_between(end, due, pauses)
    return LimitReading(limit, due, used, left, end > due, provisional)


def warning_level(promised: LimitReading | None, legal: LimitReading | None) -> WarningLevel:
    """Red past the due date (or past the legal one), yellow at 80 % of the deciding limit."""
    deciding = promised or legal
    if deciding is None:
        return WarningLevel.NONE
    if deciding.overdue or (legal is not None and legal.overdue):
        return WarningLevel.RED
    if deciding.yellow:
        return WarningLevel.YELLOW
    return WarningLevel.NONE


def read_clock(
    case: Case,
    today: dt.date,
    *,
    calendar: WorkingCalendar | None = None,
) -> ClockReading | None:
    """The case's clock on ``today`` (China Standard Time); None before acceptance."""
    if case.accepted_at is None:
        return None
    if isinstance(today, dt.datetime):
        raise TypeError("today must be a date (China Standard Time), not a datetime")
    cal = calendar or default_calendar()
    accepted_on = local_date(case.accepted_at)
    stopped = case.state in FINAL_STATES
    if stopped and case.ended_at is not None:
        as_of = local_date(case.ended_at)
    else:
        as_of = max(today, accepted_on)
    days = paused_days(case.pauses, as_of)
    promised = (
        limit_reading(case.promised_limit, accepted_on, as_of, days, calendar=cal)
        if case.promised_limit
        else None
    )
    legal = (
        limit_reading(case.legal_limit, accepted_on, as_of, days, calendar=cal) if case.legal_limit else None
    )
    deciding = promised or legal
    open_pause = case.open_pause
    planned_resume = None
    if (
        open_pause is not None
        and open_pause.kind is PauseKind.SPECIAL_PROCEDURE
        and open_pause.planned is not None
        and not stopped
    ):
        # The procedure's own first day is its day 1 (counted from the day before it).
        first = local_date(open_pause.started_at)
        planned_resume, _ = due_date(open_pause.planned, first - dt.timedelta(days=1), calendar=cal)
    return ClockReading(
        accepted_on=accepted_on,
        as_of=as_of,
        stopped=stopped,
        paused=open_pause is not None and not stopped,
        pauses=days,
        promised=promised,
        legal=legal,
        warning=WarningLevel.NONE if stopped else warning_level(promised, legal),
        provisional=any(r is not None and r.provisional for r in (promised, legal)),
        on_time=(not deciding.overdue) if stopped and deciding is not None else None,
        planned_resume=planned_resume,
    )


def warning_event(before: WarningLevel, after: WarningLevel) -> tuple[str, ...]:
    """The events to raise when a periodic check finds the level has risen (never when it falls,
    e.g. after a pause moved the due date)."""
    if after.rank <= before.rank:
        return ()
    if after is WarningLevel.RED:
        return (OVERDUE_WARNING, OVERDUE)
    return (OVERDUE_WARNING,)
