"""The catalogue's REST routes: sites, departments, matters and their guides, versions, QR codes,
hot services, announcements and FAQs; and their administration.

Public reads are anonymous. The admin routes take a staff token or the static platform-admin
token (the `Admin` dependency); the catalogue itself checks that the caller administers the site.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response
from starlette.convertors import StringConvertor, register_url_convertor

from govhall.gateway import model, openapi
from govhall.gateway.auth import Admin
from govhall.gateway.protojson import to_dict
from govhall.gateway.upstreams import Upstreams
from govhall.kit.errors import DomainError, FieldError
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.common.v1 import common_pb2

if TYPE_CHECKING:
    from grpc.aio import UnaryUnaryMultiCallable

    from govhall.protos.catalogue.v1.catalogue_pb2_grpc import CatalogueServiceAsyncStub

SitePath = Annotated[
    str, Path(pattern=r"^\d{6}$", description="6-digit administrative division code (GB/T 2260)")
]
MatterCodePath = Annotated[str, Path(pattern=r"^[0-9A-Za-z][0-9A-Za-z-]{0,35}$", description="matter code")]
ArticleIdPath = Annotated[str, Path(pattern=r"^[0-9A-Za-z][0-9A-Za-z-]{0,39}$", description="article id")]
DepartmentCodePath = Annotated[str, Path(pattern=r"^[0-9A-Za-z][0-9A-Za-z-]{0,39}$")]
PageNo = Annotated[int, Query(ge=1, le=10_000)]
PageSize = Annotated[int, Query(ge=1, le=100)]


class MatterAction(StringConvertor):
    """Routes only a matter's actions, so POST .../{code}/versions is 405 (GET only), not an action."""

    regex = "publish|withdraw"


register_url_convertor("matter_action", MatterAction())
# A guide's QR code changes only when the portal's address does.
QR_CACHE = "public, max-age=86400"


