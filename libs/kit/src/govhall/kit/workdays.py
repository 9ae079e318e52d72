"""The working-day calendar: Chinese statutory holidays and adjusted working days (调休).

Legal time limits are counted in working days (《行政许可法》 art. 82), so a case's promised
conclusion date depends on each year's holiday table, which the State Council publishes every
November for the following year.

Where the knowledge of a day comes from, in priority order:

1. **Year tables** loaded from data that a site admin maintains (:meth:`WorkingCalendar.load_year`,
   :meth:`WorkingCalendar.load_directory`; format in :class:`YearTable` and ``holidays/README.md``).
   A loaded table is authoritative for its whole year: the days it lists are holidays or
   adjusted working days, every other day is Monday–Friday. A table may also list days at the
   edge of the adjacent year (the 2019 table moved 2018-12-29 to a working day); those override
   whatever else is known about them.
2. **The chinesecalendar package** (1.11 knows 2004–2026).
3. **Neither**: Monday–Friday counting. The answer is *provisional*: :class:`DueDate` says so, a
   warning is logged once per year per calendar (logger ``govhall.kit.workdays``) and the
   Prometheus counter ``govhall_calendar_unknown_year_total{year=...}`` goes up once per answer
   that relied on the guess. In strict mode the calendar raises :class:`UnknownCalendarYear`
   (code ``CALENDAR_YEAR_UNKNOWN``) instead.

Counting convention (the law's: the day the period starts on is not counted):

- The accepting day itself never counts; **day 1 is the first working day after acceptance**.
  ``add_working_days(start, n)`` is the n-th working day after ``start``.
- ``working_days_between(start, end)`` counts the working days ``d`` with ``start < d <= end``,
  i.e. the working days used up by the end of ``end``; it is 0 when ``end == start`` and
  negative (``-working_days_between(end, start)``) when ``end < start``, so
  ``working_days_between(today, due)`` is the working days left and, past the due date, minus
  the working days overdue.
- The two agree: if ``due = add_working_days(start, n).date`` then
  ``working_days_between(start, due) == n`` and ``due`` is itself a counted working day.
- **Paused intervals** (补正, 特别程序: the clock stops) are closed ranges ``(first, last)`` of
  dates: every day with ``first <= d <= last`` is skipped, including both ends. Intervals may
  overlap, touch or lie partly outside the counted span; pass them in any order.

Dates are :class:`datetime.date` in China Standard Time; a :class:`datetime.datetime` is refused
(convert it first: ``ts.astimezone(ZoneInfo("Asia/Shanghai")).date()``) so that an instant late
in the UTC day is not silently counted as the wrong day.

Per-day answers are cached as one bitmap per year with prefix sums, so counting over a span is a
few subtractions and ``add_working_days(start, 30)`` walks about 45 bytes.
"""

from __future__ import annotations

import calendar
import datetime as dt
import functools
import json
import logging
import re
import threading
from bisect import bisect_left
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from itertools import accumulate
from pathlib import Path
from typing import Final, Literal

import chinese_calendar
from prometheus_client import REGISTRY, Counter

from govhall.kit.errors import DomainError, ErrorKind

__all__ = [
    "BUNDLED_TABLES_DIR",
    "MAX_WORKING_DAYS",
    "UNKNOWN_YEAR_TOTAL",
    "DueDate",
    "InvalidYearTable",
    "UnknownCalendarYear",
    "WorkingCalendar",
    "WorkingDaysError",
    "YearSource",
    "YearTable",
    "default_calendar",
]

log = logging.getLogger("govhall.kit.workdays")

YearSource = Literal["table", "package", "unknown"]

#: Year tables shipped with the code (files named ``YYYY.json``); see its README.
BUNDLED_TABLES_DIR: Final = Path(__file__).with_name("holidays")

#: The largest ``n`` accepted by :meth:`WorkingCalendar.add_working_days` (about 40 years).
MAX_WORKING_DAYS: Final = 10_000

_MAX_ORDINAL: Final = dt.date.max.toordinal()
_TABLE_FILE: Final = re.compile(r"(\d{4})\.json")
_TABLE_KEYS: Final = frozenset({"year", "holidays", "workdays", "source", "note"})


