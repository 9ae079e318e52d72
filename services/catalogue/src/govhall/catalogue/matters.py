"""The matter RPCs: versioned writes, reads of any version, browsing, hot matters and QR codes.

Writes load the matter with its newest and published versions (row-locked), apply one of the
model's transitions, and write back in the same transaction as the events they raise. A matter
is administered at its own site only: a county sees its province's matters but cannot change them.
"""

from __future__ import annotations

import sqlalchemy as sa

from govhall.catalogue import access, events, guideqr, model, store
from govhall.catalogue.model import SiteRecord
from govhall.catalogue.store import LoadedMatter
from govhall.kit.db import Database, UnitOfWork
from govhall.kit.errors import DomainError, ErrorKind, forbidden, invalid, not_found
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb

DEFAULT_HOT = 10
MAX_HOT = 50
MAX_ONLINE_DEPTH = 4
LISTABLE = (pb.MATTER_STATUS_DRAFT, pb.MATTER_STATUS_PUBLISHED, pb.MATTER_STATUS_WITHDRAWN)


def revision_conflict(code: str, revision: int) -> DomainError:
    return DomainError(
        "MATTER_REVISION_CONFLICT",
        f"matter {code} was changed by someone else (now at revision {revision}); reload and retry",
        "事项已被他人修改，请刷新后重试",
        ErrorKind.CONFLICT,
    )


def code_taken(code: str) -> DomainError:
    return DomainError(
        "MATTER_CODE_TAKEN", f"matter {code} already exists", f"事项编码“{code}”已存在", ErrorKind.CONFLICT
    )


def department_not_found(site: SiteRecord, code: str) -> DomainError:
    return DomainError(
        "DEPARTMENT_NOT_FOUND",
        f"department {code} is not a department of site {site.code}",
        f"部门“{code}”不是{site.name}的部门",
        ErrorKind.INVALID,
    )


async def department_name(uow: UnitOfWork, site: SiteRecord, code: str) -> str:
    dept = await store.get_department(uow, code)
    if dept is None or dept.site_code != site.code:
        raise department_not_found(site, code)
    return dept.name


def _visible(site: SiteRecord, matter_site_code: str | None, code: str) -> None:
    if matter_site_code is None or matter_site_code not in site.path:
        raise not_found("matter", "事项", code)


async def _readable(uow: UnitOfWork, site_code: str, code: str) -> tuple[store.MatterHead, bool]:
    """A matter seen from a site (its own or an ancestor's), and whether the caller administers it."""
    site = await access.site_or_404(uow, site_code)
    model.check_matter_code(code)
    head = await store.get_head(uow, code)
    _visible(site, head.site_code if head else None, code)
    assert head is not None
    return head, access.administers_site_of(site, head.site_code)


async def _own(uow: UnitOfWork, site: SiteRecord, code: str) -> LoadedMatter:
    """A matter the caller may change: it belongs to this very site and the caller administers it."""
    access.require_admin(site)
    model.check_matter_code(code)
    loaded = await store.load_state(uow, code, for_update=True)
    _visible(site, loaded.state.site_code if loaded else None, code)
    assert loaded is not None
    if loaded.state.site_code != site.code:
        raise forbidden(
            f"matter {code} belongs to site {loaded.state.site_code}; change it there",
            f"事项“{code}”属于上级站点，请在所属站点维护",
        )
    return loaded


async def _save(uow: UnitOfWork, loaded: LoadedMatter) -> None:
    if not await store.save_states(uow, [loaded]):
        raise revision_conflict(loaded.state.code, loaded.state.revision)


async def create(db: Database, request: pb.CreateMatterRequest) -> pb.Matter:
    model.check_matter_code(request.code)
    draft = model.validate_draft(request.draft)
    async with db.uow() as uow:
        site = await access.site_or_404(uow, request.site_code)
        access.require_admin(site)
        dept = await department_name(uow, site, draft.department_code)
        if await store.existing_codes(uow, [request.code]):
            raise code_taken(request.code)
        state = model.new_matter(request.code, site.code, draft, store.now())
        try:
            await store.save_states(uow, [LoadedMatter(state, 0)])
        except sa.exc.IntegrityError as exc:  # created by a concurrent request since the check
            raise code_taken(request.code) from exc
        view = store.matter_message(state, state.latest, site, dept)
        await uow.commit()
    return view


async def update(db: Database, request: pb.UpdateMatterRequest) -> pb.Matter:
    draft = model.validate_draft(request.draft)
    async with db.uow() as uow:
        site = await access.site_or_404(uow, request.site_code)
        loaded = await _own(uow, site, request.code)
        if request.expected_revision and request.expected_revision != loaded.state.revision:
            raise revision_conflict(request.code, loaded.state.revision)
        dept = await department_name(uow, site, draft.department_code)
        version = model.edit_matter(loaded.state, draft, store.now())
        await _save(uow, loaded)
        view = store.matter_message(loaded.state, version, site, dept)
        await uow.commit()
    return view


