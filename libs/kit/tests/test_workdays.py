from __future__ import annotations

import dataclasses
import datetime as dt
import json
import logging
import random
import time
from collections.abc import Sequence
from pathlib import Path

import chinese_calendar
import pytest
from prometheus_client import REGISTRY

from govhall.kit import workdays
from govhall.kit.errors import DomainError, ErrorKind
from govhall.kit.workdays import (
    BUNDLED_TABLES_DIR,
    DueDate,
    InvalidYearTable,
    UnknownCalendarYear,
    WorkingCalendar,
    WorkingDaysError,
    YearTable,
    default_calendar,
)

D = dt.date
ONE = dt.timedelta(days=1)

# An invented 2027 table (the real one is published in November 2026).
TABLE_2027 = {
    "year": 2027,
    "source": "test",
    "holidays": ["2027-01-01", *[f"2027-02-{d:02d}" for d in range(5, 14)]],
    "workdays": ["2027-02-20"],
}


@pytest.fixture
def cal() -> WorkingCalendar:
    return WorkingCalendar()


def unknown_count(year: int) -> float:
    return REGISTRY.get_sample_value("govhall_calendar_unknown_year_total", {"year": str(year)}) or 0.0


# ----------------------------------------------------------------- reference implementation


def in_pauses(day: dt.date, pauses: Sequence[tuple[dt.date, dt.date]]) -> bool:
    return any(a <= day <= b for a, b in pauses)


Pauses = Sequence[tuple[dt.date, dt.date]]


def naive_add(cal: WorkingCalendar, start: dt.date, n: int, pauses: Pauses = ()) -> dt.date:
    day, count = start, 0
    while True:
        day += ONE
        if not in_pauses(day, pauses) and cal.is_working_day(day):
            count += 1
            if count == n:
                return day


def naive_between(cal: WorkingCalendar, start: dt.date, end: dt.date, pauses: Pauses = ()) -> int:
    if end < start:
        return -naive_between(cal, end, start, pauses)
    total, day = 0, start
    while day < end:
        day += ONE
        total += not in_pauses(day, pauses) and cal.is_working_day(day)
    return total


# ------------------------------------------------------------------------- package years


def test_agrees_with_chinesecalendar_2004_to_2026(cal: WorkingCalendar) -> None:
    day = D(2004, 1, 1)
    while day.year <= 2026:
        assert cal.is_working_day(day) == chinese_calendar.is_workday(day), day
        day += ONE
    assert [y for y in range(2000, 2030) if cal.year_status(y) == "package"] == list(range(2004, 2027))


def test_national_day_2025(cal: WorkingCalendar) -> None:
    assert cal.is_working_day(D(2025, 9, 28))  # Sunday, adjusted working day
    assert all(not cal.is_working_day(D(2025, 10, d)) for d in range(1, 9))
    assert cal.is_working_day(D(2025, 10, 9))
    assert cal.is_working_day(D(2025, 10, 11))  # Saturday, adjusted working day
    assert not cal.is_working_day(D(2025, 10, 12))

    assert cal.add_working_days(D(2025, 9, 26), 1) == DueDate(D(2025, 9, 28), provisional=False)
    assert cal.add_working_days(D(2025, 9, 26), 3).date == D(2025, 9, 30)
    assert cal.add_working_days(D(2025, 9, 30), 1).date == D(2025, 10, 9)  # the whole break is skipped
    assert cal.add_working_days(D(2025, 9, 30), 3).date == D(2025, 10, 11)
    assert cal.add_working_days(D(2025, 10, 3), 1).date == D(2025, 10, 9)  # accepted during the break
    assert cal.working_days_between(D(2025, 9, 30), D(2025, 10, 8)) == 0
    assert cal.working_days_between(D(2025, 9, 26), D(2025, 10, 11)) == 6


