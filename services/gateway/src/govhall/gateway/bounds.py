"""Bounds on what the gateway accepts, in one place: every integer, day and time a portal may
send, text that is Unicode, and free-form JSON (a case's form, a matter's form schema) no deeper
and no bigger than the settings allow.

Whatever passes here fits the protos the services read (int64 revisions, Timestamps from year 1
to 9999, UTF-8 strings), so a value a service cannot even be sent is a 400 naming the field, not
a 500 when the message is built. The errors are pydantic's (PydanticCustomError), so they reach
the caller through problems.on_validation_error like every other bad field.
"""

from __future__ import annotations

import json
from contextvars import ContextVar
from dataclasses import dataclass
from datetime import date, datetime
from typing import Annotated, Any

from pydantic import AfterValidator, Field
from pydantic_core import PydanticCustomError

# Protobuf int64 (revisions, versions): one more and the message cannot be built.
MAX_INT64 = 2**63 - 1
Revision = Annotated[int, Field(ge=0, le=MAX_INT64)]

# Days and times a government service may mean: a statistic, a deadline, an authorisation's
# end, an announcement's date. Wide enough for history and plans, far from the ends of what
# dates and Timestamps can hold (a day after 9999-12-31 does not exist).
EARLIEST_DAY = date(1900, 1, 1)
LATEST_DAY = date(2999, 12, 31)
DAY_PATTERN = r"^\d{4}-\d{2}-\d{2}$"


def _day(value: str | None) -> str | None:
    """A YYYY-MM-DD that is a real day within the bounds ("" and None: not given)."""
    if not value:
        return value
    try:
        day = date.fromisoformat(value)
    except ValueError:
        raise PydanticCustomError("date_invalid", "not a day of the calendar (YYYY-MM-DD)") from None
    if not EARLIEST_DAY <= day <= LATEST_DAY:
        raise PydanticCustomError(
            "date_out_of_range",
            "a day from {earliest} to {latest}",
            {"earliest": EARLIEST_DAY.isoformat(), "latest": LATEST_DAY.isoformat()},
        )
    return value


def _time(value: datetime | None) -> datetime | None:
    if value is not None and not EARLIEST_DAY <= value.date() <= LATEST_DAY:
        raise PydanticCustomError(
            "date_out_of_range",
            "a time from {earliest} to {latest}",
            {"earliest": EARLIEST_DAY.isoformat(), "latest": LATEST_DAY.isoformat()},
        )
    return value


#: A day as text (the protos carry days as "YYYY-MM-DD"); use with a pattern of DAY_PATTERN.
DayText = AfterValidator(_day)
#: A time within the bounds (Timestamp.FromDatetime fails for year 1 with an offset).
BoundedTime = AfterValidator(_time)


# Text ------------------------------------------------------------------------------------------


def unencodable(value: Any) -> bool:
    """True if a string in value (keys included, nested) is not Unicode text: a lone surrogate
    (JSON "\\ud800") cannot be encoded as UTF-8, so no message to a service can carry it."""
    stack = [value]
    while stack:
        item = stack.pop()
        if isinstance(item, str):
            try:
                item.encode("utf-8")
            except UnicodeEncodeError:
                return True
        elif isinstance(item, dict):
            stack.extend(item.keys())
            stack.extend(item.values())
        elif isinstance(item, list | tuple):
            stack.extend(item)
    return False


def check_text(value: Any) -> Any:
    if unencodable(value):
        raise PydanticCustomError("text_invalid", "contains a lone surrogate (not Unicode text)")
    return value


# Free-form JSON ------------------------------------------------------------------------------


@dataclass(frozen=True)
class JsonLimits:
    """How deep (objects and arrays inside each other) and how big (as compact UTF-8 JSON) a
    free-form JSON value may be: GOVHALL_GATEWAY_JSON_MAX_DEPTH and _JSON_MAX_BYTES."""

    max_depth: int = 32
    max_bytes: int = 256 * 1024


# The app's limits for the request being parsed (its middleware sets them; models are declared
# once per process, settings once per app).
DEFAULT_JSON_LIMITS = JsonLimits()
json_limits: ContextVar[JsonLimits | None] = ContextVar("json_limits", default=None)


def depth(value: Any) -> int:
    """How many objects and arrays are nested in value, counted without recursion (a body the
    parser accepted may still be deeper than Python's own recursion allows)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        children = item.values() if isinstance(item, dict) else item if isinstance(item, list) else None
        if children is None:
            continue
        deepest = max(deepest, level)
        stack.extend((child, level + 1) for child in children)
    return deepest


def _free_json(value: Any) -> Any:
    limits = json_limits.get() or DEFAULT_JSON_LIMITS
    if depth(value) > limits.max_depth:
        raise PydanticCustomError(
            "json_too_deep", "nested more than {max_depth} levels deep", {"max_depth": limits.max_depth}
        )
    check_text(value)
    size = len(json.dumps(value, ensure_ascii=False, separators=(",", ":")).encode())
    if size > limits.max_bytes:
        raise PydanticCustomError(
            "json_too_large", "larger than {max_bytes} bytes as JSON", {"max_bytes": limits.max_bytes}
        )
    return value


#: Free-form JSON (a form, a form schema): bounded in depth and size, Unicode throughout.
FreeJson = AfterValidator(_free_json)

# What the problem says in Chinese for each of these errors (problems._ZH_FOR_PYDANTIC adds them).
ZH = {
    "date_invalid": "不是有效的日期（YYYY-MM-DD）",
    "date_out_of_range": f"日期应在 {EARLIEST_DAY.isoformat()} 至 {LATEST_DAY.isoformat()} 之间",
    "text_invalid": "含有无效字符（孤立的代理项）",
    "json_too_deep": "嵌套层级过深",
    "json_too_large": "内容过大",
}
