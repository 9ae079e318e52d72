"""The Elasticsearch back end (server 8.x, client 8.x: their majors must match).

Every kind of document lives in one index behind an alias, so one alias swap rebuilds
everything. Concrete indices are generations named `<alias>-000001`, `<alias>-000002`, …;
while a rebuild fills the next generation, the alias `<alias>-next` points at it and every
replica's `put` writes there too (see `ElasticsearchRebuild`).

Our distribution has no analysis-common module (no ngram or synonym filters) and no painless:
Chinese text is analysed with the `cjk` analyzer (overlapping bigrams, from the shim plugin),
synonyms are expanded in the query by the service, and suggestions look up keys computed in
Python (characters, pinyin and initials of names: see es_suggest).
"""

from __future__ import annotations

import asyncio
import logging
import re
import time
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from elasticsearch import (
    AsyncElasticsearch,
    BadRequestError,
    ConflictError,
    NotFoundError,
    TransportError,
)
from elasticsearch.helpers import async_bulk

from govhall.kit.errors import DomainError, ErrorKind
from govhall.search import es_suggest, understanding
from govhall.search.model import (
    FACET_FIELDS,
    MATTER,
    Hit,
    Query,
    Result,
    SearchDoc,
    Suggestion,
)

log = logging.getLogger(__name__)
# elastic_transport logs every request it sends at INFO (method, URL, status, duration): a line per
# search says nothing the service's metrics do not, and cost 3 % of search's CPU under load. Its
# warnings (a node down, a retry) still reach the log.
logging.getLogger("elastic_transport.transport").setLevel(logging.WARNING)

REFRESH_INTERVAL = "1s"
# How long a replica trusts its answer to "is a rebuild running?". begin_rebuild waits this long
# before the export starts, so by then every replica writes live changes to the new generation.
NEXT_LOOKUP_SECONDS = 1.0
# A `-next` generation older than this belongs to a rebuild that died without cleaning up (the
# export stream's own deadline is an hour); a new rebuild may drop it.
ABANDONED_REBUILD_SECONDS = 3 * 3600
# Each variant of a synonym-widened query scores this much of the original text.
SYNONYM_BOOST = 0.7
TITLE_PHRASE_BOOST = 6.0
FACET_SIZE = 100

# Facet name -> the document field it counts.
_FACET_SOURCE = {
    "type": "type",
    "audience": "audiences",
    "department": "department_code",
    "site_level": "site_level",
}

_TEXT_CJK = {"type": "text", "analyzer": "cjk"}
# The normalised words of title and body (understanding.index_tokens), space-separated.
_WORDS = {"type": "text", "analyzer": "whitespace"}
WORD_FIELDS: dict[str, Any] = {"title_tokens": _WORDS, "body_tokens": _WORDS}

MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "kind": {"type": "integer"},
        "id": {"type": "keyword"},
        "revision": {"type": "long"},
        "published": {"type": "boolean"},
        "site_code": {"type": "keyword"},
        "site_name": {"type": "keyword"},
        "site_level": {"type": "integer"},
        "site_path": {"type": "keyword"},
        "title": {**_TEXT_CJK, "fields": {"raw": {"type": "keyword"}}},
        "body": _TEXT_CJK,
        "department_code": {"type": "keyword"},
        "department_name": {**_TEXT_CJK, "fields": {"raw": {"type": "keyword"}}},
        "type": {"type": "integer"},
        "audiences": {"type": "integer"},
        "themes": {"type": "keyword"},
        "life_events": {"type": "keyword"},
        "online_application": {"type": "boolean"},
        "version": {"type": "integer"},
        "publish_at": {"type": "date"},
        "matter_code": {"type": "keyword"},
        **WORD_FIELDS,
        # The completion suggester's field of earlier releases (prefixes only): no longer written.
        "suggest": {
            "type": "completion",
            "analyzer": "standard",
            "contexts": [{"name": "site", "type": "category"}],
        },
        # Names of published matters by characters, pinyin and initials (see es_suggest).
        **es_suggest.PROPERTIES,
    },
}

# The words score below the text they come from: what the text matches ranks as before, and what
# only the words match (traditional characters, segmented variants) follows.
_SEARCH_FIELDS = ["title^4", "department_name^1.5", "body", "title_tokens^2", "body_tokens^0.5"]


def _rebuild_running(detail: str) -> DomainError:
    return DomainError(
        code="REINDEX_RUNNING",
        message=f"a reindex is already running ({detail})",
        message_zh="已有重建索引任务在进行，请稍后再试",
        kind=ErrorKind.WRONG_STATE,
    )


