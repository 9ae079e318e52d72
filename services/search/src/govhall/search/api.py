"""The search gRPC servicer: check and clean requests, ask the back end, shape the answer."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from dataclasses import replace
from typing import Any

from govhall.contracts.labels import AUDIENCE_LABELS, SITE_LEVEL_LABELS
from govhall.contracts.labels import MATTER_TYPE_LABELS as TYPE_LABELS
from govhall.kit.caller import current_caller
from govhall.kit.db import Database
from govhall.kit.errors import DomainError, ErrorKind, forbidden, invalid, not_found
from govhall.kit.kv import StoreUnavailable
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.common.v1 import common_pb2
from govhall.protos.search.v1 import search_pb2 as pb
from govhall.protos.search.v1 import search_pb2_grpc
from govhall.search import correction, lexicon_admin, metrics, reindex, store
from govhall.search.ask import Asker, clean_question
from govhall.search.backend import SearchBackend
from govhall.search.hotwords import HotWords
from govhall.search.lexicon import Lexicon
from govhall.search.model import FACET_FIELDS, MATTER, MAX_PREFIX, Hit, Query, Result, clean_query
from govhall.search.notices import IndexNotices, Reason
from govhall.search.site_lexicons import SiteLexicons
from govhall.search.understanding import Understood, understand
from govhall.sitecopy import SiteCopy

log = logging.getLogger(__name__)

DEFAULT_PAGE_SIZE = 10
MAX_PAGE_SIZE = 50
MAX_PAGE = 100  # deep paging helps nobody and costs the index; ask a narrower question
DEFAULT_SUGGESTIONS = 8
MAX_SUGGESTIONS = 20
DEFAULT_HOT_WORDS = 10
MAX_HOT_WORDS = 50
MAX_DEPARTMENT_FILTERS = 50
MAX_TAG_LENGTH = 50

_KINDS = {pb.DOCUMENT_KIND_MATTER, pb.DOCUMENT_KIND_ANNOUNCEMENT, pb.DOCUMENT_KIND_FAQ}
_REINDEXERS = {common_pb2.CALLER_KIND_ADMIN, common_pb2.CALLER_KIND_SERVICE}


# A query this short without a space is a word, not a question: if no hit holds it (title or
# text), what was found came from its pieces (营业执找 finds 营业执照 through 营业), and a typo is
# likelier. A hit that holds it (a guide's own typo) is a good hit, and the query is left alone.
_WORD_QUERY_CHARS = 6


def _only_weak_hits(understood: Understood, result: Result) -> bool:
    """Whether a word-like query found only hits that lack it (none through the lexicon)."""
    text = understood.text
    if " " in text or len(text) > _WORD_QUERY_CHARS or understood.synonyms_used or understood.intents_used:
        return False
    return bool(result.hits) and not any(text in hit.doc.title or text in hit.doc.body for hit in result.hits)


def _enum_filter(values: Any, labels: dict[int, str], field_name: str, what_zh: str) -> tuple[int, ...]:
    chosen = tuple(sorted(set(values)))
    unknown = [v for v in chosen if v not in labels]
    if unknown:
        raise invalid(
            "FILTER_INVALID",
            f"{field_name} has unknown values {unknown}",
            f"{what_zh}筛选条件无效",
            field_name,
        )
    return chosen


def _tag(value: str, field_name: str, what_zh: str) -> str:
    value = value.strip()
    if len(value) > MAX_TAG_LENGTH:
        raise invalid(
            "FILTER_INVALID",
            f"{field_name} is longer than {MAX_TAG_LENGTH} characters",
            f"{what_zh}不能超过{MAX_TAG_LENGTH}个字",
            field_name,
        )
    return value


def _size(requested: int, default: int, maximum: int, field_name: str) -> int:
    if requested < 0:
        raise invalid("SIZE_INVALID", f"{field_name} must not be negative", "返回数量不能为负数", field_name)
    return min(requested or default, maximum)


def _facet_label(field_name: str, value: str, result: Result, hits: list[Hit]) -> str:
    if field_name == "department":
        if value in result.department_names:
            return result.department_names[value]
        return next((h.doc.department_name for h in hits if h.doc.department_code == value), value)
    labels = {"type": TYPE_LABELS, "audience": AUDIENCE_LABELS, "site_level": SITE_LEVEL_LABELS}[field_name]
    try:
        return labels.get(int(value), value)
    except ValueError:
        return value


def _hit_message(hit: Hit) -> pb.SearchHit:
    doc = hit.doc
    message = pb.SearchHit(
        kind=doc.kind,  # type: ignore[arg-type]
        id=doc.id,
        title=doc.title,
        title_highlighted=hit.title_highlighted,
        snippet=hit.snippet,
        site_code=doc.site_code,
        site_name=doc.site_name,
        site_level=doc.site_level,  # type: ignore[arg-type]
        department_code=doc.department_code,
        department_name=doc.department_name,
        type=doc.type,  # type: ignore[arg-type]
        audiences=list(doc.audiences),  # type: ignore[arg-type]
        online_application=doc.online_application,
        version=doc.version,
        matter_code=doc.matter_code,
        score=hit.score,
    )
    if doc.publish_at is not None:
        message.publish_at.FromDatetime(doc.publish_at)
    return message


class SearchService(search_pb2_grpc.SearchServiceServicer):
    def __init__(
        self,
        db: Database,
        backend: SearchBackend,
        hot_words: HotWords,
        catalogue: catalogue_pb2_grpc.CatalogueServiceStub,
        lexicons: SiteLexicons | None = None,
        notices: IndexNotices | None = None,
    ) -> None:
        self._db = db
        self._notices = notices
        self._lexicons = lexicons or SiteLexicons(db)
        self._backend = backend
        self._hot_words = hot_words
        self._catalogue = catalogue
        self._asker = Asker(backend, catalogue)
        self._corrections = correction.RecentCorrections()
        # One reindex at a time per replica (the back end refuses a second one across replicas).
        self._reindexing = asyncio.Lock()

    async def _site(self, code: str, what: str = "site", what_zh: str = "站点") -> SiteCopy:
        site = await store.sites.recent(self._db, code) if code else None
        if site is None:
            raise not_found(what, what_zh, code)
        return site

    async def Search(self, request: pb.SearchRequest, context: Any) -> pb.SearchResponse:
        text = clean_query(request.query)
        if request.page.page < 0 or request.page.page_size < 0 or request.page.page > MAX_PAGE:
            raise invalid(
                "PAGE_INVALID", f"page must be between 1 and {MAX_PAGE}", f"页码应在1至{MAX_PAGE}之间", "page"
            )
        page = max(request.page.page, 1)
        size = min(request.page.page_size or DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE)
        kind = request.kind or MATTER
        if kind not in _KINDS:
            raise invalid("KIND_INVALID", f"unknown document kind {kind}", "搜索类别无效", "kind")
        types = _enum_filter(request.types, TYPE_LABELS, "types", "事项类型")
        audiences = _enum_filter(request.audiences, AUDIENCE_LABELS, "audiences", "服务对象")
        site_levels = _enum_filter(request.site_levels, SITE_LEVEL_LABELS, "site_levels", "层级")
        departments = tuple(sorted({d.strip() for d in request.department_codes if d.strip()}))
        if len(departments) > MAX_DEPARTMENT_FILTERS:
            raise invalid(
                "FILTER_INVALID",
                f"at most {MAX_DEPARTMENT_FILTERS} departments",
                f"部门筛选条件不能超过{MAX_DEPARTMENT_FILTERS}个",
                "department_codes",
            )
        theme = _tag(request.theme, "theme", "主题")
        life_event = _tag(request.life_event, "life_event", "生命周期")
        site = await self._site(request.site_code)
        # A region replaces the site's own scope: any region may be searched (everything indexed
        # is public), the province's portal looking into one city being the usual case.
        region = await self._site(request.region_code, "region", "地区") if request.region_code else None
        words = await self._lexicon(site.code)
        understood = understand(text, words)
        if not understood.text:  # nothing but punctuation
            raise invalid("QUERY_EMPTY", "the search query has no words", "请输入搜索关键词", "q")
        query = Query(
            text=understood.text,
            variants=understood.variants,
            kind=kind,
            site_codes=() if region else tuple(site.path),
            region_code=region.code if region else "",
            types=types,
            audiences=audiences,
            department_codes=departments,
            site_levels=site_levels,
            theme=theme,
            life_event=life_event,
            online_only=request.online_only,
            offset=(page - 1) * size,
            size=size,
        )
        label = metrics.KIND_LABELS[kind]
        with metrics.timed(label):
            result = await self._backend.search(query)
        # 你是不是要找: only for a query that finds nothing or little; one that finds nothing is
        # answered with the correction's hits instead, if it finds any.
        did_you_mean, original = "", ""
        weak = _only_weak_hits(understood, result)
        if result.total < correction.LITTLE or weak:
            did_you_mean = await self._did_you_mean(site, text, words)
            if did_you_mean and (result.total == 0 or weak):
                retry = understand(did_you_mean, words)
                with metrics.timed(label):
                    retried = await self._backend.search(
                        replace(query, text=retry.text, variants=retry.variants)
                    )
                if retried.total > 0:
                    result, original, text, understood = retried, text, did_you_mean, retry
                else:
                    did_you_mean = ""  # a correction that finds nothing helps nobody
        metrics.answered(label, result.total)
        if result.total > 0:
            await self._record_hot_word(site.code, text, request.client_key)
        return pb.SearchResponse(
            hits=[_hit_message(h) for h in result.hits],
            page=common_pb2.PageInfo(page=page, page_size=size, total=result.total),
            facets=[
                pb.Facet(
                    field=name,
                    values=[
                        pb.FacetValue(
                            value=value, label=_facet_label(name, value, result, result.hits), count=count
                        )
                        for value, count in result.facets.get(name, [])
                    ],
                )
                for name in FACET_FIELDS
            ],
            synonyms_used=list(understood.synonyms_used),
            intents_used=list(understood.intents_used),
            did_you_mean=did_you_mean,
            corrected=bool(original),
            original_query=original,
        )

    async def _did_you_mean(self, site: SiteCopy, text: str, words: Lexicon) -> str:
        key = (tuple(site.path), text, words.version)
        kept = self._corrections.get(key)
        if kept is not None:
            return kept
        # A nicety like hot words: if it fails, the search answers without it.
        try:
            counts = await correction.search_counts(self._hot_words, site.code)
            found = await correction.Corrector(self._backend, tuple(site.path), words).did_you_mean(
                text, counts
            )
        except DomainError:
            log.warning("no correction for %r at %s", text, site.code, exc_info=True)
            return ""
        self._corrections.put(key, found)
        return found

    async def _lexicon(self, site_code: str) -> Lexicon:
        """The words the site's queries are understood with: the built-in ones with the site's own
        (its administrators' lexicon; not its ancestors'), as fresh as SiteLexicons keeps them."""
        return await self._lexicons.for_site(site_code)

    async def _record_hot_word(self, site_code: str, word: str, client_key: str) -> None:
        # Hot words are a nicety: whatever goes wrong with them, the search itself has succeeded.
        client = client_key or current_caller().subject or "anonymous"
        try:
            await self._hot_words.record(site_code, word, client)
        except Exception:
            log.warning("could not record the hot word %r for %s", word, site_code, exc_info=True)

    async def Suggest(self, request: pb.SuggestRequest, context: Any) -> pb.SuggestResponse:
        prefix = clean_query(request.prefix, "prefix", MAX_PREFIX)
        size = _size(request.size, DEFAULT_SUGGESTIONS, MAX_SUGGESTIONS, "size")
        site = await self._site(request.site_code)
        with metrics.timed(metrics.SUGGEST):
            # A pool of the shortest names, then the most searched of them first.
            found = await self._backend.suggest(tuple(site.path), prefix, max(size, correction.POOL))
            suggestions = correction.rank(
                found, await correction.search_counts(self._hot_words, site.code), size
            )
        metrics.answered(metrics.SUGGEST, len(suggestions))
        return pb.SuggestResponse(
            suggestions=[
                pb.Suggestion(text=s.text, matter_code=s.matter_code, site_code=s.site_code)
                for s in suggestions
            ]
        )

    async def HotWords(self, request: pb.HotWordsRequest, context: Any) -> pb.HotWordsResponse:
        size = _size(request.size, DEFAULT_HOT_WORDS, MAX_HOT_WORDS, "size")
        site = await self._site(request.site_code)
        try:
            words = await self._hot_words.top(site.code, size)
        except StoreUnavailable:
            # The portal's hot-word strip stays empty rather than breaking the page.
            log.warning("hot words of %s unavailable: the key-value store is down", site.code)
            words = []
        return pb.HotWordsResponse(words=[pb.HotWord(word=w, count=c) for w, c in words])

    async def Reindex(self, request: pb.ReindexRequest, context: Any) -> AsyncIterator[pb.ReindexProgress]:
        if current_caller().kind not in _REINDEXERS:
            raise forbidden(
                "only platform administrators and services may reindex", "仅平台管理员可以重建索引"
            )
        if request.batch_size < 0:
            raise invalid(
                "BATCH_SIZE_INVALID", "batch_size must not be negative", "批量大小不能为负数", "batch_size"
            )
        if self._reindexing.locked():
            raise DomainError(
                code="REINDEX_RUNNING",
                message="a reindex is already running",
                message_zh="已有重建索引任务在进行，请稍后再试",
                kind=ErrorKind.WRONG_STATE,
            )
        async with self._reindexing:
            async for progress in reindex.run(
                self._backend, self._db, self._catalogue, batch_size=request.batch_size
            ):
                yield progress
        self._changed(Reason.REASON_REINDEX)

    async def Ask(self, request: pb.AskRequest, context: Any) -> pb.AskResponse:
        # The question is checked before the site is looked up: a bad request is refused as such.
        text = clean_question(request.question)
        site = await self._site(request.site_code)
        return await self._asker.ask(site.code, tuple(site.path), text, await self._lexicon(site.code))

    async def ListLexicon(self, request: pb.LexiconListRequest, context: Any) -> pb.LexiconListResponse:
        return await lexicon_admin.list_entries(self._db, self._lexicons, request)

    async def PutLexiconEntry(self, request: pb.LexiconPutRequest, context: Any) -> pb.LexiconEntry:
        entry = await lexicon_admin.put_entry(self._db, self._lexicons, request)
        self._changed(Reason.REASON_LEXICON, request.site_code)
        return entry

    async def DeleteLexiconEntry(
        self, request: pb.LexiconDeleteRequest, context: Any
    ) -> pb.LexiconDeleteResponse:
        reply = await lexicon_admin.delete_entry(self._db, self._lexicons, request)
        self._changed(Reason.REASON_LEXICON, request.site_code)
        return reply

    def _changed(self, reason: int, site_code: str = "") -> None:
        """Tell the caches of search's answers (notices.py); a committed change only."""
        if self._notices is not None:
            self._notices.changed(reason, site_code)

    async def ListLexiconChanges(
        self, request: pb.LexiconChangesRequest, context: Any
    ) -> pb.LexiconChangesResponse:
        return await lexicon_admin.list_changes(self._db, request)
