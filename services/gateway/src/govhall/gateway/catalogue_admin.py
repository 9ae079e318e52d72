"""The catalogue's administration routes: sites, departments, matters (drafts, versions,
publishing) and articles. They take a staff token or the static platform-admin token (the
`Admin` dependency); the catalogue itself checks that the caller administers the site."""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import APIRouter, Path, Query
from starlette.convertors import StringConvertor, register_url_convertor

from govhall.gateway import catalogue_model as views
from govhall.gateway import model
from govhall.gateway.auth import Admin
from govhall.gateway.catalogue import ArticleIdPath, DepartmentCodePath
from govhall.gateway.params import MatterCodePath, SitePath
from govhall.gateway.upstreams import Upstreams
from govhall.kit.errors import DomainError, FieldError
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.common.v1 import common_pb2

if TYPE_CHECKING:
    from grpc.aio import UnaryUnaryMultiCallable

    from govhall.protos.catalogue.v1.catalogue_pb2_grpc import CatalogueServiceAsyncStub


class MatterAction(StringConvertor):
    """Routes only a matter's actions, so POST .../{code}/versions is 405 (GET only), not an action."""

    regex = "publish|withdraw"


register_url_convertor("matter_action", MatterAction())


def catalogue_admin_routes(up: Callable[[], Upstreams]) -> APIRouter:
    router = APIRouter()

    async def write_matter(
        rpc: Callable[[CatalogueServiceAsyncStub], UnaryUnaryMultiCallable[Any, cat.Matter]],
        request: Any,
        caller: common_pb2.CallerIdentity,
    ) -> Any:
        try:
            return views.matter_out(await up().catalogue.call(rpc, request, caller))
        except DomainError as err:
            # The catalogue names guide fields inside the request's `draft`; the REST body has
            # them at the top level, so the problem names them as the portal sent them.
            err.fields = [
                FieldError(f.field.removeprefix("draft."), f.message, f.message_zh) for f in err.fields
            ]
            raise

    # Administration -------------------------------------------------------------------------

    @router.put(
        "/api/v1/admin/sites/{site}",
        tags=["admin"],
        summary="Create or rename a site",
        operation_id="putSite",
    )
    async def put_site(site: SitePath, body: model.SiteIn, caller: Admin) -> views.SiteOut:
        request = cat.UpsertSiteRequest(
            code=site,
            name=body.name,
            level=model.enum_number(cat.SiteLevel, body.level),  # type: ignore[arg-type]
            parent_code=body.parent_code,
        )
        return views.site_out(await up().catalogue.call(lambda s: s.UpsertSite, request, caller))

    @router.put(
        "/api/v1/admin/sites/{site}/departments/{code}",
        tags=["admin"],
        summary="Create or rename a department of a site",
        operation_id="putDepartment",
    )
    async def put_department(
        site: SitePath, code: DepartmentCodePath, body: model.DepartmentIn, caller: Admin
    ) -> views.DepartmentOut:
        request = cat.UpsertDepartmentRequest(code=code, site_code=site, name=body.name)
        return views.department_out(await up().catalogue.call(lambda s: s.UpsertDepartment, request, caller))

    @router.post(
        "/api/v1/admin/sites/{site}/matters",
        tags=["admin"],
        status_code=201,
        summary="Create a matter: version 1, as a draft",
        operation_id="createMatter",
    )
    async def create_matter(site: SitePath, body: model.NewMatter, caller: Admin) -> views.MatterOut:
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
    ) -> views.MatterOut:
        request = cat.GetMatterRequest(site_code=site, code=code, include_unpublished=True, version=version)
        return views.matter_out(await up().catalogue.call(lambda s: s.GetMatter, request, caller))

    @router.get(
        "/api/v1/admin/sites/{site}/matters/{code}/versions",
        tags=["admin"],
        summary="Every version of a matter, drafts included, newest first",
        operation_id="listMatterVersionsAdmin",
    )
    async def matter_versions_admin(site: SitePath, code: MatterCodePath, caller: Admin) -> views.VersionsOut:
        reply = await up().catalogue.call(
            lambda s: s.ListMatterVersions, cat.ListMatterVersionsRequest(site_code=site, code=code), caller
        )
        return views.versions_out(reply)

    @router.put(
        "/api/v1/admin/sites/{site}/matters/{code}",
        tags=["admin"],
        summary="Edit a matter: the open draft, or a new draft version (the published one stays as it is)",
        operation_id="updateMatter",
    )
    async def update_matter(
        site: SitePath, code: MatterCodePath, body: model.MatterUpdate, caller: Admin
    ) -> views.MatterOut:
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
    ) -> views.MatterOut:
        request = cat.ChangeMatterStatusRequest(code=code, site_code=site)
        publish = action == "publish"
        return views.matter_out(
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
    async def create_article(site: SitePath, body: model.ArticleIn, caller: Admin) -> views.ArticleOut:
        return views.article_out(
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
    ) -> views.ArticleOut:
        return views.article_out(
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
    async def get_article_admin(site: SitePath, article_id: ArticleIdPath, caller: Admin) -> views.ArticleOut:
        request = cat.GetArticleRequest(site_code=site, id=article_id, include_unpublished=True)
        return views.article_out(await up().catalogue.call(lambda s: s.GetArticle, request, caller))

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
    ) -> views.ArticleOut:
        request = cat.ChangeArticleStatusRequest(site_code=site, id=article_id)
        publish = action == "publish"
        return views.article_out(
            await up().catalogue.call(
                lambda s: s.PublishArticle if publish else s.WithdrawArticle, request, caller
            )
        )

    return router
