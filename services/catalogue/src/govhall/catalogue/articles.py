"""The article RPCs: announcements (政策公告) and FAQs (常见问题), written by site administrators.

An article is a draft until published; the public sees a published article from its publish
date on (a future date schedules it). Editing a published article keeps it published and
publishes the new text (catalogue.article.published again, with a higher revision). Ids are
chosen by the server, or by the caller when it wants saving to be repeatable (the demo loader).
"""

from __future__ import annotations

from datetime import UTC

import sqlalchemy as sa

from govhall.catalogue import access, events, model, store
from govhall.catalogue.model import SiteRecord
from govhall.catalogue.store import ArticleRow
from govhall.kit.db import Database, UnitOfWork
from govhall.kit.errors import DomainError, ErrorKind, FieldError, forbidden, invalid, not_found
from govhall.kit.ids import new_id
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb

LISTABLE = (pb.ARTICLE_STATUS_DRAFT, pb.ARTICLE_STATUS_PUBLISHED, pb.ARTICLE_STATUS_WITHDRAWN)


def _revision_conflict(article_id: str, revision: int) -> DomainError:
    return DomainError(
        "ARTICLE_REVISION_CONFLICT",
        f"article {article_id} is at revision {revision}; reload and retry",
        "文章已被他人修改，请刷新后重试",
        ErrorKind.CONFLICT,
    )


def _id_taken(article_id: str) -> DomainError:
    return DomainError(
        "ARTICLE_ID_TAKEN",
        f"article {article_id} belongs to another site",
        f"文章编号“{article_id}”已被其他站点使用",
        ErrorKind.CONFLICT,
    )


async def _check_references(uow: UnitOfWork, site: SiteRecord, request: pb.SaveArticleRequest) -> None:
    if request.department_code:
        dept = await store.get_department(uow, request.department_code)
        if dept is None or dept.site_code != site.code:
            raise DomainError(
                "DEPARTMENT_NOT_FOUND",
                f"department {request.department_code} is not a department of site {site.code}",
                f"部门“{request.department_code}”不是{site.name}的部门",
                ErrorKind.INVALID,
                [FieldError("department_code", "not a department of the site", "不是本站点的部门")],
            )
    if request.matter_code:
        model.check_matter_code(request.matter_code)
        head = await store.get_head(uow, request.matter_code)
        if head is None or head.site_code not in site.path:
            raise DomainError(
                "MATTER_NOT_FOUND",
                f"matter {request.matter_code} is not visible from site {site.code}",
                f"事项“{request.matter_code}”不存在",
                ErrorKind.INVALID,
                [FieldError("matter_code", "no such matter at the site", "事项不存在")],
            )


async def _view(uow: UnitOfWork, article_id: str) -> pb.Article:
    row = await store.get_article(uow, article_id)
    assert row is not None  # written in this same transaction
    return row.article


async def save(db: Database, request: pb.SaveArticleRequest) -> pb.Article:
    title, body = model.check_article(request)
    publish_at = request.publish_at.ToDatetime(UTC) if request.HasField("publish_at") else None
    now = store.now()
    async with db.uow() as uow:
        site = await access.site_or_404(uow, request.site_code)
        access.require_admin(site)
        await _check_references(uow, site, request)
        existing = await store.get_article(uow, request.id, for_update=True) if request.id else None
        if existing is None:
            if request.expected_revision:
                raise _revision_conflict(request.id, 0)
            row = ArticleRow(
                pb.Article(id=request.id or new_id(), site_code=site.code, revision=1), None, publish_at
            )
            row.article.status = pb.ARTICLE_STATUS_DRAFT
            row.article.created_at.FromDatetime(now)
        else:
            if existing.article.site_code != site.code:
                raise _id_taken(request.id)
            if request.expected_revision and request.expected_revision != existing.article.revision:
                raise _revision_conflict(request.id, existing.article.revision)
            row = existing
            row.article.revision += 1
            # A published article keeps its date unless a new one is given; a draft takes the
            # moment it is published unless one is given.
            if publish_at is not None or row.article.status != pb.ARTICLE_STATUS_PUBLISHED:
                row.publish_at = publish_at
        a = row.article
        a.kind = request.kind
        a.department_code = request.department_code
        a.matter_code = request.matter_code
        a.title = title
        a.body = body
        a.updated_at.FromDatetime(now)
        if existing is None:
            try:
                await store.insert_article(uow, row)
            except sa.exc.IntegrityError as exc:  # the same id saved concurrently
                raise _id_taken(a.id) from exc
        elif not await store.update_article(uow, row, a.revision - 1):
            raise _revision_conflict(a.id, a.revision)
        view = await _view(uow, a.id)
        if view.status == pb.ARTICLE_STATUS_PUBLISHED:
            uow.emit(events.article_changed(view))
        await uow.commit()
    return view