# --------------------------------------------------------------------------------------------
# Errors
# --------------------------------------------------------------------------------------------


class UnknownCalendarYear(DomainError, LookupError):
    """Strict mode met a year known neither to a loaded table nor to chinesecalendar."""

    def __init__(self, year: int) -> None:
        self.year = year
        DomainError.__init__(
            self,
            code="CALENDAR_YEAR_UNKNOWN",
            message=(
                f"the working-day calendar has no holiday table for {year}: load the State Council's "
                f"{year} holidays and adjusted working days with WorkingCalendar.load_year(...) or put "
                f"{year}.json in the holiday tables directory"
            ),
            message_zh=(
                f"工作日历缺少{year}年的节假日安排：请管理员导入国务院公布的{year}年放假调休安排"
                f"（通过 load_year 加载，或将 {year}.json 放入节假日数据目录）后重试"
            ),
            kind=ErrorKind.WRONG_STATE,
        )

    __hash__ = Exception.__hash__


class InvalidYearTable(DomainError, ValueError):
    """A year table (admin data) is malformed; the message says what and where."""

    def __init__(self, message: str, message_zh: str) -> None:
        DomainError.__init__(
            self,
            code="CALENDAR_TABLE_INVALID",
            message=message,
            message_zh=message_zh,
            kind=ErrorKind.INVALID,
        )

    __hash__ = Exception.__hash__


class WorkingDaysError(DomainError, ValueError):
    """A counting request that makes no sense (n < 1, a pause that ends before it starts, ...)."""

    def __init__(self, code: str, message: str, message_zh: str) -> None:
        DomainError.__init__(self, code=code, message=message, message_zh=message_zh, kind=ErrorKind.INVALID)

    __hash__ = Exception.__hash__


# --------------------------------------------------------------------------------------------
# Metric
# --------------------------------------------------------------------------------------------


def _make_unknown_year_counter() -> Counter:
    name = "govhall_calendar_unknown_year"
    try:
        return Counter(
            name,
            "Working-day answers that fell back to Monday-Friday for a year with no holiday table",
            ["year"],
        )
    except ValueError:  # already registered: this module was loaded a second time (reload)
        existing = REGISTRY._names_to_collectors.get(name + "_total")
        if isinstance(existing, Counter):
            return existing
        raise


UNKNOWN_YEAR_TOTAL: Final = _make_unknown_year_counter()


# --------------------------------------------------------------------------------------------
# Data
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class DueDate:
    """The result of :meth:`WorkingCalendar.add_working_days`.

    ``provisional`` is True when any day walked over (after the start, outside pauses, up to and
    including ``date``) lay in a year known neither to a table nor to the package, so ``date`` was
    found by Monday–Friday counting and may move once that year's table is loaded;
    ``unknown_years`` names those years.
    """

    date: dt.date
    provisional: bool = False
    unknown_years: tuple[int, ...] = ()