def catalogue_routes(up: Callable[[], Upstreams]) -> APIRouter:
    router = APIRouter()

    async def write_matter(
        rpc: Callable[[CatalogueServiceAsyncStub], UnaryUnaryMultiCallable[Any, cat.Matter]],
        request: Any,
        caller: common_pb2.CallerIdentity,
    ) -> dict[str, Any]:
        try:
            return model.matter_out(await up().catalogue.call(rpc, request, caller))
        except DomainError as err:
            # The catalogue names guide fields inside the request's `draft`; the REST body has
            # them at the top level, so the problem names them as the portal sent them.
            err.fields = [
                FieldError(f.field.removeprefix("draft."), f.message, f.message_zh) for f in err.fields
            ]
            raise

    # Sites and the taxonomy -----------------------------------------------------------------

    @router.get(
        "/api/v1/sites/{site}", tags=["sites"], summary="A site and its ancestors", operation_id="getSite"
    )
    async def get_site(site: SitePath) -> dict[str, Any]:
        return to_dict(await up().catalogue.call(lambda s: s.GetSite, cat.GetSiteRequest(code=site)))

    @router.get(
        "/api/v1/sites/{site}/children",
        tags=["sites"],
        summary="The sites under a site",
        operation_id="listChildSites",
    )
    async def list_children(site: SitePath) -> dict[str, Any]:
        reply = await up().catalogue.call(lambda s: s.ListSites, cat.ListSitesRequest(parent_code=site))
        return {"items": [to_dict(s) for s in reply.sites]}

    @router.get(
        "/api/v1/sites/{site}/departments",
        tags=["sites"],
        summary="The departments of a site",
        operation_id="listDepartments",
    )
    async def list_departments(site: SitePath) -> dict[str, Any]:
        reply = await up().catalogue.call(
            lambda s: s.ListDepartments, cat.ListDepartmentsRequest(site_code=site)
        )
        return {"items": [to_dict(d) for d in reply.departments]}

    @router.get(
        "/api/v1/taxonomy",
        tags=["matters"],
        summary="Themes (主题), life events (生命周期) and sub-audiences to browse by",
        operation_id="getTaxonomy",
    )
    async def taxonomy() -> dict[str, Any]:
        return to_dict(await up().catalogue.call(lambda s: s.GetTaxonomy, cat.GetTaxonomyRequest()))

    # Matters --------------------------------------------------------------------------------

    @router.get(
        "/api/v1/sites/{site}/matters",
        tags=["matters"],
        summary="Browse the published matters a site offers: its own and its ancestors'",
        operation_id="listMatters",
    )
    async def list_matters(
        site: SitePath,
        page: PageNo = 1,
        page_size: PageSize = 20,
        audience: model.AudienceName | None = None,
        type: model.MatterTypeName | None = None,
        department: Annotated[str | None, Query(max_length=40)] = None,
        theme: Annotated[str | None, Query(max_length=40, description="主题分类")] = None,
        life_event: Annotated[str | None, Query(max_length=40, description="生命周期")] = None,
        sub_audience: Annotated[str | None, Query(max_length=40)] = None,
        handling_type: model.HandlingName | None = None,
        min_online_depth: Annotated[int, Query(ge=0, le=4)] = 0,
        online_only: bool = False,
        own_site_only: bool = False,
        name: Annotated[str | None, Query(max_length=100, description="part of the name")] = None,
    ) -> dict[str, Any]:
        request = cat.ListMattersRequest(
            site_code=site,
            page=common_pb2.PageRequest(page=page, page_size=page_size),
            audience=model.enum_number(cat.Audience, audience),  # type: ignore[arg-type]
            type=model.enum_number(cat.MatterType, type),  # type: ignore[arg-type]
            department_code=department or "",
            theme=theme or "",
            life_event=life_event or "",
            sub_audience=sub_audience or "",
            handling_type=model.enum_number(cat.HandlingType, handling_type),  # type: ignore[arg-type]
            min_online_depth=min_online_depth,
            online_only=online_only,
            own_site_only=own_site_only,
            name_contains=name or "",
        )
        reply = await up().catalogue.call(lambda s: s.ListMatters, request)
        return {"items": [model.matter_out(m) for m in reply.matters], "page": model.page_out(reply.page)}

    @router.get(
        "/api/v1/sites/{site}/hot-matters",
        tags=["matters"],
        summary="The most applied-for matters a site offers (热门服务)",
        operation_id="listHotMatters",
    )
    async def hot_matters(site: SitePath, limit: Annotated[int, Query(ge=1, le=50)] = 10) -> dict[str, Any]:
        reply = await up().catalogue.call(
            lambda s: s.ListHotMatters, cat.ListHotMattersRequest(site_code=site, limit=limit)
        )
        return {
            "items": [{**model.matter_out(h.matter), "applications": h.applications} for h in reply.matters]
        }

    @router.get(
        "/api/v1/sites/{site}/matters/{code}",
        tags=["matters"],
        summary="A matter's service guide (办事指南) as seen from a site; ?version=N for an earlier one",
        operation_id="getMatter",
    )
    async def get_matter(
        site: SitePath, code: MatterCodePath, version: Annotated[int, Query(ge=0, le=1_000_000)] = 0
    ) -> dict[str, Any]:
        reply = await up().catalogue.call(
            lambda s: s.GetMatter, cat.GetMatterRequest(site_code=site, code=code, version=version)
        )
        return model.matter_out(reply)

    @router.get(
        "/api/v1/sites/{site}/matters/{code}/versions",
        tags=["matters"],
        summary="A matter's published versions, newest first",
        operation_id="listMatterVersions",
    )
    async def matter_versions(site: SitePath, code: MatterCodePath) -> dict[str, Any]:
        reply = await up().catalogue.call(
            lambda s: s.ListMatterVersions, cat.ListMatterVersionsRequest(site_code=site, code=code)
        )
        return {"items": [to_dict(v) for v in reply.versions]}

    async def qr_code(site: str, code: str, fmt: int) -> Response:
        request = cat.GetGuideQrCodeRequest(site_code=site, code=code, format=fmt)  # type: ignore[arg-type]
        reply = await up().catalogue.call(lambda s: s.GetGuideQrCode, request)
        return Response(reply.data, media_type=reply.media_type, headers={"Cache-Control": QR_CACHE})

    @router.get(
        "/api/v1/sites/{site}/matters/{code}/qrcode.png",
        tags=["matters"],
        summary="A QR code (PNG) that opens the guide page",
        operation_id="getGuideQrPng",
        response_class=Response,
        responses=openapi.content("image/png", description="The QR code"),
    )
    async def qr_png(site: SitePath, code: MatterCodePath) -> Response:
        return await qr_code(site, code, cat.QR_FORMAT_PNG)

    @router.get(
        "/api/v1/sites/{site}/matters/{code}/qrcode.svg",
        tags=["matters"],
        summary="A QR code (SVG) that opens the guide page",
        operation_id="getGuideQrSvg",
        response_class=Response,
        responses=openapi.content("image/svg+xml", description="The QR code"),
    )
    async def qr_svg(site: SitePath, code: MatterCodePath) -> Response:
        return await qr_code(site, code, cat.QR_FORMAT_SVG)

    # Announcements and FAQs -----------------------------------------------------------------

    async def list_articles(site: str, kind: int, page: int, page_size: int, matter: str) -> dict[str, Any]:
        request = cat.ListArticlesRequest(
            site_code=site,
            kind=kind,  # type: ignore[arg-type]
            page=common_pb2.PageRequest(page=page, page_size=page_size),
            matter_code=matter,
        )
        reply = await up().catalogue.call(lambda s: s.ListArticles, request)
        return {"items": [to_dict(a) for a in reply.articles], "page": model.page_out(reply.page)}

    @router.get(
        "/api/v1/sites/{site}/announcements",
        tags=["articles"],
        summary="Policy announcements (政策公告) of a site and its ancestors, newest first",
        operation_id="listAnnouncements",
    )
    async def announcements(site: SitePath, page: PageNo = 1, page_size: PageSize = 20) -> dict[str, Any]:
        return await list_articles(site, cat.ARTICLE_KIND_ANNOUNCEMENT, page, page_size, "")

    @router.get(
        "/api/v1/sites/{site}/faqs",
        tags=["articles"],
        summary="Frequently asked questions (常见问题), optionally about one matter",
        operation_id="listFaqs",
    )
    async def faqs(
        site: SitePath,
        page: PageNo = 1,
        page_size: PageSize = 20,
        matter: Annotated[str | None, Query(max_length=36)] = None,
    ) -> dict[str, Any]:
        return await list_articles(site, cat.ARTICLE_KIND_FAQ, page, page_size, matter or "")

    @router.get(
        "/api/v1/sites/{site}/articles/{article_id}",
        tags=["articles"],
        summary="An announcement or FAQ",
        operation_id="getArticle",
    )
    async def get_article(site: SitePath, article_id: ArticleIdPath) -> dict[str, Any]:
        return to_dict(
            await up().catalogue.call(
                lambda s: s.GetArticle, cat.GetArticleRequest(site_code=site, id=article_id)
            )
        )

    # Administration -------------------------------------------------------------------------

    @router.put(
        "/api/v1/admin/sites/{site}",
        tags=["admin"],
        summary="Create or rename a site",
        operation_id="putSite",
    )
    async def put_site(site: SitePath, body: model.SiteIn, caller: Admin) -> dict[str, Any]:
        request = cat.UpsertSiteRequest(
            code=site,
            name=body.name,
            level=model.enum_number(cat.SiteLevel, body.level),  # type: ignore[arg-type]
            parent_code=body.parent_code,
        )
        return to_dict(await up().catalogue.call(lambda s: s.UpsertSite, request, caller))

    @router.put(
        "/api/v1/admin/sites/{site}/departments/{code}",
        tags=["admin"],
        summary="Create or rename a department of a site",
        operation_id="putDepartment",
    )
    async def put_department(
        site: SitePath, code: DepartmentCodePath, body: model.DepartmentIn, caller: Admin
    ) -> dict[str, Any]:
        request = cat.UpsertDepartmentRequest(code=code, site_code=site, name=body.name)
        return to_dict(await up().catalogue.call(lambda s: s.UpsertDepartment, request, caller))

    @router.post(
        "/api/v1/admin/sites/{site}/matters",
        tags=["admin"],
        status_code=201,
        summary="Create a matter: version 1, as a draft",
        operation_id="createMatter",
    )
    async def create_matter(site: SitePath, body: model.NewMatter, caller: Admin) -> dict[str, Any]:
        request = cat.CreateMatterRequest(code=body.code, site_code=site, draft=model.draft_message(body))
        return await write_matter(lambda s: s.CreateMatter, request, caller)

    @router.get(
        "/api/v1/admin/sites/{site}/matters/{code}",
        tags=["admin"],
        summary="A matter's newest version (a draft included), or ?version=N",
        operation_id="getMatterAdmin",
    )
    async def get_matter_admin(
        site: SitePath,
        code: MatterCodePath,
        caller: Admin,
        version: Annotated[int, Query(ge=0, le=1_000_000)] = 0,
    ) -> dict[str, Any]:
        request = cat.GetMatterRequest(site_code=site, code=code, include_unpublished=True, version=version)
        return model.matter_out(await up().catalogue.call(lambda s: s.GetMatter, request, caller))

    @router.get(
        "/api/v1/admin/sites/{site}/matters/{code}/versions",
        tags=["admin"],
        summary="Every version of a matter, drafts included, newest first",
        operation_id="listMatterVersionsAdmin",
    )
    async def matter_versions_admin(site: SitePath, code: MatterCodePath, caller: Admin) -> dict[str, Any]:
        reply = await up().catalogue.call(
            lambda s: s.ListMatterVersions, cat.ListMatterVersionsRequest(site_code=site, code=code), caller
        )
        return {"items": [to_dict(v) for v in reply.versions]}

    @router.put(
        "/api/v1/admin/sites/{site}/matters/{code}",
        tags=["admin"],
        summary="Edit a matter: the open draft, or a new draft version (the published one stays as it is)",
        operation_id="updateMatter",
    )
    async def update_matter(
        site: SitePath, code: MatterCodePath, body: model.MatterUpdate, caller: Admin
    ) -> dict[str, Any]:
        request = cat.UpdateMatterRequest(
            code=code,
            site_code=site,
            draft=model.draft_message(body),
            expected_revision=body.expected_revision,
        )
        return await write_matter(lambda s: s.UpdateMatter, request, caller)

    @router.post(
        "/api/v1/admin/sites/{site}/matters/{code}/{action:matter_action}",
        tags=["admin"],
        summary="Publish a matter's draft version (or a withdrawn matter again), or withdraw it",
        operation_id="changeMatterStatus",
    )
    async def change_matter_status(
        site: SitePath,
        code: MatterCodePath,
        action: Annotated[str, Path(pattern="^(publish|withdraw)$")],
        caller: Admin,
    ) -> dict[str, Any]:
        request = cat.ChangeMatterStatusRequest(code=code, site_code=site)
        publish = action == "publish"
        return model.matter_out(
            await up().catalogue.call(
                lambda s: s.PublishMatter if publish else s.WithdrawMatter, request, caller
            )
        )

    @router.post(
        "/api/v1/admin/sites/{site}/articles",
        tags=["admin"],
        status_code=201,
        summary="Write a new announcement or FAQ (a draft)",
        operation_id="createArticle",
    )
    async def create_article(site: SitePath, body: model.ArticleIn, caller: Admin) -> dict[str, Any]:
        return to_dict(
            await up().catalogue.call(lambda s: s.SaveArticle, model.article_request(site, "", body), caller)
        )

    @router.put(
        "/api/v1/admin/sites/{site}/articles/{article_id}",
        tags=["admin"],
        summary="Create or edit an announcement or FAQ with this id",
        operation_id="putArticle",
    )
    async def put_article(
        site: SitePath, article_id: ArticleIdPath, body: model.ArticleIn, caller: Admin
    ) -> dict[str, Any]:
        return to_dict(
            await up().catalogue.call(
                lambda s: s.SaveArticle, model.article_request(site, article_id, body), caller
            )
        )

    @router.get(
        "/api/v1/admin/sites/{site}/articles/{article_id}",
        tags=["admin"],
        summary="An announcement or FAQ in any status",
        operation_id="getArticleAdmin",
    )
    async def get_article_admin(site: SitePath, article_id: ArticleIdPath, caller: Admin) -> dict[str, Any]:
        request = cat.GetArticleRequest(site_code=site, id=article_id, include_unpublished=True)
        return to_dict(await up().catalogue.call(lambda s: s.GetArticle, request, caller))

    @router.post(
        "/api/v1/admin/sites/{site}/articles/{article_id}/{action}",
        tags=["admin"],
        summary="Publish or withdraw an announcement or FAQ",
        operation_id="changeArticleStatus",
    )
    async def change_article_status(
        site: SitePath,
        article_id: ArticleIdPath,
        action: Annotated[str, Path(pattern="^(publish|withdraw)$")],
        caller: Admin,
    ) -> dict[str, Any]:
        request = cat.ChangeArticleStatusRequest(site_code=site, id=article_id)
        publish = action == "publish"
        return to_dict(
            await up().catalogue.call(
                lambda s: s.PublishArticle if publish else s.WithdrawArticle, request, caller
            )
        )

    return router
