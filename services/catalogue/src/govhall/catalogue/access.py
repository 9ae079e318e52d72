"""What every RPC asks first: which site, which page, and whether the caller administers it."""

from __future__ import annotations

from govhall.catalogue import model, store
from govhall.catalogue.model import SiteRecord
from govhall.kit.caller import current_caller
from govhall.kit.db import UnitOfWork
from govhall.kit.errors import DomainError, forbidden, not_found
from govhall.protos.common.v1 import common_pb2

DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100


def paging(page: common_pb2.PageRequest) -> tuple[int, int]:
    if page.page < 0 or page.page_size < 0:
        raise DomainError(
            "PAGE_INVALID", "page and page_size must not be negative", "页码和每页条数不能为负数"
        )
    size = min(page.page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    return max(page.page, 1), size


def page_info(page: int, size: int, total: int) -> common_pb2.PageInfo:
    return common_pb2.PageInfo(page=page, page_size=size, total=total)


async def site_or_404(uow: UnitOfWork, code: str) -> SiteRecord:
    model.check_site_code(code)
    site = await store.get_site(uow, code)
    if site is None:
        raise not_found("site", "站点", code)
    return site


def administers(site: SiteRecord) -> bool:
    return model.may_administer(current_caller(), site)


def require_admin(site: SiteRecord) -> None:
    if not administers(site):
        # The site's code only: its name may be what this very caller sent (UpsertSite checks a
        # site it has not saved yet), and a refusal never repeats unchecked input.
        raise forbidden(
            f"only an administrator of site {site.code} may change its catalogue",
            f"仅站点 {site.code} 的管理员可以维护其事项目录",
        )


def ancestor(site: SiteRecord, code: str) -> SiteRecord:
    """The site `code` on site's path, as far as deciding who administers it goes (its path)."""
    path = site.path[: site.path.index(code) + 1]
    return SiteRecord(code, "", len(path), path[-2] if len(path) > 1 else "", path)


def administers_site_of(site: SiteRecord, code: str) -> bool:
    """Whether the caller administers the site `code`, one of site's ancestors or site itself."""
    return administers(ancestor(site, code))


def administered_codes(site: SiteRecord, codes: list[str]) -> list[str]:
    return [c for c in codes if administers_site_of(site, c)]