@dataclass(frozen=True)
class YearTable:
    """One year's holidays and adjusted working days, as the State Council publishes them.

    JSON form (``YYYY.json``)::

        {"year": 2027,
         "source": "国办发明电〔2026〕X号",            # optional, free text
         "note": "...",                                # optional, free text
         "holidays": ["2027-01-01", "2027-02-05", ...], # days off (weekends inside a break may be listed)
         "workdays": ["2027-02-20", ...]}               # weekend days that are working days (调休上班)

    Rules checked when parsing: ``year`` is an integer 1900–2999; both lists are present and
    hold ISO dates in ``year`` or at its edge (December of the year before, January of the year
    after); no day is both a holiday and a working day; every adjusted working day is a Saturday
    or Sunday (a weekday listed there is a typo). Unknown keys are refused (typo guard).
    """

    year: int
    holidays: frozenset[dt.date]
    workdays: frozenset[dt.date]
    source: str = ""
    origin: str = field(default="", compare=False)

    @classmethod
    def from_mapping(cls, data: Mapping[str, object], *, origin: str = "") -> YearTable:
        """Parse and check a table (dates as ISO strings or :class:`datetime.date`)."""
        where = f" in {origin}" if origin else ""
        if not isinstance(data, Mapping):
            raise InvalidYearTable(f"a year table must be an object{where}", f"节假日数据应为对象{where}")
        unknown = sorted(set(data) - _TABLE_KEYS)
        if unknown:
            raise InvalidYearTable(
                f"unknown keys {unknown} in year table{where}; allowed: {sorted(_TABLE_KEYS)}",
                f"节假日数据{where}含有无法识别的字段 {unknown}",
            )
        year = data.get("year")
        if not isinstance(year, int) or isinstance(year, bool) or not 1900 <= year <= 2999:
            raise InvalidYearTable(
                f"year table{where} needs an integer 'year' between 1900 and 2999, got {year!r}",
                f"节假日数据{where}的年份（year）无效：{year!r}",
            )
        holidays = cls._dates(data, "holidays", year, where)
        workdays = cls._dates(data, "workdays", year, where)
        both = sorted(holidays & workdays)
        if both:
            shown = ", ".join(d.isoformat() for d in both)
            raise InvalidYearTable(
                f"{year} table{where} lists {shown} as both holiday and working day",
                f"{year}年节假日数据{where}中 {shown} 同时被列为假日和工作日",
            )
        weekdays = sorted(d for d in workdays if d.weekday() < 5)
        if weekdays:
            shown = ", ".join(d.isoformat() for d in weekdays)
            raise InvalidYearTable(
                f"{year} table{where}: adjusted working days must be Saturdays or Sundays, not {shown}",
                f"{year}年节假日数据{where}：调休上班日应为周六或周日，{shown} 不是",
            )
        source = data.get("source", "")
        return cls(year, holidays, workdays, source if isinstance(source, str) else str(source), origin)

    @staticmethod
    def _dates(data: Mapping[str, object], key: str, year: int, where: str) -> frozenset[dt.date]:
        raw = data.get(key)
        if not isinstance(raw, list | tuple | set | frozenset):
            raise InvalidYearTable(
                f"{year} table{where} needs a list '{key}' (it may be empty)",
                f"{year}年节假日数据{where}缺少列表字段 {key}",
            )
        days: set[dt.date] = set()
        for item in raw:
            day: dt.date | None = None
            if isinstance(item, dt.date) and not isinstance(item, dt.datetime):
                day = item
            elif isinstance(item, str):
                try:
                    day = dt.date.fromisoformat(item.strip())
                except ValueError:
                    day = None
            if day is None:
                raise InvalidYearTable(
                    f"{year} table{where}: {item!r} in '{key}' is not a date (YYYY-MM-DD)",
                    f"{year}年节假日数据{where}：{key} 中的 {item!r} 不是有效日期（YYYY-MM-DD）",
                )
            edge = (day.year == year - 1 and day.month == 12) or (day.year == year + 1 and day.month == 1)
            if day.year != year and not edge:
                raise InvalidYearTable(
                    f"{year} table{where}: {day.isoformat()} in '{key}' is outside {year}",
                    f"{year}年节假日数据{where}：{key} 中的 {day.isoformat()} 不在{year}年内",
                )
            days.add(day)
        return frozenset(days)

    @classmethod
    def from_json(cls, text: str | bytes, *, origin: str = "") -> YearTable:
        try:
            data = json.loads(text)
        except ValueError as exc:
            where = f" in {origin}" if origin else ""
            raise InvalidYearTable(
                f"year table{where} is not valid JSON: {exc}", f"节假日数据{where}不是有效的JSON"
            ) from exc
        return cls.from_mapping(data, origin=origin)

    @classmethod
    def from_file(cls, path: str | Path) -> YearTable:
        path = Path(path)
        table = cls.from_json(path.read_bytes(), origin=str(path))
        match = _TABLE_FILE.fullmatch(path.name)
        if match and int(match.group(1)) != table.year:
            raise InvalidYearTable(
                f"{path} holds the table for {table.year}, not {match.group(1)}",
                f"{path} 中的年份 {table.year} 与文件名不一致",
            )
        return table

    def to_mapping(self) -> dict[str, object]:
        """The JSON-ready form (sorted ISO dates), the inverse of :meth:`from_mapping`."""
        out: dict[str, object] = {"year": self.year}
        if self.source:
            out["source"] = self.source
        out["holidays"] = sorted(d.isoformat() for d in self.holidays)
        out["workdays"] = sorted(d.isoformat() for d in self.workdays)
        return out