def _unavailable(exc: Exception) -> DomainError:
    log.warning("elasticsearch did not answer: %s", exc)
    return DomainError(
        code="SEARCH_UNAVAILABLE",
        message="the search index is unavailable",
        message_zh="搜索服务暂时不可用，请稍后再试",
        kind=ErrorKind.UNAVAILABLE,
    )


def to_source(doc: SearchDoc) -> dict[str, Any]:
    source: dict[str, Any] = {
        "kind": doc.kind,
        "id": doc.id,
        "revision": doc.revision,
        "published": doc.published,
        "site_code": doc.site_code,
        "site_name": doc.site_name,
        "site_level": doc.site_level,
        "site_path": list(doc.site_path),
        "title": doc.title,
        "body": doc.body,
        "department_code": doc.department_code,
        "department_name": doc.department_name,
        "type": doc.type,
        "audiences": list(doc.audiences),
        "themes": list(doc.themes),
        "life_events": list(doc.life_events),
        "online_application": doc.online_application,
        "version": doc.version,
        "publish_at": doc.publish_at.isoformat() if doc.publish_at else None,
        "matter_code": doc.matter_code,
    }
    if doc.kind == MATTER and doc.title:
        understanding.learn([doc.title])  # names are cut whole, and the words inside them too
    source["title_tokens"] = understanding.index_tokens(doc.title)
    source["body_tokens"] = understanding.index_tokens(doc.body)
    source.update(es_suggest.source_fields(doc))
    return source


def from_source(source: dict[str, Any]) -> SearchDoc:
    publish_at = source.get("publish_at")
    return SearchDoc(
        kind=int(source["kind"]),
        id=source["id"],
        revision=int(source["revision"]),
        published=bool(source["published"]),
        site_code=source["site_code"],
        site_name=source.get("site_name") or "",
        site_level=int(source.get("site_level") or 0),
        site_path=tuple(source.get("site_path") or ()),
        title=source.get("title") or "",
        body=source.get("body") or "",
        department_code=source.get("department_code") or "",
        department_name=source.get("department_name") or "",
        type=int(source.get("type") or 0),
        audiences=tuple(source.get("audiences") or ()),
        themes=tuple(source.get("themes") or ()),
        life_events=tuple(source.get("life_events") or ()),
        online_application=bool(source.get("online_application")),
        version=int(source.get("version") or 0),
        publish_at=datetime.fromisoformat(publish_at) if publish_at else None,
        matter_code=source.get("matter_code") or "",
    )


def _facet_filters(q: Query) -> dict[str, dict[str, Any]]:
    """The facet filters of the query, by facet name (only those the query sets)."""
    values: dict[str, tuple[Any, ...]] = {
        "type": q.types,
        "audience": q.audiences,
        "department": q.department_codes,
        "site_level": q.site_levels,
    }
    return {name: {"terms": {_FACET_SOURCE[name]: list(v)}} for name, v in values.items() if v}


def _base_filters(q: Query) -> list[dict[str, Any]]:
    """Scope, kind, visibility and the plain filters: what every count shares."""
    filters: list[dict[str, Any]] = [
        {"term": {"kind": q.kind}},
        {"term": {"published": True}},
        {
            "bool": {
                "should": [
                    {"bool": {"must_not": {"exists": {"field": "publish_at"}}}},
                    {"range": {"publish_at": {"lte": q.now.isoformat()}}},
                ],
                "minimum_should_match": 1,
            }
        },
    ]
    if q.region_code:
        filters.append({"term": {"site_path": q.region_code}})
    else:
        filters.append({"terms": {"site_code": list(q.site_codes)}})
    if q.theme:
        filters.append({"term": {"themes": q.theme}})
    if q.life_event:
        filters.append({"term": {"life_events": q.life_event}})
    if q.online_only:
        filters.append({"term": {"online_application": True}})
    return filters


def _text_query(q: Query) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """What must match (any variant of the text) and the phrase boosts that rank names first."""
    variants = q.variants or (q.text,)
    matches = []
    phrases = []
    for i, variant in enumerate(variants):
        boost = 1.0 if i == 0 else SYNONYM_BOOST
        matches.append(
            {
                "multi_match": {
                    "query": variant,
                    "fields": _SEARCH_FIELDS,
                    "type": "best_fields",
                    # Up to four bigrams all must match, up to eight all but one, longer queries
                    # may miss one in five. (With 80% from five bigrams on, 居民身份证换领 matched
                    # every guide whose materials list 居民身份证: 4 of its 6 bigrams.)
                    "minimum_should_match": "4<-1 8<80%",
                    "boost": boost,
                }
            }
        )
        phrases.append({"match_phrase": {"title": {"query": variant, "boost": TITLE_PHRASE_BOOST * boost}}})
    return {"bool": {"should": matches, "minimum_should_match": 1}}, phrases


