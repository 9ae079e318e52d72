"""Paging a list request: the page number and size a `common.v1.PageRequest` asks for, checked.

A page out of range is a 400 naming the field (never clamped silently: a portal asking for page
0 or 1,000 rows has a bug its developer should see). Unset fields take the defaults.
"""

from __future__ import annotations

from govhall.kit.errors import invalid
from govhall.protos.common.v1 import common_pb2

PAGE_SIZE, MAX_PAGE_SIZE, MAX_PAGE = 20, 100, 10_000


def paging(page: common_pb2.PageRequest, *, default_size: int = PAGE_SIZE) -> tuple[int, int]:
    """(page number from 1, page size) of a request; INVALID naming `page` or `page_size`."""
    number = page.page or 1
    if number < 1 or number > MAX_PAGE:
        raise invalid(
            "PAGE_INVALID", f"page must be between 1 and {MAX_PAGE}", f"页码应在1至{MAX_PAGE}之间", "page"
        )
    size = page.page_size or default_size
    if size < 1 or size > MAX_PAGE_SIZE:
        raise invalid(
            "PAGE_SIZE_INVALID",
            f"page_size must be between 1 and {MAX_PAGE_SIZE}",
            f"每页条数应在1至{MAX_PAGE_SIZE}之间",
            "page_size",
        )
    return number, size


def page_info(number: int, size: int, total: int) -> common_pb2.PageInfo:
    return common_pb2.PageInfo(page=number, page_size=size, total=total)