def test_spring_festival_2025(cal: WorkingCalendar) -> None:
    assert cal.is_working_day(D(2025, 1, 26))  # Sunday, adjusted
    assert all(not cal.is_working_day(D(2025, 1, 28) + i * ONE) for i in range(8))  # Jan 28 - Feb 4
    assert cal.is_working_day(D(2025, 2, 5))
    assert cal.is_working_day(D(2025, 2, 8))  # Saturday, adjusted

    assert cal.add_working_days(D(2025, 1, 24), 1).date == D(2025, 1, 26)
    assert cal.add_working_days(D(2025, 1, 27), 1).date == D(2025, 2, 5)
    # 20 working days from Jan 20: Jan 21-24, 26, 27 (6), Feb 5-8 (10), Feb 10-14 (15), Feb 17-21 (20)
    assert cal.add_working_days(D(2025, 1, 20), 20).date == D(2025, 2, 21)
    assert cal.working_days_between(D(2025, 1, 20), D(2025, 2, 21)) == 20


def test_spring_festival_2026_from_the_package(cal: WorkingCalendar) -> None:
    assert cal.year_status(2026) == "package"
    assert cal.is_working_day(D(2026, 2, 14))  # Saturday, adjusted
    assert all(not cal.is_working_day(D(2026, 2, d)) for d in range(15, 24))  # Feb 15-23
    assert cal.is_working_day(D(2026, 2, 24))
    assert cal.is_working_day(D(2026, 2, 28))  # Saturday, adjusted
    assert cal.add_working_days(D(2026, 2, 13), 1).date == D(2026, 2, 14)
    assert cal.add_working_days(D(2026, 2, 14), 1).date == D(2026, 2, 24)
    assert cal.add_working_days(D(2026, 2, 13), 5) == DueDate(D(2026, 2, 27), provisional=False)


# ------------------------------------------------------------------- counting conventions


def test_start_day_never_counts(cal: WorkingCalendar) -> None:
    monday = D(2025, 3, 3)
    assert cal.add_working_days(monday, 1).date == D(2025, 3, 4)
    assert cal.add_working_days(D(2025, 3, 7), 1).date == D(2025, 3, 10)  # Friday -> Monday
    assert cal.add_working_days(D(2025, 3, 8), 1).date == D(2025, 3, 10)  # accepted on a Saturday
    assert cal.working_days_between(monday, monday) == 0
    assert cal.working_days_between(monday, D(2025, 3, 4)) == 1
    assert cal.working_days_between(D(2025, 3, 7), D(2025, 3, 9)) == 0


def test_between_is_antisymmetric(cal: WorkingCalendar) -> None:
    assert cal.working_days_between(D(2025, 10, 9), D(2025, 9, 30)) == -1
    assert cal.working_days_between(D(2025, 3, 14), D(2025, 3, 3)) == -cal.working_days_between(
        D(2025, 3, 3), D(2025, 3, 14)
    )


def test_add_and_between_consistent_2024_to_2026(cal: WorkingCalendar) -> None:
    start = D(2024, 1, 1)
    while start <= D(2026, 10, 31):
        for n in (1, 2, 5, 10, 20, 30):
            due = cal.add_working_days(start, n)
            assert not due.provisional
            assert cal.is_working_day(due.date)
            assert cal.working_days_between(start, due.date) == n, (start, n)
            assert cal.working_days_between(start, due.date - ONE) == n - 1, (start, n)
        start += ONE


def test_matches_naive_walk_with_random_pauses(cal: WorkingCalendar) -> None:
    rng = random.Random(42)
    base = D(2024, 1, 1).toordinal()
    for _ in range(400):
        start = D.fromordinal(base + rng.randrange(1000))
        n = rng.randint(1, 45)
        pauses = []
        for _ in range(rng.randint(0, 3)):
            first = start + rng.randint(-5, 50) * ONE
            pauses.append((first, first + rng.randint(0, 12) * ONE))
        due = cal.add_working_days(start, n, paused=pauses)
        assert due.date == naive_add(cal, start, n, pauses), (start, n, pauses)
        assert cal.working_days_between(start, due.date, paused=pauses) == n
        end = start + rng.randint(-60, 90) * ONE
        assert cal.working_days_between(start, end, paused=pauses) == naive_between(cal, start, end, pauses)


# ---------------------------------------------------------------------------- pauses


def test_paused_days_do_not_count(cal: WorkingCalendar) -> None:
    monday = D(2025, 3, 3)
    assert cal.add_working_days(monday, 5).date == D(2025, 3, 10)
    supplement = [(D(2025, 3, 5), D(2025, 3, 6))]  # both ends excluded
    assert cal.add_working_days(monday, 5, paused=supplement).date == D(2025, 3, 12)
    assert cal.working_days_between(monday, D(2025, 3, 12), paused=supplement) == 5
    assert cal.working_days_between(monday, D(2025, 3, 6), paused=supplement) == 1


