"""The lexicon RPCs: a site's administrators maintain its synonyms and intent words on top of the
built-in list; every change is audited (who, when, before and after).

Authorisation is checked here on every call, whoever forwarded it: a staff member administering
the site (site_admin of it or of an ancestor, as the catalogue decides), a platform
administrator, or a service.
"""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa

from govhall.kit.caller import current_caller
from govhall.kit.db import Database, UnitOfWork
from govhall.kit.errors import DomainError, ErrorKind, forbidden, invalid, not_found
from govhall.protos.common.v1 import common_pb2
from govhall.protos.search.v1 import search_pb2 as pb
from govhall.search import store
from govhall.search.site_lexicons import SiteLexicons
from govhall.search.understanding import normalise
from govhall.sitecopy import SiteCopy

MAX_WORD = 20
MAX_TERM = 30
MAX_TERMS = 10
# A site's own entries: enough for any portal, and a bound on what each query's lexicon holds.
MAX_SITE_ENTRIES = 2000
DEFAULT_PAGE_SIZE = 20
MAX_PAGE_SIZE = 100

KIND_NAMES: dict[int, str] = {pb.LEXICON_KIND_SYNONYM: "synonym", pb.LEXICON_KIND_INTENT: "intent"}
_KIND_NUMBERS: dict[str, int] = {name: number for number, name in KIND_NAMES.items()}
_CHANGES = {
    "created": pb.LexiconChange.CHANGE_CREATED,
    "replaced": pb.LexiconChange.CHANGE_REPLACED,
    "deleted": pb.LexiconChange.CHANGE_DELETED,
    "hidden": pb.LexiconChange.CHANGE_HIDDEN,
}
_TRUSTED = {common_pb2.CALLER_KIND_ADMIN, common_pb2.CALLER_KIND_SERVICE}


# -- checks ------------------------------------------------------------------------------------


def _clean(text: str) -> str:
    """As queries are normalised before they are understood (traditional → simplified, width,
    case, punctuation), so a word typed 小孩上學 matches the query 小孩上学. The `+` of an intent
    phrase (开+店) is kept."""
    return "+".join(p for p in (normalise(part) for part in text.split("+")) if p)


def check_kind(kind: int) -> str:
    if kind not in KIND_NAMES:
        raise invalid(
            "LEXICON_KIND_INVALID", "kind must be synonym or intent", "词条类别应为同义词或意图词", "kind"
        )
    return KIND_NAMES[kind]


def check_word(word: str) -> str:
    word = _clean(word)
    if not 1 <= len(word) <= MAX_WORD:
        raise invalid(
            "LEXICON_WORD_INVALID",
            f"word must be 1-{MAX_WORD} characters",
            f"词语应为1至{MAX_WORD}个字",
            "word",
        )
    return word


def check_terms(terms: Any) -> tuple[str, ...]:
    cleaned = [_clean(t) for t in terms]
    problem: tuple[str, str] | None = None
    if not 1 <= len(cleaned) <= MAX_TERMS:
        problem = f"terms must be 1-{MAX_TERMS}", f"对应词应为1至{MAX_TERMS}个"
    elif any(not t for t in cleaned):
        problem = "terms must not be blank", "对应词不能为空"
    elif any(len(t) > MAX_TERM for t in cleaned):
        problem = f"each term must be at most {MAX_TERM} characters", f"每个对应词不能超过{MAX_TERM}个字"
    elif len(set(cleaned)) != len(cleaned):
        problem = "terms must not repeat", "对应词不能重复"
    if problem:
        raise invalid("LEXICON_TERMS_INVALID", problem[0], problem[1], "terms")
    return tuple(cleaned)


def require_admin(site: SiteCopy) -> None:
    caller = current_caller()
    if caller.kind in _TRUSTED:
        return
    if (
        caller.kind == common_pb2.CALLER_KIND_STAFF
        and "site_admin" in caller.roles
        and caller.site_code in site.path
    ):
        return
    raise forbidden(
        f"only an administrator of site {site.code} may maintain its search words",
        f"仅站点 {site.code} 的管理员可以维护其搜索词库",
    )


async def _admin_site(uow: UnitOfWork, code: str) -> SiteCopy:
    site = await store.sites.get(uow, code) if code else None
    if site is None:
        raise not_found("site", "站点", code)
    require_admin(site)
    return site


def _revision_changed(word: str) -> DomainError:
    return DomainError(
        code="LEXICON_REVISION_CHANGED",
        message=f"the entry {word} has changed since it was read; reload it and try again",
        message_zh=f"词条“{word}”已被他人修改，请刷新后重试",
        kind=ErrorKind.WRONG_STATE,
    )


# -- rows and messages ------------------------------------------------------------------------


def _utc(at: datetime) -> datetime:
    return at if at.tzinfo else at.replace(tzinfo=UTC)