def _aggregations(facet_filters: dict[str, dict[str, Any]]) -> dict[str, Any]:
    """One filter aggregation per facet: every facet filter except the facet's own (disjunctive)."""
    aggs: dict[str, Any] = {}
    for name in FACET_FIELDS:
        others = [f for other, f in facet_filters.items() if other != name]
        terms: dict[str, Any] = {"terms": {"field": _FACET_SOURCE[name], "size": FACET_SIZE}}
        if name == "department":
            terms["aggs"] = {"name": {"terms": {"field": "department_name.raw", "size": 1}}}
        aggs[name] = {
            "filter": {"bool": {"filter": others}} if others else {"match_all": {}},
            "aggs": {"values": terms},
        }
    return aggs


def _terms(q: Query) -> list[str]:
    """Words to mark in titles and snippets (the variants and their words)."""
    out: list[str] = []
    for variant in q.variants or (q.text,):
        out.append(variant)
        out.extend(variant.split())
    return out


class ElasticsearchRebuild:
    """A new generation being filled; live puts reach it through the `-next` alias."""

    # While Elasticsearch indexes one bulk request, the reindex reads the export and builds the
    # next batch's documents (CPU in this process); one at a time, each side waited for the
    # other (a reindex took 1.8 times as long as bulk-loading the same documents). More than two
    # only queue in Elasticsearch's write pool on a small node.
    writes_in_flight = 2

    def __init__(self, backend: ElasticsearchBackend, name: str) -> None:
        self._backend = backend
        self._es = backend.client
        self.name = name

    async def put_many(self, docs: Iterable[SearchDoc]) -> int:
        actions = (
            {
                "_op_type": "index",
                "_index": self._backend.next_alias,
                "_id": doc.key,
                "version": doc.revision,
                "version_type": "external",
                "_source": to_source(doc),
            }
            for doc in docs
        )
        # require_alias: if the generation is gone (aborted), fail instead of auto-creating an
        # index under the alias's name.
        stored, errors = await async_bulk(self._es, actions, raise_on_error=False, require_alias=True)
        failed = [e for e in (errors if isinstance(errors, list) else []) if _bulk_status(e) != 409]
        if failed:
            raise RuntimeError(
                f"bulk write into {self.name} failed for {len(failed)} documents: {failed[:3]}"
            )
        # Version conflicts: a live event already wrote the same or a newer revision.
        return stored

    async def commit(self) -> str:
        es, alias = self._es, self._backend.alias
        await es.indices.put_settings(
            index=self.name,
            settings={
                "index": {"refresh_interval": REFRESH_INTERVAL, "number_of_replicas": self._backend.replicas}
            },
        )
        await es.indices.refresh(index=self.name)
        old = [name for name in await self._backend.generations_behind_alias() if name != self.name]
        actions: list[dict[str, Any]] = [{"remove": {"index": name, "alias": alias}} for name in old]
        actions.append({"add": {"index": self.name, "alias": alias, "is_write_index": True}})
        actions.append({"remove": {"index": self.name, "alias": self._backend.next_alias}})
        await es.indices.update_aliases(actions=actions)
        self._backend.forget_rebuild()
        for name in old:
            await es.options(ignore_status=404).indices.delete(index=name)
        log.info("alias %s now points at %s; dropped %s", alias, self.name, ", ".join(old) or "nothing")
        return self.name

    async def abort(self) -> None:
        await self._es.options(ignore_status=404).indices.delete(index=self.name)
        self._backend.forget_rebuild()
        log.info("dropped the unfinished generation %s", self.name)


def _bulk_status(error: dict[str, Any]) -> int:
    for item in error.values():
        if isinstance(item, dict):
            return int(item.get("status", 0))
    return 0


