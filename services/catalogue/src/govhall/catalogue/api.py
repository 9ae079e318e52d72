"""The catalogue's gRPC servicer: translate messages, apply the domain rules, commit once.

Sites and departments are handled here; matters (matters.py), their bulk import
(bulkimport.py), articles (articles.py), blank forms and samples (materialfiles.py) and the export
stream (export.py) have modules of their own.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from govhall.catalogue import (
    access,
    articles,
    bulkimport,
    events,
    export,
    materialfiles,
    matters,
    model,
    store,
    taxonomy,
)
from govhall.catalogue.model import SiteRecord
from govhall.catalogue.settings import CatalogueSettings
from govhall.kit.db import Database
from govhall.kit.errors import DomainError, ErrorKind, not_found
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc


class CatalogueService(catalogue_pb2_grpc.CatalogueServiceServicer):
    def __init__(self, db: Database, settings: CatalogueSettings | None = None) -> None:
        self._db = db
        self._settings = settings or CatalogueSettings()

    # Sites and departments ----------------------------------------------------------------

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
            access.require_admin(site)
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
            return events.site_message(await access.site_or_404(uow, request.code))

    async def ListSites(self, request: pb.ListSitesRequest, context: Any) -> pb.ListSitesResponse:
        async with self._db.reader() as uow:
            found = await store.list_sites(uow, request.parent_code)
        return pb.ListSitesResponse(sites=[events.site_message(s) for s in found])

    async def UpsertDepartment(self, request: pb.UpsertDepartmentRequest, context: Any) -> pb.Department:
        model.check_department_code(request.code)
        name = model.check_name(request.name)
        async with self._db.uow() as uow:
            site = await access.site_or_404(uow, request.site_code)
            access.require_admin(site)
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
            uow.emit(events.department_upserted(dept))
            await uow.commit()
        return dept

    async def ListDepartments(
        self, request: pb.ListDepartmentsRequest, context: Any
    ) -> pb.ListDepartmentsResponse:
        async with self._db.reader() as uow:
            site = await access.site_or_404(uow, request.site_code)
            return pb.ListDepartmentsResponse(departments=await store.list_departments(uow, site.code))

    async def GetTaxonomy(self, request: pb.GetTaxonomyRequest, context: Any) -> pb.Taxonomy:
        return taxonomy.message()

    # Matters ------------------------------------------------------------------------------

    async def CreateMatter(self, request: pb.CreateMatterRequest, context: Any) -> pb.Matter:
        return await matters.create(self._db, request)

    async def UpdateMatter(self, request: pb.UpdateMatterRequest, context: Any) -> pb.Matter:
        return await matters.update(self._db, request)

    async def PublishMatter(self, request: pb.ChangeMatterStatusRequest, context: Any) -> pb.Matter:
        return await matters.change_status(self._db, request, "publish")

    async def WithdrawMatter(self, request: pb.ChangeMatterStatusRequest, context: Any) -> pb.Matter:
        return await matters.change_status(self._db, request, "withdraw")

    async def GetMatter(self, request: pb.GetMatterRequest, context: Any) -> pb.Matter:
        return await matters.get(self._db, request)

    async def ListMatterVersions(
        self, request: pb.ListMatterVersionsRequest, context: Any
    ) -> pb.ListMatterVersionsResponse:
        return await matters.versions(self._db, request)

    async def ListMatters(self, request: pb.ListMattersRequest, context: Any) -> pb.ListMattersResponse:
        return await matters.browse(self._db, request)

    async def ListHotMatters(
        self, request: pb.ListHotMattersRequest, context: Any
    ) -> pb.ListHotMattersResponse:
        return await matters.hot(self._db, request)

    async def GetGuideQrCode(self, request: pb.GetGuideQrCodeRequest, context: Any) -> pb.GuideQrCode:
        return await matters.qr_code(self._db, self._settings.guide_url_template, request)

    async def ImportMatters(self, request: pb.ImportMattersRequest, context: Any) -> pb.ImportMattersResponse:
        return await bulkimport.import_matters(self._db, request)

    # Articles -----------------------------------------------------------------------------

    async def SaveArticle(self, request: pb.SaveArticleRequest, context: Any) -> pb.Article:
        return await articles.save(self._db, request)

    async def PublishArticle(self, request: pb.ChangeArticleStatusRequest, context: Any) -> pb.Article:
        return await articles.change_status(self._db, request, "publish")

    async def WithdrawArticle(self, request: pb.ChangeArticleStatusRequest, context: Any) -> pb.Article:
        return await articles.change_status(self._db, request, "withdraw")

    async def GetArticle(self, request: pb.GetArticleRequest, context: Any) -> pb.Article:
        return await articles.get(self._db, request)

    async def ListArticles(self, request: pb.ListArticlesRequest, context: Any) -> pb.ListArticlesResponse:
        return await articles.browse(self._db, request)

    # Blank forms and samples -----------------------------------------------------------------

    async def UploadMaterialFile(
        self, request: pb.UploadMaterialFileRequest, context: Any
    ) -> pb.MaterialFile:
        return await materialfiles.upload(self._db, request)

    async def GetMaterialFile(
        self, request: pb.GetMaterialFileRequest, context: Any
    ) -> pb.MaterialFileContent:
        return await materialfiles.get(self._db, request)

    # Export -------------------------------------------------------------------------------

    async def ExportCatalogue(  # type: ignore[override]
        self, request: pb.ExportCatalogueRequest, context: Any
    ) -> AsyncIterator[pb.ExportItem]:
        async for item in export.export(self._db):
            yield item