def _entry(
    kind: str,
    word: str,
    terms: tuple[str, ...] | list[str],
    *,
    source: int,
    builtin: bool,
    removed: bool = False,
    revision: int = 0,
    updated_at: datetime | None = None,
    updated_by: str = "",
) -> pb.LexiconEntry:
    message = pb.LexiconEntry(
        kind=_KIND_NUMBERS[kind],  # type: ignore[arg-type]
        word=word,
        terms=list(terms),
        removed=removed,
        source=source,  # type: ignore[arg-type]
        builtin=builtin,
        revision=revision,
        updated_by=updated_by,
    )
    if updated_at is not None:
        message.updated_at.FromDatetime(_utc(updated_at))
    return message


def _row_entry(row: Any, builtin: bool) -> pb.LexiconEntry:
    return _entry(
        row.kind,
        row.word,
        json.loads(row.terms),
        source=pb.LEXICON_SOURCE_SITE,
        builtin=builtin,
        removed=bool(row.removed),
        revision=row.revision,
        updated_at=row.updated_at,
        updated_by=row.updated_by_name,
    )


def _snapshot(row: Any) -> str | None:
    if row is None:
        return None
    state = {"terms": json.loads(row.terms), "removed": bool(row.removed), "revision": row.revision}
    return json.dumps(state, ensure_ascii=False)


def _builtin_table(lexicons: SiteLexicons, kind: str) -> Any:
    base = lexicons.base()
    return base.synonyms if kind == "synonym" else base.intents


async def _own_row(uow: UnitOfWork, site: str, kind: str, word: str) -> Any:
    t = store.lexicon_entries
    query = sa.select(t).where(t.c.site_code == site, t.c.kind == kind, t.c.word == word)
    return (await uow.conn.execute(query)).first()


async def _write(
    uow: UnitOfWork, site: str, kind: str, word: str, before: Any, terms: tuple[str, ...], removed: bool
) -> Any:
    """Insert or update the site's row (update only if unchanged since read), audit it; the new row.

    Raises IntegrityError when a concurrent request inserted the same word first (the caller
    retries), and _Raced when one updated it first."""
    t = store.lexicon_entries
    caller = current_caller()
    now = datetime.now(UTC)
    values = {
        "terms": json.dumps(list(terms), ensure_ascii=False),
        "removed": removed,
        "revision": (before.revision if before is not None else 0) + 1,
        "updated_at": now,
        "updated_by": caller.subject,
        "updated_by_name": caller.name,
    }
    key = {"site_code": site, "kind": kind, "word": word}
    if before is None:
        await uow.conn.execute(sa.insert(t).values(**key, **values))
    else:
        updated = await uow.conn.execute(
            sa.update(t)
            .where(t.c.site_code == site, t.c.kind == kind, t.c.word == word, t.c.revision == before.revision)
            .values(**values)
        )
        if updated.rowcount != 1:
            raise _Raced
    change = "hidden" if removed else "created" if before is None else "replaced"
    after = await _own_row(uow, site, kind, word)
    await _audit(uow, key, change, before, after)
    return after


async def _audit(uow: UnitOfWork, key: dict[str, str], change: str, before: Any, after: Any) -> None:
    caller = current_caller()
    await uow.conn.execute(
        sa.insert(store.lexicon_changes).values(
            **key,
            change=change,
            before=_snapshot(before),
            after=_snapshot(after),
            changed_by=caller.subject,
            changed_by_name=caller.name,
            changed_at=datetime.now(UTC),
        )
    )


class _Raced(Exception):
    """Another request changed the row between our read and our write."""


# -- the RPCs ---------------------------------------------------------------------------------


async def list_entries(
    db: Database, lexicons: SiteLexicons, request: pb.LexiconListRequest
) -> pb.LexiconListResponse:
    kinds = [check_kind(request.kind)] if request.kind else list(KIND_NAMES.values())
    async with db.reader() as uow:
        site = await _admin_site(uow, request.site_code)
        t = store.lexicon_entries
        rows = (await uow.conn.execute(sa.select(t).where(t.c.site_code == site.code))).all()
    entries: dict[tuple[str, str], pb.LexiconEntry] = {}
    for kind in kinds:
        for word, terms in _builtin_table(lexicons, kind).items():
            entries[kind, word] = _entry(kind, word, terms, source=pb.LEXICON_SOURCE_BUILTIN, builtin=True)
    for row in rows:
        if row.kind in kinds:
            entries[row.kind, row.word] = _row_entry(row, (row.kind, row.word) in entries)
    lexicon = await lexicons.for_site(site.code)
    return pb.LexiconListResponse(entries=[entries[k] for k in sorted(entries)], version=lexicon.version)