class ElasticsearchBackend:
    def __init__(
        self,
        url: str,
        alias: str,
        *,
        replicas: int = 0,
        username: str | None = None,
        password: str | None = None,
    ) -> None:
        # Basic auth as the search service's own user, whose role reaches only its indices.
        self._es = AsyncElasticsearch(
            url,
            request_timeout=10,
            retry_on_timeout=True,
            max_retries=2,
            basic_auth=(username or "", password) if password is not None else None,
        )
        self.alias = alias
        self.next_alias = f"{alias}-next"
        self.replicas = replicas
        self._generation_name = re.compile(rf"^{re.escape(alias)}-(\d+)$")
        # (monotonic time of the lookup, whether a rebuild's `-next` alias exists)
        self._next_seen: tuple[float, bool] = (-NEXT_LOOKUP_SECONDS, False)

    @property
    def client(self) -> AsyncElasticsearch:
        return self._es

    # -- generations -------------------------------------------------------------------------

    def _index_settings(self, *, building: bool) -> dict[str, Any]:
        return {
            "number_of_shards": 1,
            # A generation being built needs neither replicas nor refreshes until it is swapped in.
            "number_of_replicas": 0 if building else self.replicas,
            "refresh_interval": "-1" if building else REFRESH_INTERVAL,
        }

    async def _generation_numbers(self) -> list[int]:
        resolved = await self._es.indices.resolve_index(name=f"{self.alias}-*", expand_wildcards="all")
        numbers = []
        for index in resolved.get("indices", []):
            match = self._generation_name.match(index["name"])
            if match:
                numbers.append(int(match.group(1)))
        return numbers

    async def _new_generation_name(self) -> str:
        return f"{self.alias}-{max(await self._generation_numbers(), default=0) + 1:06d}"

    async def generations_behind_alias(self) -> list[str]:
        try:
            found = await self._es.indices.get_alias(name=self.alias)
        except NotFoundError:
            return []
        return sorted(found.body)

    async def ensure(self) -> None:
        if await self._es.indices.exists_alias(name=self.alias):
            # Generations of earlier releases lack the word and suggestion fields: adding fields
            # is allowed, and their documents get them when next written (or by a reindex).
            await self._es.indices.put_mapping(
                index=self.alias, properties={**WORD_FIELDS, **es_suggest.PROPERTIES}
            )
            return
        index = await self._new_generation_name()
        try:
            await self._es.indices.create(
                index=index,
                settings=self._index_settings(building=False),
                mappings=MAPPINGS,
                aliases={self.alias: {"is_write_index": True}},
            )
        except BadRequestError as exc:
            # Another replica created it first; fine as long as the alias is there now.
            if exc.error != "resource_already_exists_exception" or not await self._es.indices.exists_alias(
                name=self.alias
            ):
                raise
            return
        log.info("created index %s behind alias %s", index, self.alias)

    async def current_generation(self) -> str:
        names = await self.generations_behind_alias()
        return names[-1] if names else ""

    async def begin_rebuild(self) -> ElasticsearchRebuild:
        await self._drop_abandoned_rebuild()
        name = await self._new_generation_name()
        try:
            await self._es.indices.create(
                index=name,
                settings=self._index_settings(building=True),
                mappings=MAPPINGS,
                aliases={self.next_alias: {}},
            )
        except BadRequestError as exc:
            if exc.error == "resource_already_exists_exception":
                raise _rebuild_running(f"{name} exists") from None
            raise
        self._next_seen = (time.monotonic(), True)
        # Other replicas may have looked up `-next` just before it existed; once their answer
        # expires they write live changes to the new generation too. Only then may the export
        # start, or a change committed meanwhile could reach the old generation alone.
        await asyncio.sleep(NEXT_LOOKUP_SECONDS)
        log.info("building generation %s of %s", name, self.alias)
        return ElasticsearchRebuild(self, name)

    async def _drop_abandoned_rebuild(self) -> None:
        try:
            found = await self._es.indices.get_alias(name=self.next_alias)
        except NotFoundError:
            return
        for name in found.body:
            settings = await self._es.indices.get_settings(index=name, name="index.creation_date")
            created_ms = int(settings[name]["settings"]["index"]["creation_date"])
            age = time.time() - created_ms / 1000
            if age < ABANDONED_REBUILD_SECONDS:
                raise _rebuild_running(f"{name} is being built")
            log.warning("dropping %s, left behind by a rebuild %.0f s ago", name, age)
            await self._es.options(ignore_status=404).indices.delete(index=name)

    def forget_rebuild(self) -> None:
        self._next_seen = (time.monotonic(), False)

    async def _rebuilding(self) -> bool:
        seen_at, exists = self._next_seen
        if time.monotonic() - seen_at < NEXT_LOOKUP_SECONDS:
            return exists
        exists = bool(await self._es.indices.exists_alias(name=self.next_alias))
        self._next_seen = (time.monotonic(), exists)
        return exists

    # -- documents ---------------------------------------------------------------------------

    async def _write(self, target: str, doc: SearchDoc, source: dict[str, Any]) -> bool:
        try:
            await self._es.index(
                index=target,
                id=doc.key,
                document=source,
                version=doc.revision,
                version_type="external",
                # Never auto-create an index named like the alias if the alias is gone.
                require_alias=True,
            )
        except ConflictError:
            return False  # the index already holds this revision or a newer one
        return True

    async def put(self, doc: SearchDoc) -> bool:
        source = to_source(doc)
        stored = False
        if await self._rebuilding():
            # The new generation first: if the alias swap happens between the two writes, the
            # second one lands in the new generation anyway (and at worst conflicts with itself).
            try:
                stored = await self._write(self.next_alias, doc, source)
            except NotFoundError:
                self.forget_rebuild()  # the rebuild ended meanwhile
        return await self._write(self.alias, doc, source) or stored

    async def refresh(self) -> None:
        await self._es.indices.refresh(index=f"{self.alias},{self.next_alias}", ignore_unavailable=True)

    # -- queries -----------------------------------------------------------------------------

    async def matter_names(self) -> list[str]:
        names: list[str] = []
        after: dict[str, Any] | None = None
        while True:
            composite: dict[str, Any] = {
                "size": 5000,
                "sources": [{"name": {"terms": {"field": "title.raw"}}}],
            }
            if after:
                composite["after"] = after
            try:
                reply = await self._es.search(
                    index=self.alias,
                    size=0,
                    query={"bool": {"filter": [{"term": {"kind": MATTER}}, {"term": {"published": True}}]}},
                    aggs={"names": {"composite": composite}},
                )
            except TransportError as exc:
                raise _unavailable(exc) from exc
            agg = reply["aggregations"]["names"]
            names.extend(bucket["key"]["name"] for bucket in agg["buckets"])
            after = agg.get("after_key")
            if not agg["buckets"] or not after:
                return names

    async def search(self, query: Query) -> Result:
        must, phrases = _text_query(query)
        facet_filters = _facet_filters(query)
        try:
            response = await self._es.search(
                index=self.alias,
                query={"bool": {"must": [must], "should": phrases, "filter": _base_filters(query)}},
                post_filter={"bool": {"filter": list(facet_filters.values())}} if facet_filters else None,
                aggs=_aggregations(facet_filters) if query.facets else None,
                # Equal scores: the nearer site's document first, then a stable order for paging.
                sort=["_score", {"site_level": "desc"}, {"id": "asc"}],
                track_total_hits=True,
                from_=query.offset,
                size=query.size,
                # Elasticsearch's shard request cache keeps only size=0 searches unless asked: the
                # same query (a hot word, a facet count) between two refreshes is then answered
                # from it; a refresh (a change indexed) drops it, so it is never stale.
                request_cache=True,
                # Only what from_source reads: the suggestion keys of a name are many.
                source_excludes=["suggest", *WORD_FIELDS, *es_suggest.PROPERTIES],
            )
        except NotFoundError:
            return Result(hits=[], total=0, facets={name: [] for name in FACET_FIELDS})
        except TransportError as exc:  # no connection, or a timeout: the user may try again
            raise _unavailable(exc) from None
        # Highlighting is done here, as the embedded back end does it (model.highlight: the query's
        # variants and their words, whole): Elasticsearch's highlighter re-analysed the body of
        # every hit and was half of its CPU per search (bench/README.md, search_vs_bare).
        terms = _terms(query)
        hits = []
        for h in response["hits"]["hits"]:
            doc = from_source(h["_source"])
            hits.append(Hit.marked(doc, float(h.get("_score") or 0.0), terms))
        facets: dict[str, list[tuple[str, int]]] = {}
        department_names: dict[str, str] = {}
        for name in FACET_FIELDS if query.facets else ():
            buckets = response["aggregations"][name]["values"]["buckets"]
            facets[name] = [(str(b["key"]), int(b["doc_count"])) for b in buckets]
            if name == "department":
                for b in buckets:
                    names = b["name"]["buckets"]
                    if names:
                        department_names[str(b["key"])] = names[0]["key"]
        return Result(
            hits=hits,
            total=int(response["hits"]["total"]["value"]),
            facets=facets,
            department_names=department_names,
        )

    async def suggest(self, site_codes: tuple[str, ...], prefix: str, size: int) -> list[Suggestion]:
        body = es_suggest.request(site_codes, prefix, size)
        if body is None:
            return []
        try:
            response = await self._es.search(index=self.alias, **body)
        except NotFoundError:
            return []
        except TransportError as exc:
            raise _unavailable(exc) from None
        return es_suggest.suggestions(response)

    async def ready(self) -> bool:
        try:
            health = await self._es.cluster.health(timeout="1s")
            return health["status"] in ("green", "yellow")
        except Exception:
            log.warning("elasticsearch not ready", exc_info=True)
            return False

    async def close(self) -> None:
        await self._es.close()