def test_pauses_merge_clip_and_order(cal: WorkingCalendar) -> None:
    monday = D(2025, 3, 3)
    overlapping = [(D(2025, 3, 6), D(2025, 3, 10)), (D(2025, 3, 5), D(2025, 3, 6))]
    assert cal.add_working_days(monday, 5, paused=overlapping).date == D(2025, 3, 14)
    around_start = [(D(2025, 3, 1), D(2025, 3, 4))]
    assert cal.add_working_days(monday, 5, paused=around_start).date == D(2025, 3, 11)
    one_day = [(D(2025, 3, 4), D(2025, 3, 4))]
    assert cal.add_working_days(monday, 5, paused=one_day).date == D(2025, 3, 11)
    after_due = [(D(2025, 4, 1), D(2025, 4, 30))]
    assert cal.add_working_days(monday, 5, paused=after_due).date == D(2025, 3, 10)
    before_start = [(D(2025, 2, 1), D(2025, 2, 28))]
    assert cal.working_days_between(monday, D(2025, 3, 10), paused=before_start) == 5


def test_pause_ending_before_it_starts_is_rejected(cal: WorkingCalendar) -> None:
    with pytest.raises(WorkingDaysError) as exc:
        cal.add_working_days(D(2025, 3, 3), 5, paused=[(D(2025, 3, 6), D(2025, 3, 5))])
    assert exc.value.code == "WORKING_DAYS_BAD_PAUSE"
    with pytest.raises(WorkingDaysError):
        cal.working_days_between(D(2025, 3, 3), D(2025, 3, 9), paused=[(D(2025, 3, 6), D(2025, 3, 5))])


# ---------------------------------------------------------------------- bad arguments


@pytest.mark.parametrize("n", [0, -1, -30, workdays.MAX_WORKING_DAYS + 1])
def test_n_out_of_range_rejected(cal: WorkingCalendar, n: int) -> None:
    with pytest.raises(WorkingDaysError) as exc:
        cal.add_working_days(D(2025, 3, 3), n)
    err = exc.value
    assert err.code == "WORKING_DAYS_BAD_COUNT"
    assert issubclass(WorkingDaysError, ValueError) and issubclass(WorkingDaysError, DomainError)
    assert str(n) in err.message and "day 1" in err.message
    assert "第1日" in err.message_zh


@pytest.mark.parametrize("n", [True, 1.0, "5", None])
def test_n_must_be_int(cal: WorkingCalendar, n: object) -> None:
    with pytest.raises(TypeError):
        cal.add_working_days(D(2025, 3, 3), n)  # type: ignore[arg-type]


def test_datetimes_refused(cal: WorkingCalendar) -> None:
    moment = dt.datetime(2025, 3, 3, 23, 30, tzinfo=dt.UTC)
    with pytest.raises(TypeError, match="Asia/Shanghai"):
        cal.add_working_days(moment, 1)
    with pytest.raises(TypeError):
        cal.is_working_day(moment)
    with pytest.raises(TypeError):
        cal.working_days_between(D(2025, 3, 3), moment)
    with pytest.raises(TypeError):
        cal.is_working_day("2025-03-03")  # type: ignore[arg-type]


def test_due_date_is_frozen(cal: WorkingCalendar) -> None:
    due = cal.add_working_days(D(2025, 3, 3), 1)
    with pytest.raises(dataclasses.FrozenInstanceError):
        due.date = D(2025, 3, 5)  # type: ignore[misc]


# -------------------------------------------------------------------------- unknown years


