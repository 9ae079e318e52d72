"""The catalogue's REST routes: sites, departments, matters and their guides, versions, QR codes,
hot services, announcements and FAQs; and their administration.

Public reads are anonymous; the administration routes are in catalogue_admin.py.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated

from fastapi import APIRouter, Path, Query
from fastapi.responses import Response

from govhall.gateway import catalogue_model as views
from govhall.gateway import model, openapi
from govhall.gateway.params import MatterCodePath, PageNo, PageSize, SitePath
from govhall.gateway.responsecache import ResponseCache, answer
from govhall.gateway.upstreams import Upstreams
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.common.v1 import common_pb2

if TYPE_CHECKING:
    pass

ArticleIdPath = Annotated[str, Path(pattern=r"^[0-9A-Za-z][0-9A-Za-z-]{0,39}$", description="article id")]
DepartmentCodePath = Annotated[str, Path(pattern=r"^[0-9A-Za-z][0-9A-Za-z-]{0,39}$")]

# A guide's QR code changes only when the portal's address does.
QR_CACHE = "public, max-age=86400"


def catalogue_routes(up: Callable[[], Upstreams], cache: ResponseCache | None = None) -> APIRouter:
    """The routes; browsing and guides are answered from ``cache`` when it holds them
    (responsecache.py: anonymous answers, the same for everyone, for seconds)."""
    router = APIRouter()
    cache = cache or ResponseCache(0)

    # Sites and the taxonomy -----------------------------------------------------------------

    @router.get(
        "/api/v1/sites/{site}", tags=["sites"], summary="A site and its ancestors", operation_id="getSite"
    )
    async def get_site(site: SitePath) -> views.SiteOut:
        return views.site_out(await up().catalogue.call(lambda s: s.GetSite, cat.GetSiteRequest(code=site)))

    @router.get(
        "/api/v1/sites/{site}/children",
        tags=["sites"],
        summary="The sites under a site",
        operation_id="listChildSites",
    )
    async def list_children(site: SitePath) -> views.SitesOut:
        reply = await up().catalogue.call(lambda s: s.ListSites, cat.ListSitesRequest(parent_code=site))
        return views.SitesOut(items=[views.site_out(s) for s in reply.sites])

    @router.get(
        "/api/v1/sites/{site}/departments",
        tags=["sites"],
        summary="The departments of a site",
        operation_id="listDepartments",
    )
    async def list_departments(site: SitePath) -> views.DepartmentsOut:
        reply = await up().catalogue.call(
            lambda s: s.ListDepartments, cat.ListDepartmentsRequest(site_code=site)
        )
        return views.DepartmentsOut(items=[views.department_out(d) for d in reply.departments])

    @router.get(
        "/api/v1/taxonomy",
        tags=["matters"],
        summary="Themes (主题), life events (生命周期) and sub-audiences to browse by",
        operation_id="getTaxonomy",
    )
    async def taxonomy() -> views.TaxonomyOut:
        return views.taxonomy_out(
            await up().catalogue.call(lambda s: s.GetTaxonomy, cat.GetTaxonomyRequest())
        )

    # Matters --------------------------------------------------------------------------------

    @router.get(
        "/api/v1/sites/{site}/matters",
        tags=["matters"],
        summary="Browse the published matters a site offers: its own and its ancestors'",
        operation_id="listMatters",
        response_model=views.MattersOut,
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
    ) -> Response:
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

        async def produce() -> views.MattersOut:
            reply = await up().catalogue.call(lambda s: s.ListMatters, request)
            return views.MattersOut(
                items=[views.matter_out(m) for m in reply.matters], page=model.page_out(reply.page)
            )

        return await answer(cache, "matters", request, produce)

    @router.get(
        "/api/v1/sites/{site}/hot-matters",
        tags=["matters"],
        summary="The most applied-for matters a site offers (热门服务)",
        operation_id="listHotMatters",
        response_model=views.HotMattersOut,
    )
    async def hot_matters(site: SitePath, limit: Annotated[int, Query(ge=1, le=50)] = 10) -> Response:
        request = cat.ListHotMattersRequest(site_code=site, limit=limit)

        async def produce() -> views.HotMattersOut:
            reply = await up().catalogue.call(lambda s: s.ListHotMatters, request)
            return views.HotMattersOut(items=[views.hot_matter_out(h) for h in reply.matters])

        return await answer(cache, "hot-matters", request, produce)

    @router.get(
        "/api/v1/sites/{site}/matters/{code}",
        tags=["matters"],
        summary="A matter's service guide (办事指南) as seen from a site; ?version=N for an earlier one",
        operation_id="getMatter",
        response_model=views.MatterOut,
    )
    async def get_matter(
        site: SitePath, code: MatterCodePath, version: Annotated[int, Query(ge=0, le=1_000_000)] = 0
    ) -> Response:
        request = cat.GetMatterRequest(site_code=site, code=code, version=version)

        async def produce() -> views.MatterOut:
            return views.matter_out(await up().catalogue.call(lambda s: s.GetMatter, request))

        return await answer(cache, "matter", request, produce)

    @router.get(
        "/api/v1/sites/{site}/matters/{code}/versions",
        tags=["matters"],
        summary="A matter's published versions, newest first",
        operation_id="listMatterVersions",
    )
    async def matter_versions(site: SitePath, code: MatterCodePath) -> views.VersionsOut:
        reply = await up().catalogue.call(
            lambda s: s.ListMatterVersions, cat.ListMatterVersionsRequest(site_code=site, code=code)
        )
        return views.versions_out(reply)

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

    async def list_articles(
        site: str, kind: int, page: int, page_size: int, matter: str
    ) -> views.ArticlesOut:
        request = cat.ListArticlesRequest(
            site_code=site,
            kind=kind,  # type: ignore[arg-type]
            page=common_pb2.PageRequest(page=page, page_size=page_size),
            matter_code=matter,
        )
        reply = await up().catalogue.call(lambda s: s.ListArticles, request)
        return views.ArticlesOut(
            items=[views.article_out(a) for a in reply.articles], page=model.page_out(reply.page)
        )

    @router.get(
        "/api/v1/sites/{site}/announcements",
        tags=["articles"],
        summary="Policy announcements (政策公告) of a site and its ancestors, newest first",
        operation_id="listAnnouncements",
    )
    async def announcements(site: SitePath, page: PageNo = 1, page_size: PageSize = 20) -> views.ArticlesOut:
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
    ) -> views.ArticlesOut:
        return await list_articles(site, cat.ARTICLE_KIND_FAQ, page, page_size, matter or "")

    @router.get(
        "/api/v1/sites/{site}/articles/{article_id}",
        tags=["articles"],
        summary="An announcement or FAQ",
        operation_id="getArticle",
    )
    async def get_article(site: SitePath, article_id: ArticleIdPath) -> views.ArticleOut:
        return views.article_out(
            await up().catalogue.call(
                lambda s: s.GetArticle, cat.GetArticleRequest(site_code=site, id=article_id)
            )
        )

    return router