async def change_status(db: Database, request: pb.ChangeArticleStatusRequest, action: str) -> pb.Article:
    model.check_article_id(request.id)
    now = store.now()
    async with db.uow() as uow:
        site = await access.site_or_404(uow, request.site_code)
        access.require_admin(site)
        row = await store.get_article(uow, request.id, for_update=True)
        if row is None or row.article.site_code not in site.path:
            raise not_found("article", "文章", request.id)
        if row.article.site_code != site.code:
            raise forbidden(
                f"article {request.id} belongs to site {row.article.site_code}; change it there",
                f"文章“{request.id}”属于上级站点，请在所属站点维护",
            )
        a = row.article
        a.status = model.next_article_status(action, a.status)  # type: ignore[assignment]
        a.revision += 1
        a.updated_at.FromDatetime(now)
        if action == "publish":
            row.publish_at = row.publish_at or now
            row.first_published_at = row.first_published_at or now
        if not await store.update_article(uow, row, a.revision - 1):
            raise _revision_conflict(a.id, a.revision)
        view = await _view(uow, a.id)
        uow.emit(events.article_changed(view))
        await uow.commit()
    return view


async def get(db: Database, request: pb.GetArticleRequest) -> pb.Article:
    model.check_article_id(request.id)
    async with db.reader() as uow:
        site = await access.site_or_404(uow, request.site_code)
        row = await store.get_article(uow, request.id)
    if row is None or row.article.site_code not in site.path:
        raise not_found("article", "文章", request.id)
    if model.article_is_public(row.article.status, row.publish_at, store.now()):
        return row.article
    if request.include_unpublished and access.administers_site_of(site, row.article.site_code):
        return row.article
    raise not_found("article", "文章", request.id)


async def browse(db: Database, request: pb.ListArticlesRequest) -> pb.ListArticlesResponse:
    page, size = access.paging(request.page)
    if request.kind and request.kind not in model.ARTICLE_KINDS:
        raise invalid("ARTICLE_KIND_INVALID", "kind must be announcement or FAQ", "文章类型无效", "kind")
    if request.status and request.status not in LISTABLE:
        raise invalid("ARTICLE_STATUS_INVALID", "unknown article status", "文章状态无效", "status")
    if request.matter_code:
        model.check_matter_code(request.matter_code)
    async with db.reader() as uow:
        site = await access.site_or_404(uow, request.site_code)
        codes = [site.code] if request.own_site_only else list(site.path)
        status, due_by = pb.ARTICLE_STATUS_PUBLISHED, store.now()
        if request.status:
            # Asking for a status shows every article in it, scheduled ones included: administrators only.
            codes = access.administered_codes(site, codes)
            if not codes:
                raise forbidden("only administrators may list articles by status", "仅管理员可按状态查看文章")
            status, due_by = request.status, None
        found, total = await store.list_articles(uow, request, codes, status, due_by, page, size)
    return pb.ListArticlesResponse(articles=found, page=access.page_info(page, size, total))
