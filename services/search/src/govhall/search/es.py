"""The Elasticsearch back end (server 8.x, client 8.x: their majors must match).

Queries go through an alias so a full reindex can build a new index and swap the alias.
Chinese text is analysed with the built-in `cjk` analyzer (overlapping bigrams), which
needs no plugin and finds 营业执照 inside 营业执照设立登记.
"""

from __future__ import annotations

import logging
from dataclasses import asdict
from typing import Any

from elasticsearch import AsyncElasticsearch, ConflictError, NotFoundError

from govhall.search.model import Hit, MatterDoc

log = logging.getLogger(__name__)

MAPPINGS: dict[str, Any] = {
    "dynamic": "strict",
    "properties": {
        "code": {"type": "keyword"},
        "revision": {"type": "long"},
        "published": {"type": "boolean"},
        "site_code": {"type": "keyword"},
        "site_name": {"type": "keyword"},
        "name": {"type": "text", "analyzer": "cjk", "fields": {"raw": {"type": "keyword"}}},
        "department_name": {"type": "text", "analyzer": "cjk", "fields": {"raw": {"type": "keyword"}}},
        "type": {"type": "integer"},
        "audiences": {"type": "integer"},
        "online_application": {"type": "boolean"},
        "body": {"type": "text", "analyzer": "cjk"},
    },
}


class ElasticsearchBackend:
    def __init__(self, url: str, alias: str, *, replicas: int = 0) -> None:
        self._es = AsyncElasticsearch(url, request_timeout=10, retry_on_timeout=True, max_retries=2)
        self.alias = alias
        self._replicas = replicas

    @property
    def client(self) -> AsyncElasticsearch:
        return self._es

    async def ensure(self) -> None:
        if await self._es.indices.exists_alias(name=self.alias):
            return
        index = f"{self.alias}-v1"
        try:
            await self._es.indices.create(
                index=index,
                settings={
                    "number_of_shards": 1,
                    "number_of_replicas": self._replicas,
                    "refresh_interval": "500ms",
                },
                mappings=MAPPINGS,
                aliases={self.alias: {"is_write_index": True}},
            )
        except Exception as exc:  # another replica created it first
            if "resource_already_exists_exception" not in str(exc):
                raise
        log.info("created index %s behind alias %s", index, self.alias)

    async def put(self, doc: MatterDoc) -> bool:
        body = asdict(doc)
        body["audiences"] = list(doc.audiences)
        try:
            await self._es.index(
                index=self.alias, id=doc.code, document=body, version=doc.revision, version_type="external"
            )
        except ConflictError:
            return False  # the index already holds this revision or a newer one
        return True

    async def search(
        self, site_codes: list[str], query: str, offset: int, size: int
    ) -> tuple[list[Hit], int]:
        body = {
            "bool": {
                "must": [
                    {
                        "multi_match": {
                            "query": query,
                            "fields": ["name^4", "department_name^1.5", "body"],
                            "type": "best_fields",
                            # Up to four bigrams all must match; longer queries may miss one in five.
                            "minimum_should_match": "4<80%",
                        }
                    }
                ],
                "should": [{"match_phrase": {"name": {"query": query, "boost": 6}}}],
                "filter": [{"terms": {"site_code": site_codes}}, {"term": {"published": True}}],
            }
        }
        try:
            result = await self._es.search(
                index=self.alias, query=body, from_=offset, size=size, track_total_hits=True
            )
        except NotFoundError:
            return [], 0
        hits = []
        for h in result["hits"]["hits"]:
            src = h["_source"]
            src["audiences"] = tuple(src.get("audiences") or ())
            hits.append(Hit(MatterDoc(**src), float(h["_score"] or 0.0)))
        return hits, int(result["hits"]["total"]["value"])

    async def refresh(self) -> None:
        await self._es.indices.refresh(index=self.alias)

    async def ready(self) -> bool:
        try:
            health = await self._es.cluster.health(timeout="1s")
            return health["status"] in ("green", "yellow")
        except Exception:
            log.warning("elasticsearch not ready", exc_info=True)
            return False

    async def close(self) -> None:
        await self._es.close()
