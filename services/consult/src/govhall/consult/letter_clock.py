"""Letters' time limits: working days per kind and site as data (letter_limits.json), on the
kit calendar (statutory holidays and adjusted working days). No I/O beyond reading the data once."""

from __future__ import annotations

import datetime as dt
import json
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from govhall.kit.workdays import WorkingCalendar, default_calendar

CHINA = ZoneInfo("Asia/Shanghai")
LIMITS_FILE = Path(__file__).parent / "letter_limits.json"


@cache
def _limits(path: Path = LIMITS_FILE) -> dict[str, dict[str, int]]:
    data = json.loads(path.read_text(encoding="utf-8"))
    table = {"": {k: int(v) for k, v in data["default"].items()}}
    for site, limits in data.get("sites", {}).items():
        table[site] = {k: int(v) for k, v in limits.items()}
    return table


def limit_days(site_code: str, kind: str) -> int:
    """The working days a letter of this kind at this site has (the site's own, else the default)."""
    limits = _limits()
    return limits.get(site_code, {}).get(kind) or limits[""][kind]


def china_day(at: dt.datetime) -> dt.date:
    return at.astimezone(CHINA).date()


def due_date(
    site_code: str, kind: str, submitted: dt.datetime, calendar: WorkingCalendar | None = None
) -> dt.date:
    """The last working day of the limit: day 1 is the first working day after the day it was written."""
    cal = calendar or default_calendar()
    return cal.add_working_days(china_day(submitted), limit_days(site_code, kind)).date
