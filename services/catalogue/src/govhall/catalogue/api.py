"""The catalogue's gRPC servicer: translate messages, apply the domain rules, commit once."""

from __future__ import annotations

from typing import Any

from govhall.catalogue import events, model, store
from govhall.catalogue.model import SiteRecord
from govhall.kit.caller import current_caller
from govhall.kit.db import Database, UnitOfWork
from govhall.kit.errors import DomainError, ErrorKind, forbidden, not_found
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
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


async def _site_or_404(uow: UnitOfWork, code: str) -> SiteRecord:
    model.check_site_code(code)
    site = await store.get_site(uow, code)
    if site is None:
        raise not_found("site", "站点", code)
    return site


def _require_admin(site: SiteRecord) -> None:
    if not model.may_administer(current_caller(), site):
        raise forbidden(
            f"only an administrator of site {site.code} may change its catalogue",
            f"仅{site.name}的管理员可以维护其事项目录",
        )


async def _visible_matter(
    uow: UnitOfWork, site: SiteRecord, code: str, *, for_update: bool = False
) -> pb.Matter:
    model.check_matter_code(code)
    matter = await store.get_matter(uow, code, for_update=for_update)
    if matter is None or matter.site_code not in site.path:
        raise not_found("matter", "事项", code)
    return matter


