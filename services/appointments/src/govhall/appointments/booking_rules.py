"""Booking rules as data (booking_rules.json: defaults and per-site overrides), and the one
decision that is pure arithmetic: whether an owner's no-shows or cancellations suspend booking.

Each rule has its own error code and Chinese message, so the portal can say which rule refused.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Any

RULES_FILE = Path(__file__).parent / "booking_rules.json"


@dataclass(frozen=True)
class Strikes:
    """`count` events within `within` suspend booking for `suspend` after the one that made it."""

    count: int
    within: dt.timedelta
    suspend: dt.timedelta

    def suspended_until(self, times: Sequence[dt.datetime], now: dt.datetime) -> dt.datetime | None:
        """The end of a suspension in force at `now`, from these times (any order)."""
        ordered = sorted(times)
        until: dt.datetime | None = None
        for i in range(self.count - 1, len(ordered)):
            if ordered[i] - ordered[i - self.count + 1] <= self.within:
                end = ordered[i] + self.suspend
                if end > now and (until is None or end > until):
                    until = end
        return until

    def warns(self, times: Sequence[dt.datetime], now: dt.datetime) -> bool:
        """One short of a suspension within the window (the warning after the first no-show)."""
        recent = [t for t in times if now - t <= self.within]
        return self.count > 1 and len(recent) == self.count - 1


@dataclass(frozen=True)
class Rules:
    min_real_name_level: int
    min_notice: dt.timedelta
    horizon: dt.timedelta
    max_active: int
    cancel_until: dt.timedelta
    no_shows: Strikes
    cancellations: Strikes
    max_purpose: int


def _strikes(raw: dict[str, Any]) -> Strikes:
    return Strikes(
        int(raw["count"]), dt.timedelta(days=raw["within_days"]), dt.timedelta(days=raw["suspend_days"])
    )


@cache
def _table() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(RULES_FILE.read_text(encoding="utf-8"))
    return data


@cache
def for_site(site: str) -> Rules:
    data = _table()
    raw = {**data["default"], **data.get("sites", {}).get(site, {})}
    return Rules(
        min_real_name_level=int(raw["min_real_name_level"]),
        min_notice=dt.timedelta(minutes=raw["min_notice_minutes"]),
        horizon=dt.timedelta(days=raw["horizon_days"]),
        max_active=int(raw["max_active"]),
        cancel_until=dt.timedelta(minutes=raw["cancel_until_minutes"]),
        no_shows=_strikes(raw["no_shows"]),
        cancellations=_strikes(raw["cancellations"]),
        max_purpose=int(raw["max_purpose"]),
    )