def test_unknown_year_counts_monday_to_friday_provisionally(
    cal: WorkingCalendar, caplog: pytest.LogCaptureFixture
) -> None:
    assert cal.year_status(2027) == "unknown"
    before = unknown_count(2027)
    with caplog.at_level(logging.WARNING, logger="govhall.kit.workdays"):
        # Dec 11, 14-18, 21-25, 28-31 (15), then 2027 Mon-Fri: Jan 1 (16), 4-8, 11-15, 18-21 (30)
        due = cal.add_working_days(D(2026, 12, 10), 30)
        assert due == DueDate(D(2027, 1, 21), provisional=True, unknown_years=(2027,))
        assert cal.working_days_between(D(2026, 12, 10), D(2027, 1, 21)) == 30
        assert cal.is_working_day(D(2027, 1, 1))  # a Friday, guessed
        assert not cal.is_working_day(D(2027, 1, 2))
    assert unknown_count(2027) == before + 4  # once per answer that relied on the guess
    warnings = [
        r for r in caplog.records if r.name == "govhall.kit.workdays" and r.levelno == logging.WARNING
    ]
    assert len(warnings) == 1  # once per year
    assert "2027" in warnings[0].getMessage() and "provisional" in warnings[0].getMessage()


def test_known_span_is_not_provisional(cal: WorkingCalendar) -> None:
    before = unknown_count(2027)
    assert not cal.add_working_days(D(2026, 12, 1), 5).provisional
    assert not cal.is_provisional(D(2026, 12, 1), D(2026, 12, 31))
    assert cal.is_provisional(D(2026, 12, 1), D(2027, 1, 4))
    assert cal.is_provisional(D(2027, 1, 4), D(2026, 12, 1))
    # a pause over every unknown day leaves nothing guessed
    assert not cal.is_provisional(D(2026, 12, 1), D(2027, 1, 4), paused=[(D(2027, 1, 1), D(2027, 1, 4))])
    assert unknown_count(2027) == before  # is_provisional neither counts nor logs


def test_years_before_the_package_are_unknown_too(cal: WorkingCalendar) -> None:
    assert cal.year_status(2003) == "unknown"
    due = cal.add_working_days(D(2003, 12, 30), 2)
    assert due.provisional and due.unknown_years == (2003,)
    assert due.date == D(2004, 1, 2)  # Dec 31 (guessed), then Jan 1 2004 is New Year's Day


def test_strict_mode_raises_with_chinese_message() -> None:
    strict = WorkingCalendar(strict=True)
    assert strict.add_working_days(D(2026, 12, 1), 5) == DueDate(D(2026, 12, 8))  # known years are fine
    with pytest.raises(UnknownCalendarYear) as exc:
        strict.add_working_days(D(2026, 12, 10), 30)
    err = exc.value
    assert err.code == "CALENDAR_YEAR_UNKNOWN"
    assert err.year == 2027
    assert err.kind is ErrorKind.WRONG_STATE
    assert "2027" in err.message and "load_year" in err.message
    assert "2027年" in err.message_zh and "节假日" in err.message_zh and "导入" in err.message_zh
    with pytest.raises(UnknownCalendarYear):
        strict.is_working_day(D(2027, 3, 1))
    with pytest.raises(UnknownCalendarYear):
        strict.working_days_between(D(2026, 12, 1), D(2027, 1, 5))
    # per-call override
    assert strict.add_working_days(D(2026, 12, 10), 30, strict=False).provisional


def test_lenient_calendar_can_be_strict_per_call(cal: WorkingCalendar) -> None:
    before = unknown_count(2027)
    with pytest.raises(UnknownCalendarYear):
        cal.add_working_days(D(2026, 12, 10), 30, strict=True)
    assert unknown_count(2027) == before


def test_require_known(cal: WorkingCalendar) -> None:
    cal.require_known(D(2026, 12, 31))
    cal.require_known(2004)
    with pytest.raises(UnknownCalendarYear) as exc:
        cal.require_known(D(2027, 1, 1))
    assert exc.value.year == 2027
    with pytest.raises(UnknownCalendarYear):
        cal.require_known(2003)
    cal.load_year(TABLE_2027)
    cal.require_known(D(2027, 1, 1))


# ----------------------------------------------------------------------------- year tables