# --------------------------------------------------------------------------------------------
# The package (chinesecalendar), shared by every calendar: its data never changes at run time
# --------------------------------------------------------------------------------------------


@functools.cache
def _package_flags(year: int) -> bytes | None:
    """One byte per day of ``year`` (1 = working day) from chinesecalendar, or None if unknown."""
    first = dt.date(year, 1, 1)
    try:
        chinese_calendar.is_workday(first)
    except NotImplementedError:
        return None
    days = 366 if calendar.isleap(year) else 365
    return bytes(1 if chinese_calendar.is_workday(first + dt.timedelta(days=i)) else 0 for i in range(days))


def _weekday_flags(year: int) -> bytearray:
    """Monday–Friday: one byte per day of ``year``."""
    start = dt.date(year, 1, 1).weekday()
    days = 366 if calendar.isleap(year) else 365
    return bytearray(1 if (start + i) % 7 < 5 else 0 for i in range(days))


class _Year:
    """A year's working days: a bitmap indexed by day of year and its prefix sums."""

    __slots__ = ("base", "end", "flags", "known", "prefix", "year")

    def __init__(self, year: int, flags: bytes | bytearray, known: bool) -> None:
        self.year = year
        self.base = dt.date(year, 1, 1).toordinal()
        self.end = self.base + len(flags)  # exclusive
        self.flags = bytes(flags)
        self.known = known
        # prefix[i] = working days among the first i days of the year
        self.prefix: tuple[int, ...] = (0, *accumulate(self.flags))

    def count(self, first: int, last: int) -> int:
        """Working days among ordinals first..last (inclusive), both inside this year."""
        return self.prefix[last - self.base + 1] - self.prefix[first - self.base]


# --------------------------------------------------------------------------------------------
# The calendar
# --------------------------------------------------------------------------------------------

_Pause = tuple[dt.date, dt.date]