async def put_entry(db: Database, lexicons: SiteLexicons, request: pb.LexiconPutRequest) -> pb.LexiconEntry:
    kind, word, terms = check_kind(request.kind), check_word(request.word), check_terms(request.terms)
    if request.expected_revision < 0:
        raise invalid(
            "REVISION_INVALID",
            "expected_revision must not be negative",
            "版本号不能为负数",
            "expected_revision",
        )
    builtin_terms = _builtin_table(lexicons, kind).get(word)
    # Two tries: a concurrent put of the same word loses the insert to the unique key, and then
    # sees the winner's row (replacing it, or finding it already says the same).
    for last in (False, True):
        try:
            async with db.uow() as uow:
                site = await _admin_site(uow, request.site_code)
                row = await _own_row(uow, site.code, kind, word)
                if request.expected_revision and request.expected_revision != (row.revision if row else 0):
                    raise _revision_changed(word)
                if row is not None and not row.removed and tuple(json.loads(row.terms)) == terms:
                    return _row_entry(row, builtin_terms is not None)  # already so: nothing to change
                if row is None and builtin_terms == terms:
                    return _entry(kind, word, terms, source=pb.LEXICON_SOURCE_BUILTIN, builtin=True)
                if row is None:
                    await _check_room(uow, site.code)
                after = await _write(uow, site.code, kind, word, row, terms, removed=False)
                await uow.commit()
            lexicons.invalidate(site.code)
            return _row_entry(after, builtin_terms is not None)
        except (sa.exc.IntegrityError, _Raced):
            if last or request.expected_revision:
                raise _revision_changed(word) from None
    raise AssertionError("unreachable")


async def _check_room(uow: UnitOfWork, site: str) -> None:
    t = store.lexicon_entries
    count = (await uow.conn.execute(sa.select(sa.func.count()).where(t.c.site_code == site))).scalar() or 0
    if count >= MAX_SITE_ENTRIES:
        raise DomainError(
            code="LEXICON_FULL",
            message=f"a site may have at most {MAX_SITE_ENTRIES} entries of its own",
            message_zh=f"每个站点最多维护{MAX_SITE_ENTRIES}个词条",
            kind=ErrorKind.WRONG_STATE,
        )


async def delete_entry(
    db: Database, lexicons: SiteLexicons, request: pb.LexiconDeleteRequest
) -> pb.LexiconDeleteResponse:
    kind, word = check_kind(request.kind), check_word(request.word)
    is_builtin = word in _builtin_table(lexicons, kind)
    for last in (False, True):
        try:
            async with db.uow() as uow:
                site = await _admin_site(uow, request.site_code)
                row = await _own_row(uow, site.code, kind, word)
                if request.expected_revision and request.expected_revision != (row.revision if row else 0):
                    raise _revision_changed(word)
                if is_builtin:
                    if row is not None and row.removed:
                        return pb.LexiconDeleteResponse(entry=_row_entry(row, True))  # hidden already
                    after = await _write(uow, site.code, kind, word, row, (), removed=True)
                    response = pb.LexiconDeleteResponse(entry=_row_entry(after, True))
                else:
                    if row is None:
                        raise not_found("lexicon word", "词条", word)
                    t = store.lexicon_entries
                    await uow.conn.execute(
                        sa.delete(t).where(t.c.site_code == site.code, t.c.kind == kind, t.c.word == word)
                    )
                    await _audit(
                        uow, {"site_code": site.code, "kind": kind, "word": word}, "deleted", row, None
                    )
                    response = pb.LexiconDeleteResponse()
                await uow.commit()
            lexicons.invalidate(site.code)
            return response
        except (sa.exc.IntegrityError, _Raced):
            if last or request.expected_revision:
                raise _revision_changed(word) from None
    raise AssertionError("unreachable")


def _snapshot_entry(kind: str, word: str, snapshot: str | None) -> pb.LexiconEntry | None:
    if snapshot is None:
        return None
    state = json.loads(snapshot)
    return _entry(
        kind,
        word,
        state["terms"],
        source=pb.LEXICON_SOURCE_SITE,
        builtin=False,
        removed=state["removed"],
        revision=state["revision"],
    )


async def list_changes(db: Database, request: pb.LexiconChangesRequest) -> pb.LexiconChangesResponse:
    if request.page.page < 0 or request.page.page_size < 0:
        raise invalid(
            "PAGE_INVALID", "page and page_size must not be negative", "页码和每页条数不能为负数", "page"
        )
    page = max(request.page.page, 1)
    size = min(request.page.page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
    t = store.lexicon_changes
    async with db.reader() as uow:
        site = await _admin_site(uow, request.site_code)
        mine = t.c.site_code == site.code
        total = (await uow.conn.execute(sa.select(sa.func.count()).where(mine))).scalar() or 0
        rows = await uow.conn.execute(
            sa.select(t).where(mine).order_by(t.c.id.desc()).offset((page - 1) * size).limit(size)
        )
        changes = []
        for row in rows:
            change = pb.LexiconChange(
                id=row.id,
                change=_CHANGES[row.change],
                kind=_KIND_NUMBERS[row.kind],  # type: ignore[arg-type]
                word=row.word,
                before=_snapshot_entry(row.kind, row.word, row.before),
                after=_snapshot_entry(row.kind, row.word, row.after),
                changed_by=row.changed_by,
                changed_by_name=row.changed_by_name,
            )
            change.changed_at.FromDatetime(_utc(row.changed_at))
            changes.append(change)
    return pb.LexiconChangesResponse(
        changes=changes, page=common_pb2.PageInfo(page=page, page_size=size, total=total)
    )