def test_loaded_table_overrides_the_fallback(cal: WorkingCalendar) -> None:
    guessed = cal.add_working_days(D(2026, 12, 10), 30)
    assert guessed.provisional and guessed.date == D(2027, 1, 21)
    assert cal.is_working_day(D(2027, 2, 8))  # a Monday, guessed

    table = cal.load_year(TABLE_2027)
    assert table.year == 2027 and D(2027, 2, 20) in table.workdays
    assert cal.year_status(2027) == "table"
    assert cal.loaded_years == (2027,)

    assert cal.add_working_days(D(2026, 12, 10), 30) == DueDate(D(2027, 1, 22), provisional=False)
    assert not cal.is_working_day(D(2027, 1, 1))
    assert not cal.is_working_day(D(2027, 2, 8))
    assert cal.is_working_day(D(2027, 2, 20))  # Saturday, adjusted
    assert not cal.is_working_day(D(2027, 2, 21))
    assert cal.is_working_day(D(2027, 3, 1))
    # Feb 4 is the last working day before the break, Feb 15 the first after it
    assert cal.add_working_days(D(2027, 2, 4), 1).date == D(2027, 2, 15)


def test_table_beats_the_package_for_its_whole_year(cal: WorkingCalendar) -> None:
    assert not cal.is_working_day(D(2026, 2, 16))
    cal.load_year({"year": 2026, "holidays": ["2026-01-01"], "workdays": []})
    assert cal.year_status(2026) == "table"
    assert cal.is_working_day(D(2026, 2, 16))  # not in the table: Monday counts
    assert not cal.is_working_day(D(2026, 2, 14))  # adjusted day not in the table: Saturday
    cal.unload_year(2026)
    assert cal.year_status(2026) == "package"
    assert not cal.is_working_day(D(2026, 2, 16))


def test_table_may_reach_into_the_adjacent_year(cal: WorkingCalendar) -> None:
    # like the real 2019 table, which made Saturday 2018-12-29 a working day
    cal.load_year({"year": 2027, "holidays": ["2026-12-31", "2027-01-01"], "workdays": ["2026-12-26"]})
    assert cal.year_status(2026) == "package"
    assert not cal.is_working_day(D(2026, 12, 31))
    assert cal.is_working_day(D(2026, 12, 26))
    assert cal.add_working_days(D(2026, 12, 30), 1).date == D(2027, 1, 4)


def test_loading_a_table_replaces_the_previous_one(cal: WorkingCalendar) -> None:
    cal.load_year(TABLE_2027)
    cal.load_year({"year": 2027, "holidays": [], "workdays": []})
    assert cal.is_working_day(D(2027, 2, 8))
    assert cal.table(2027) is not None and not cal.table(2027).holidays  # type: ignore[union-attr]


def test_calendar_built_with_tables() -> None:
    cal = WorkingCalendar(
        [TABLE_2027, YearTable.from_mapping({"year": 2028, "holidays": [], "workdays": []})]
    )
    assert cal.loaded_years == (2027, 2028)
    assert cal.year_status(2028) == "table"


def test_package_can_be_switched_off() -> None:
    cal = WorkingCalendar(use_package=False)
    assert cal.year_status(2025) == "unknown"
    due = cal.add_working_days(D(2025, 9, 30), 1)
    assert due == DueDate(D(2025, 10, 1), provisional=True, unknown_years=(2025,))


def test_year_table_round_trip() -> None:
    table = YearTable.from_mapping(TABLE_2027, origin="test")
    again = YearTable.from_json(json.dumps(table.to_mapping()))
    assert again == table
    assert table.to_mapping()["holidays"][0] == "2027-01-01"  # type: ignore[index]


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        ({"year": 2027, "holidays": ["2027-02-20"], "workdays": ["2027-02-20"]}, "both"),
        ({"year": 2027, "holidays": [], "workdays": ["2027-02-22"]}, "Saturdays or Sundays"),
        ({"year": 2027, "holidays": ["2029-01-01"], "workdays": []}, "outside 2027"),
        ({"year": 2027, "holidays": ["2026-11-30"], "workdays": []}, "outside 2027"),
        ({"year": 2027, "holidays": ["2027-02-30"], "workdays": []}, "not a date"),
        ({"year": 2027, "holidays": [20270101], "workdays": []}, "not a date"),
        ({"year": 2027, "holidays": []}, "workdays"),
        ({"year": 2027, "holidays": "2027-01-01", "workdays": []}, "holidays"),
        ({"year": "2027", "holidays": [], "workdays": []}, "year"),
        ({"year": 1850, "holidays": [], "workdays": []}, "year"),
        ({"year": 2027, "holidays": [], "workdays": [], "workday": []}, "unknown keys"),
    ],
)
def test_bad_tables_rejected(cal: WorkingCalendar, data: dict[str, object], fragment: str) -> None:
    with pytest.raises(InvalidYearTable) as exc:
        cal.load_year(data)
    assert exc.value.code == "CALENDAR_TABLE_INVALID"
    assert fragment in exc.value.message
    assert exc.value.message_zh
    assert cal.loaded_years == ()