async def change_status(db: Database, request: pb.ChangeMatterStatusRequest, action: str) -> pb.Matter:
    """Publish the draft version (or a withdrawn matter again), or withdraw the published one."""
    transition, event = (
        (model.publish_matter, events.matter_published)
        if action == "publish"
        else (model.withdraw_matter, events.matter_withdrawn)
    )
    async with db.uow() as uow:
        site = await access.site_or_404(uow, request.site_code)
        loaded = await _own(uow, site, request.code)
        version = transition(loaded.state, store.now())
        dept = await department_name(uow, site, version.draft.department_code)
        await _save(uow, loaded)
        view = store.matter_message(loaded.state, version, site, dept)
        uow.emit(event(view))
        await uow.commit()
    return view


async def get(db: Database, request: pb.GetMatterRequest) -> pb.Matter:
    if request.version < 0:
        raise invalid("MATTER_VERSION_INVALID", "version cannot be negative", "版本号不能为负数", "version")
    async with db.reader() as uow:
        head, administers = await _readable(uow, request.site_code, request.code)
        number = request.version
        if not number:
            # Unpublished content exists only for those who administer it.
            if request.include_unpublished and administers:
                number = head.latest_version
            elif head.published_version:
                number = head.published_version
            else:
                raise not_found("matter", "事项", request.code)
        matter = await store.get_matter_version(uow, request.code, number)
    if matter is None or not model.may_read_version(matter.status, administers):
        raise not_found("matter version", "事项版本", f"{request.code} v{number}")
    return matter


async def versions(db: Database, request: pb.ListMatterVersionsRequest) -> pb.ListMatterVersionsResponse:
    async with db.reader() as uow:
        _head, administers = await _readable(uow, request.site_code, request.code)
        found = [
            v
            for v in await store.list_versions(uow, request.code)
            if model.may_read_version(v.status, administers)
        ]
    if not found:
        raise not_found("matter", "事项", request.code)
    return pb.ListMatterVersionsResponse(versions=found)


async def browse(db: Database, request: pb.ListMattersRequest) -> pb.ListMattersResponse:
    page, size = access.paging(request.page)
    status = request.status or pb.MATTER_STATUS_PUBLISHED
    if status not in LISTABLE:
        raise invalid(
            "MATTER_STATUS_INVALID",
            "list matters that are published, drafts or withdrawn",
            "只能按已发布、草稿或已撤回状态列出事项",
            "status",
        )
    if request.min_online_depth > MAX_ONLINE_DEPTH:
        raise invalid(
            "ONLINE_DEPTH_INVALID",
            "min_online_depth must be 0-4",
            "网上办理深度应为1至4级",
            "min_online_depth",
        )
    async with db.reader() as uow:
        site = await access.site_or_404(uow, request.site_code)
        codes = [site.code] if request.own_site_only else list(site.path)
        if status != pb.MATTER_STATUS_PUBLISHED:
            # Unpublished matters are listed only from the sites the caller administers.
            codes = access.administered_codes(site, codes)
            if not codes:
                raise forbidden(
                    "only administrators may list unpublished matters", "仅管理员可查看未发布事项"
                )
        found, total = await store.list_matters(uow, request, codes, status, page, size)
    return pb.ListMattersResponse(matters=found, page=access.page_info(page, size, total))


async def hot(db: Database, request: pb.ListHotMattersRequest) -> pb.ListHotMattersResponse:
    limit = min(request.limit if request.limit > 0 else DEFAULT_HOT, MAX_HOT)
    async with db.reader() as uow:
        site = await access.site_or_404(uow, request.site_code)
        found = await store.hot_matters(uow, list(site.path), limit)
    return pb.ListHotMattersResponse(matters=found)


async def qr_code(db: Database, url_template: str, request: pb.GetGuideQrCodeRequest) -> pb.GuideQrCode:
    if request.format not in (pb.QR_FORMAT_UNSPECIFIED, *guideqr.MEDIA_TYPES):
        raise invalid("QR_FORMAT_INVALID", "format must be PNG or SVG", "二维码格式应为PNG或SVG", "format")
    async with db.reader() as uow:
        site = await access.site_or_404(uow, request.site_code)
        model.check_matter_code(request.code)
        head = await store.get_head(uow, request.code)
    # Only a published guide has a page to open.
    _visible(site, head.site_code if head and head.published_version else None, request.code)
    return guideqr.render(guideqr.guide_url(url_template, site.code, request.code), request.format)
