"""Which sites are below which, from consult's copy of the catalogue's site tree (`store.sites`,
kept by the durable consumer `consult-site-copy`; `govhall.sitecopy`).

A supervisor sees their own site and every site the catalogue puts below it; statistics by site
roll up its subtree. Both follow the tree the catalogue keeps, not the code: a development zone
(e.g. 420571) may hang under a county, a provincial zone under the province, whatever its digits
say under GB/T 2260. A site the copy has not heard of yet counts only as itself in a list or a
figure; for one row (may this caller see it?) the copy asks the catalogue (`ask_when_missing`).
"""

from __future__ import annotations

import re
from typing import Any

import sqlalchemy as sa

from govhall import sitecopy
from govhall.consult.store import sites
from govhall.kit.db import UnitOfWork
from govhall.kit.errors import invalid
from govhall.kit.service import ServiceContext

SITE_COPY = "consult-site-copy"
SITE_CODE = re.compile(r"^\d{6}$")


async def subscribe(ctx: ServiceContext[Any]) -> None:
    await sitecopy.subscribe(ctx, sites, durable=SITE_COPY)


def subtree(column: Any, site: str) -> Any:
    """`column` (a site code) is `site` or a site the copy has below it."""
    if not SITE_CODE.match(site):
        # Never a LIKE pattern from anything but six digits.
        return column == site
    # A path is the ancestors' codes joined by commas: six digits match only a whole code.
    below = sa.select(sites.t.c.code).where(sites.t.c.path.like(f"%{site}%"))
    return sa.or_(column == site, column.in_(below))


async def within(uow: UnitOfWork, ancestor: str, code: str) -> bool:
    """`code` is `ancestor` or a site below it."""
    if code == ancestor:
        return True
    site = await sites.get(uow, code)
    return site is not None and ancestor in site.path


async def path_of(uow: UnitOfWork, code: str) -> str:
    """The site and its ancestors root-first as "/a/b/c/" (a letter's `site_path`); a site the
    catalogue does not know is the writer's mistake."""
    site = await sites.get(uow, code)
    if site is None:
        raise invalid("SITE_UNKNOWN", "no such site", "没有这个站点", "site_code")
    return "/" + "/".join(site.path or [code]) + "/"