class WorkingCalendar:
    """Working days by year table, then chinesecalendar, then Monday–Friday (see the module doc).

    ``strict=True`` makes every question about an unknown year raise :class:`UnknownCalendarYear`;
    each method also takes ``strict=`` to override the calendar's setting for one call.
    ``use_package=False`` ignores chinesecalendar (tests, or a site that wants tables only).

    Thread-safe: loading a table swaps the caches atomically; concurrent readers see either the
    old or the new knowledge, never a mixture within one year.
    """

    def __init__(
        self,
        tables: Iterable[YearTable | Mapping[str, object]] = (),
        *,
        strict: bool = False,
        use_package: bool = True,
    ) -> None:
        self.strict = strict
        self._use_package = use_package
        self._lock = threading.RLock()
        self._tables: dict[int, YearTable] = {}
        self._explicit: dict[int, bool] = {}  # ordinal -> is working day, from tables
        self._years: dict[int, _Year] = {}
        self._warned: set[int] = set()
        parsed = [self._as_table(t) for t in tables]
        if parsed:
            self._install(parsed, replace=False)

    @classmethod
    def from_directory(
        cls, path: str | Path, *, strict: bool = False, use_package: bool = True
    ) -> WorkingCalendar:
        """A calendar with every ``YYYY.json`` table in ``path`` loaded."""
        loaded = cls(strict=strict, use_package=use_package)
        loaded.load_directory(path)
        return loaded

    # ---------------------------------------------------------------- loading

    @staticmethod
    def _as_table(table: YearTable | Mapping[str, object]) -> YearTable:
        return table if isinstance(table, YearTable) else YearTable.from_mapping(table)

    def load_year(self, table: YearTable | Mapping[str, object]) -> YearTable:
        """Load (or replace) one year's table; returns it parsed. Raises :class:`InvalidYearTable`."""
        parsed = self._as_table(table)
        self._install([parsed], replace=False)
        log.info(
            "loaded working-day table for %d (%d holidays, %d adjusted working days)%s",
            parsed.year,
            len(parsed.holidays),
            len(parsed.workdays),
            f" from {parsed.origin}" if parsed.origin else "",
        )
        return parsed

    def load_directory(self, path: str | Path) -> list[YearTable]:
        """Load every ``YYYY.json`` in ``path`` (other files, e.g. ``README.md`` or
        ``2027.example.json``, are ignored). All files are parsed before any is loaded, so one bad
        file loads nothing. Returns the tables loaded, by year."""
        directory = Path(path)
        files = sorted(p for p in directory.iterdir() if p.is_file() and _TABLE_FILE.fullmatch(p.name))
        tables = [YearTable.from_file(p) for p in files]
        if tables:
            self._install(tables, replace=False)
            log.info("loaded working-day tables for %s from %s", [t.year for t in tables], directory)
        return tables

    def unload_year(self, year: int) -> None:
        """Forget a loaded table (the year falls back to the package or to Monday–Friday)."""
        with self._lock:
            if year in self._tables:
                remaining = [t for y, t in self._tables.items() if y != year]
                self._install(remaining, replace=True)

    def _install(self, tables: Sequence[YearTable], *, replace: bool) -> None:
        with self._lock:
            merged = {} if replace else dict(self._tables)
            for table in tables:
                merged[table.year] = table
            explicit: dict[int, bool] = {}
            ordered = sorted(merged.values(), key=lambda t: t.year)
            # Later tables win at year edges, and a year's own table wins over its neighbours.
            for own_year_only in (False, True):
                for table in ordered:
                    for day in table.holidays:
                        if not own_year_only or day.year == table.year:
                            explicit[day.toordinal()] = False
                    for day in table.workdays:
                        if not own_year_only or day.year == table.year:
                            explicit[day.toordinal()] = True
            self._tables = merged
            self._explicit = explicit
            self._years = {}
            self._warned = {y for y in self._warned if self._status(y) == "unknown"}

    @property
    def loaded_years(self) -> tuple[int, ...]:
        return tuple(sorted(self._tables))

    def table(self, year: int) -> YearTable | None:
        return self._tables.get(year)

    # ---------------------------------------------------------------- knowledge

    def _status(self, year: int) -> YearSource:
        if year in self._tables:
            return "table"
        if self._use_package and _package_flags(year) is not None:
            return "package"
        return "unknown"

    def year_status(self, year: int) -> YearSource:
        """Where knowledge of ``year`` comes from: ``'table'`` (a loaded table), ``'package'``
        (chinesecalendar) or ``'unknown'`` (Monday–Friday guess)."""
        return self._status(year)

    def require_known(self, day: dt.date | int) -> None:
        """Raise :class:`UnknownCalendarYear` unless the year of ``day`` (a date or a year) is known."""
        year = day if isinstance(day, int) else _check_date(day, "day").year
        if self._status(year) == "unknown":
            raise UnknownCalendarYear(year)

    def _year(self, year: int) -> _Year:
        cached = self._years.get(year)
        if cached is not None:
            return cached
        with self._lock:
            cached = self._years.get(year)
            if cached is not None:
                return cached
            status = self._status(year)
            package = _package_flags(year) if status == "package" else None
            flags = bytearray(package) if package is not None else _weekday_flags(year)
            base = dt.date(year, 1, 1).toordinal()
            for ordinal, working in self._explicit.items():
                if base <= ordinal < base + len(flags):
                    flags[ordinal - base] = working
            built = _Year(year, flags, known=status != "unknown")
            self._years[year] = built
            return built

    def _year_of_ordinal(self, ordinal: int) -> _Year:
        return self._year(dt.date.fromordinal(ordinal).year)

    def _report_unknown(self, years: Iterable[int], strict: bool | None) -> tuple[int, ...]:
        """Strict: raise for the first unknown year. Lenient: warn once per year, count each."""
        found = tuple(sorted(set(years)))
        if not found:
            return found
        if self.strict if strict is None else strict:
            raise UnknownCalendarYear(found[0])
        for year in found:
            UNKNOWN_YEAR_TOTAL.labels(year=str(year)).inc()
            if year not in self._warned:
                self._warned.add(year)
                log.warning(
                    "working-day calendar has no holiday table for %d and chinesecalendar does not know "
                    "it: counting Monday-Friday, so due dates in %d are provisional. Load the State "
                    "Council's %d table (WorkingCalendar.load_year or %d.json in the tables directory).",
                    year,
                    year,
                    year,
                    year,
                )
        return found

    # ---------------------------------------------------------------- questions

    def is_working_day(self, day: dt.date, *, strict: bool | None = None) -> bool:
        """True if ``day`` is a working day (Mon–Fri not a holiday, or an adjusted working day)."""
        ordinal = _check_date(day, "day").toordinal()
        year = self._year(day.year)
        if not year.known:
            self._report_unknown((year.year,), strict)
        return bool(year.flags[ordinal - year.base])

    def working_days_between(
        self,
        start: dt.date,
        end: dt.date,
        *,
        paused: Iterable[_Pause] = (),
        strict: bool | None = None,
    ) -> int:
        """Working days ``d`` with ``start < d <= end``, not inside any paused interval.

        ``end < start`` gives ``-working_days_between(end, start, ...)``. Paused intervals are
        closed ``(first, last)`` date pairs (see the module doc). Days in unknown years are counted
        Monday–Friday (lenient) or raise :class:`UnknownCalendarYear` (strict).
        """
        first_day = _check_date(start, "start")
        last_day = _check_date(end, "end")
        pauses = _merge_pauses(paused)
        sign = 1
        if last_day < first_day:
            first_day, last_day, sign = last_day, first_day, -1
        total, unknown = self._count(first_day.toordinal() + 1, last_day.toordinal(), pauses)
        self._report_unknown(unknown, strict)
        return sign * total

    def is_provisional(self, start: dt.date, end: dt.date, *, paused: Iterable[_Pause] = ()) -> bool:
        """True if counting from ``start`` to ``end`` (either order) relies on an unknown year.
        Neither logs nor counts."""
        lo, hi = sorted((_check_date(start, "start"), _check_date(end, "end")))
        _, unknown = self._count(lo.toordinal() + 1, hi.toordinal(), _merge_pauses(paused))
        return bool(unknown)

    def _count(self, first: int, last: int, pauses: list[tuple[int, int]]) -> tuple[int, set[int]]:
        """Working days among ordinals first..last inclusive, outside pauses; and unknown years."""
        total = 0
        unknown: set[int] = set()
        for seg_first, seg_last in _subtract(first, last, pauses):
            ordinal = seg_first
            while ordinal <= seg_last:
                year = self._year_of_ordinal(ordinal)
                upto = min(seg_last, year.end - 1)
                total += year.count(ordinal, upto)
                if not year.known:
                    unknown.add(year.year)
                ordinal = upto + 1
        return total, unknown

    def add_working_days(
        self,
        start: dt.date,
        n: int,
        *,
        paused: Iterable[_Pause] = (),
        strict: bool | None = None,
    ) -> DueDate:
        """The ``n``-th working day after ``start`` (``n >= 1``), skipping paused intervals.

        ``start`` itself never counts, even if it is a working day: day 1 is the first working day
        after it. ``n`` below 1 (or above :data:`MAX_WORKING_DAYS`) raises
        :class:`WorkingDaysError` (code ``WORKING_DAYS_BAD_COUNT``). The result is provisional when
        a day walked over lies in an unknown year (lenient), or :class:`UnknownCalendarYear` is
        raised (strict).
        """
        first_day = _check_date(start, "start")
        if isinstance(n, bool) or not isinstance(n, int):
            raise TypeError(f"n must be an int, got {type(n).__name__}")
        if not 1 <= n <= MAX_WORKING_DAYS:
            raise WorkingDaysError(
                "WORKING_DAYS_BAD_COUNT",
                f"n must be between 1 and {MAX_WORKING_DAYS} working days, got {n}: the start day never "
                "counts, day 1 is the first working day after it",
                f"工作日天数应在1至{MAX_WORKING_DAYS}之间，当前为{n}（起算日当天不计入，次一工作日为第1日）",
            )
        pauses = _merge_pauses(paused)
        effective_strict = self.strict if strict is None else strict
        remaining = n
        unknown: set[int] = set()
        for seg_first, seg_last in _gaps_after(first_day.toordinal() + 1, pauses):
            ordinal = seg_first
            while seg_last is None or ordinal <= seg_last:
                if ordinal > _MAX_ORDINAL:
                    raise OverflowError(f"{n} working days after {first_day} is past {dt.date.max}")
                year = self._year_of_ordinal(ordinal)
                if not year.known and year.year not in unknown:
                    if effective_strict:
                        raise UnknownCalendarYear(year.year)
                    unknown.add(year.year)
                upto = year.end - 1 if seg_last is None else min(seg_last, year.end - 1)
                low = ordinal - year.base
                before = year.prefix[low]
                available = year.prefix[upto - year.base + 1] - before
                if remaining <= available:
                    # prefix[i] counts days [0, i): the first i reaching the target ends on day i - 1
                    index = bisect_left(year.prefix, before + remaining, low + 1, upto - year.base + 2)
                    years = self._report_unknown(unknown, strict)
                    return DueDate(dt.date.fromordinal(year.base + index - 1), bool(years), years)
                remaining -= available
                ordinal = upto + 1
        raise AssertionError("unreachable: the last gap is unbounded")  # pragma: no cover


