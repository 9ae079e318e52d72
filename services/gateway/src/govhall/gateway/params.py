"""Path and query parameters many route modules share, checked before any service is called
(a malformed one is a 422 problem naming it, and never reaches a service)."""

from __future__ import annotations

from typing import Annotated

from fastapi import Path, Query

from govhall.gateway import bounds

SitePath = Annotated[
    str, Path(pattern=r"^\d{6}$", description="6-digit administrative division code (GB/T 2260)")
]
MatterCodePath = Annotated[str, Path(pattern=r"^[0-9A-Za-z][0-9A-Za-z-]{0,35}$", description="matter code")]
# Ids the services make (32 hex digits, or a uuid).
IdPath = Annotated[str, Path(pattern=r"^[0-9A-Za-z-]{1,64}$", description="id")]
PageNo = Annotated[int, Query(ge=1, le=10_000, description="page, from 1")]
PageSize = Annotated[int, Query(ge=1, le=100, description="rows per page")]
# A day (YYYY-MM-DD, China time) that exists and is within bounds.DayText's range; empty: not given.
DayQuery = Annotated[
    str, Query(pattern=f"{bounds.DAY_PATTERN}|^$", description="YYYY-MM-DD (China time)"), bounds.DayText
]
FromDayQuery = Annotated[
    str,
    Query(alias="from", pattern=f"{bounds.DAY_PATTERN}|^$", description="YYYY-MM-DD (China time), inclusive"),
    bounds.DayText,
]