def test_edge_dates_accepted() -> None:
    table = YearTable.from_mapping({"year": 2027, "holidays": ["2026-12-31", "2028-01-01"], "workdays": []})
    assert table.holidays == {D(2026, 12, 31), D(2028, 1, 1)}


def test_load_directory(tmp_path: Path) -> None:
    (tmp_path / "2027.json").write_text(json.dumps(TABLE_2027), encoding="utf-8")
    (tmp_path / "2028.example.json").write_text("not even json", encoding="utf-8")
    (tmp_path / "README.md").write_text("# tables", encoding="utf-8")
    cal = WorkingCalendar.from_directory(tmp_path)
    assert cal.loaded_years == (2027,)
    assert cal.table(2027) is not None and cal.table(2027).origin.endswith("2027.json")  # type: ignore[union-attr]
    assert not cal.is_working_day(D(2027, 2, 8))


def test_load_directory_is_all_or_nothing(tmp_path: Path) -> None:
    (tmp_path / "2027.json").write_text(json.dumps(TABLE_2027), encoding="utf-8")
    (tmp_path / "2028.json").write_text('{"year": 2028, "holidays": ["2028-13-01"], "workdays": []}')
    cal = WorkingCalendar()
    with pytest.raises(InvalidYearTable, match=r"2028\.json"):
        cal.load_directory(tmp_path)
    assert cal.loaded_years == ()


def test_file_name_must_match_year(tmp_path: Path) -> None:
    (tmp_path / "2028.json").write_text(json.dumps(TABLE_2027), encoding="utf-8")
    with pytest.raises(InvalidYearTable, match="not 2028"):
        WorkingCalendar.from_directory(tmp_path)


def test_bad_json_file(tmp_path: Path) -> None:
    (tmp_path / "2027.json").write_text("{", encoding="utf-8")
    with pytest.raises(InvalidYearTable, match="not valid JSON"):
        WorkingCalendar.from_directory(tmp_path)


def test_bundled_tables_and_example() -> None:
    bundled = sorted(int(p.stem) for p in BUNDLED_TABLES_DIR.glob("[0-9][0-9][0-9][0-9].json"))
    assert default_calendar().loaded_years == tuple(bundled)
    assert default_calendar() is default_calendar()
    example = YearTable.from_file(BUNDLED_TABLES_DIR / "2027.example.json")  # the example stays valid
    assert example.year == 2027 and "EXAMPLE" in example.source
    assert (BUNDLED_TABLES_DIR / "README.md").is_file()


# ------------------------------------------------------------------------------ performance


def test_answers_are_cached(cal: WorkingCalendar, monkeypatch: pytest.MonkeyPatch) -> None:
    cal.add_working_days(D(2025, 12, 1), 30)  # warm 2025 and 2026

    def boom(day: dt.date) -> bool:
        raise AssertionError("chinesecalendar consulted again")

    monkeypatch.setattr(chinese_calendar, "is_workday", boom)
    other = WorkingCalendar()  # package answers are shared between calendars too
    assert other.add_working_days(D(2025, 12, 1), 30) == cal.add_working_days(D(2025, 12, 1), 30)


def test_add_working_days_is_fast(cal: WorkingCalendar) -> None:
    starts = [D(2025, 1, 1) + i * ONE for i in range(500)]
    cal.add_working_days(starts[0], 30)
    began = time.perf_counter()
    for _ in range(40):
        for start in starts:
            cal.add_working_days(start, 30)
    elapsed = time.perf_counter() - began
    assert elapsed < 2.0, f"20,000 calls took {elapsed:.2f}s"  # about 0.15 s on a laptop


def test_counter_creation_is_registry_safe() -> None:
    # what a second import of the module would do: the registered counter is reused
    assert workdays._make_unknown_year_counter() is workdays.UNKNOWN_YEAR_TOTAL