# --------------------------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------------------------


def _check_date(value: object, name: str) -> dt.date:
    if isinstance(value, dt.datetime):
        raise TypeError(
            f"{name} must be a date, not a datetime: convert it in China Standard Time first, "
            "e.g. ts.astimezone(ZoneInfo('Asia/Shanghai')).date()"
        )
    if not isinstance(value, dt.date):
        raise TypeError(f"{name} must be a datetime.date, got {type(value).__name__}")
    return value


def _merge_pauses(paused: Iterable[_Pause]) -> list[tuple[int, int]]:
    """Closed date intervals -> sorted, merged closed ordinal intervals."""
    spans: list[tuple[int, int]] = []
    for first, last in paused:
        first_day = _check_date(first, "paused interval start")
        last_day = _check_date(last, "paused interval end")
        if last_day < first_day:
            raise WorkingDaysError(
                "WORKING_DAYS_BAD_PAUSE",
                f"paused interval ends ({last_day.isoformat()}) before it starts ({first_day.isoformat()})",
                f"暂停计时区间的结束日期 {last_day.isoformat()} 早于开始日期 {first_day.isoformat()}",
            )
        spans.append((first_day.toordinal(), last_day.toordinal()))
    spans.sort()
    merged: list[tuple[int, int]] = []
    for first_o, last_o in spans:
        if merged and first_o <= merged[-1][1] + 1:
            if last_o > merged[-1][1]:
                merged[-1] = (merged[-1][0], last_o)
        else:
            merged.append((first_o, last_o))
    return merged


