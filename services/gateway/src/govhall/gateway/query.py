"""Query parameters an operation does not take are refused (400), not ignored.

An ignored parameter answers a different question than the caller asked: `faqs?matter_code=…`
listed every FAQ (the parameter is `matter`), `matters?audiance=person` every matter. One
app-wide dependency compares the query with what the matched route declares (its own and its
dependencies' query parameters), so every route, present and future, is covered.
"""

from __future__ import annotations

import difflib
import re
import weakref
from collections.abc import Callable
from typing import Any

from fastapi import Request
from fastapi.dependencies.models import Dependant

from govhall.kit.errors import FieldError, invalid_fields

# A name is repeated back to the caller only when it looks like a parameter name: the answer
# never echoes arbitrary input.
_PRINTABLE_NAME = re.compile(r"^[A-Za-z0-9_.\-\[\]]{1,40}$")

# What each endpoint's route takes, worked out on its first request.
_declared: weakref.WeakKeyDictionary[Callable[..., Any], frozenset[str]] = weakref.WeakKeyDictionary()


def _query_names(dependant: Dependant) -> set[str]:
    names = {f.alias for f in dependant.query_params}
    for sub in dependant.dependencies:
        names |= _query_names(sub)
    return names


def _unknown(name: str, known: frozenset[str]) -> FieldError:
    if not _PRINTABLE_NAME.match(name):
        return FieldError(
            "query", "a query parameter this operation does not take", "包含本接口不支持的查询参数"
        )
    close = difflib.get_close_matches(name, sorted(known), n=1)
    hint, hint_zh = (f" (did you mean {close[0]}?)", f"（是否应为 {close[0]}？）") if close else ("", "")
    return FieldError(
        f"query.{name}",
        f"this operation takes no query parameter {name}{hint}",
        f"本接口不支持查询参数 {name}{hint_zh}",
    )


async def refuse_unknown_query_parameters(request: Request) -> None:
    """An app-wide dependency: 400 REQUEST_INVALID naming each query parameter the route lacks."""
    if not request.query_params:
        return
    route = request.scope.get("route")
    endpoint = request.scope.get("endpoint")
    dependant = getattr(route, "dependant", None)
    if endpoint is None or dependant is None:
        return
    known = _declared.get(endpoint)
    if known is None:
        known = _declared[endpoint] = frozenset(_query_names(dependant))
    unknown = sorted(set(request.query_params.keys()) - known)
    if unknown:
        problems = {_unknown(name, known) for name in unknown}  # unprintable names once
        raise invalid_fields("REQUEST_INVALID", sorted(problems, key=lambda p: p.field))