class CatalogueService(catalogue_pb2_grpc.CatalogueServiceServicer):
    def __init__(self, db: Database) -> None:
        self._db = db

    async def UpsertSite(self, request: pb.UpsertSiteRequest, context: Any) -> pb.Site:
        model.check_site_code(request.code, "code")
        name = model.check_name(request.name)
        async with self._db.uow() as uow:
            parent = await store.get_site(uow, request.parent_code) if request.parent_code else None
            if request.parent_code and parent is None:
                raise not_found("site", "上级站点", request.parent_code)
            path = model.site_path(request.level, parent, request.code)
            site = SiteRecord(request.code, name, request.level, request.parent_code, path)
            # A site's path holds its ancestors, so an administrator of the parent qualifies.
            _require_admin(site)
            existing = await store.get_site(uow, request.code)
            if existing and existing.path != path:
                raise DomainError(
                    "SITE_MOVE_UNSUPPORTED",
                    "a site cannot move to another parent or level",
                    "站点不能变更上级或层级",
                    ErrorKind.WRONG_STATE,
                )
            await store.save_site(uow, site)
            uow.emit(events.site_upserted(site))
            await uow.commit()
        return events.site_message(site)

    async def GetSite(self, request: pb.GetSiteRequest, context: Any) -> pb.Site:
        async with self._db.reader() as uow:
            return events.site_message(await _site_or_404(uow, request.code))

    async def ListSites(self, request: pb.ListSitesRequest, context: Any) -> pb.ListSitesResponse:
        async with self._db.reader() as uow:
            found = await store.list_sites(uow, request.parent_code)
        return pb.ListSitesResponse(sites=[events.site_message(s) for s in found])

    async def UpsertDepartment(self, request: pb.UpsertDepartmentRequest, context: Any) -> pb.Department:
        model.check_department_code(request.code)
        name = model.check_name(request.name)
        async with self._db.uow() as uow:
            site = await _site_or_404(uow, request.site_code)
            _require_admin(site)
            existing = await store.get_department(uow, request.code)
            if existing and existing.site_code != site.code:
                raise DomainError(
                    "DEPARTMENT_CODE_TAKEN",
                    f"department {request.code} belongs to another site",
                    f"部门编码“{request.code}”已被其他站点使用",
                    ErrorKind.CONFLICT,
                )
            dept = pb.Department(code=request.code, site_code=site.code, name=name)
            await store.save_department(uow, dept)
            await uow.commit()
        return dept

    async def ListDepartments(
        self, request: pb.ListDepartmentsRequest, context: Any
    ) -> pb.ListDepartmentsResponse:
        async with self._db.reader() as uow:
            site = await _site_or_404(uow, request.site_code)
            return pb.ListDepartmentsResponse(departments=await store.list_departments(uow, site.code))

    async def _check_department(self, uow: UnitOfWork, site: SiteRecord, code: str) -> None:
        dept = await store.get_department(uow, code)
        if dept is None or dept.site_code != site.code:
            raise DomainError(
                "DEPARTMENT_NOT_FOUND",
                f"department {code} is not a department of site {site.code}",
                f"部门“{code}”不是{site.name}的部门",
                ErrorKind.INVALID,
            )

    async def CreateMatter(self, request: pb.CreateMatterRequest, context: Any) -> pb.Matter:
        model.check_matter_code(request.code)
        draft = model.validate_draft(request.draft)
        async with self._db.uow() as uow:
            site = await _site_or_404(uow, request.site_code)
            _require_admin(site)
            await self._check_department(uow, site, draft.department_code)
            now = store.now_ts()
            matter = pb.Matter(
                code=request.code, site_code=site.code, draft=draft, status=pb.MATTER_STATUS_DRAFT, revision=1
            )
            matter.created_at.CopyFrom(now)
            matter.updated_at.CopyFrom(now)
            if not await store.insert_matter(uow, matter):
                raise DomainError(
                    "MATTER_CODE_TAKEN",
                    f"matter {request.code} already exists",
                    f"事项编码“{request.code}”已存在",
                    ErrorKind.CONFLICT,
                )
            view = await self._view(uow, request.code)
            await uow.commit()
        return view

    async def UpdateMatter(self, request: pb.UpdateMatterRequest, context: Any) -> pb.Matter:
        draft = model.validate_draft(request.draft)
        async with self._db.uow() as uow:
            site = await _site_or_404(uow, request.site_code)
            matter = await self._own_matter(uow, site, request.code)
            model.check_editable(matter.status)
            if request.expected_revision and request.expected_revision != matter.revision:
                raise _revision_conflict(matter)
            await self._check_department(uow, site, draft.department_code)
            previous = matter.revision
            matter.draft.CopyFrom(draft)
            matter.revision = previous + 1
            matter.updated_at.CopyFrom(store.now_ts())
            if not await store.update_matter(uow, matter, previous):
                raise _revision_conflict(matter)
            view = await self._view(uow, matter.code)
            if matter.status == pb.MATTER_STATUS_PUBLISHED:
                uow.emit(events.matter_updated(view))
            await uow.commit()
        return view

    async def PublishMatter(self, request: pb.ChangeMatterStatusRequest, context: Any) -> pb.Matter:
        return await self._change_status(request, "publish")

    async def WithdrawMatter(self, request: pb.ChangeMatterStatusRequest, context: Any) -> pb.Matter:
        return await self._change_status(request, "withdraw")

    async def _change_status(self, request: pb.ChangeMatterStatusRequest, action: str) -> pb.Matter:
        async with self._db.uow() as uow:
            site = await _site_or_404(uow, request.site_code)
            matter = await self._own_matter(uow, site, request.code)
            previous = matter.revision
            matter.status = model.next_status(action, matter.status)
            matter.revision = previous + 1
            now = store.now_ts()
            matter.updated_at.CopyFrom(now)
            if action == "publish":
                matter.published_at.CopyFrom(now)
            if not await store.update_matter(uow, matter, previous):
                raise _revision_conflict(matter)
            view = await self._view(uow, matter.code)
            uow.emit(events.matter_published(view) if action == "publish" else events.matter_withdrawn(view))
            await uow.commit()
        return view

    async def _own_matter(self, uow: UnitOfWork, site: SiteRecord, code: str) -> pb.Matter:
        """A matter the caller may change: it belongs to this very site and the caller administers it."""
        _require_admin(site)
        matter = await _visible_matter(uow, site, code, for_update=True)
        if matter.site_code != site.code:
            raise forbidden(
                f"matter {code} belongs to site {matter.site_code}; change it there",
                f"事项“{code}”属于上级站点，请在所属站点维护",
            )
        return matter

    async def _view(self, uow: UnitOfWork, code: str) -> pb.Matter:
        matter = await store.get_matter(uow, code)
        assert matter is not None  # written in this same transaction
        return matter

    async def GetMatter(self, request: pb.GetMatterRequest, context: Any) -> pb.Matter:
        async with self._db.reader() as uow:
            site = await _site_or_404(uow, request.site_code)
            matter = await _visible_matter(uow, site, request.code)
        if matter.status != pb.MATTER_STATUS_PUBLISHED:
            # Unpublished matters exist only for those who administer them.
            may_see = request.include_unpublished and model.may_administer(current_caller(), site)
            if not may_see:
                raise not_found("matter", "事项", request.code)
        return matter

    async def ListMatters(self, request: pb.ListMattersRequest, context: Any) -> pb.ListMattersResponse:
        page, size = paging(request.page)
        async with self._db.reader() as uow:
            site = await _site_or_404(uow, request.site_code)
            statuses = [pb.MATTER_STATUS_PUBLISHED]
            if request.status and request.status != pb.MATTER_STATUS_PUBLISHED:
                if not model.may_administer(current_caller(), site):
                    raise forbidden(
                        "only administrators may list unpublished matters", "仅管理员可查看未发布事项"
                    )
                statuses = [request.status]
            codes = [site.code] if request.own_site_only else site.path
            found, total = await store.list_matters(uow, request, codes, statuses, page, size)
        return pb.ListMattersResponse(
            matters=found, page=common_pb2.PageInfo(page=page, page_size=size, total=total)
        )


def _revision_conflict(matter: pb.Matter) -> DomainError:
    return DomainError(
        "MATTER_REVISION_CONFLICT",
        f"matter {matter.code} was changed by someone else (now at revision {matter.revision}); reload and retry",
        "事项已被他人修改，请刷新后重试",
        ErrorKind.CONFLICT,
    )