def _gaps_after(first: int, pauses: list[tuple[int, int]]) -> Iterator[tuple[int, int | None]]:
    """Closed ranges from ``first`` onwards that avoid the (sorted, merged) pauses; the last one
    is unbounded (``None`` as its end)."""
    cursor = first
    for pause_first, pause_last in pauses:
        if pause_last < cursor:
            continue
        if pause_first > cursor:
            yield cursor, pause_first - 1
        cursor = max(cursor, pause_last + 1)
    yield cursor, None


def _subtract(first: int, last: int, pauses: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The closed range first..last minus the (sorted, merged) closed pauses."""
    segments: list[tuple[int, int]] = []
    cursor = first
    for pause_first, pause_last in pauses:
        if pause_last < cursor:
            continue
        if pause_first > last:
            break
        if pause_first > cursor:
            segments.append((cursor, pause_first - 1))
        cursor = max(cursor, pause_last + 1)
    if cursor <= last:
        segments.append((cursor, last))
    return segments


_default: WorkingCalendar | None = None
_default_lock = threading.Lock()


def default_calendar() -> WorkingCalendar:
    """The process-wide lenient calendar with the tables in :data:`BUNDLED_TABLES_DIR` loaded.

    A service loads its site's admin-maintained tables into it at start-up
    (``default_calendar().load_directory(settings.holiday_tables_dir)``).
    """
    global _default
    current = _default
    if current is None:
        with _default_lock:
            current = _default
            if current is None:
                current = WorkingCalendar()
                if BUNDLED_TABLES_DIR.is_dir():
                    current.load_directory(BUNDLED_TABLES_DIR)
                _default = current
    return current
