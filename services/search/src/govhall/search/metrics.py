"""Search's Prometheus metrics: queries by kind and whether they found anything, their time,
full reindex runs and the catalogue events applied to the index (issue 18's metric contract)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from contextlib import contextmanager

from prometheus_client import Counter, Histogram

from govhall.protos.search.v1 import search_pb2 as pb

QUERIES = Counter(
    "govhall_search_queries_total",
    "Searches answered, by kind and whether they found anything",
    ["kind", "result"],
)
QUERY_SECONDS = Histogram(
    "govhall_search_query_seconds",
    "Search query time (the back end's answer)",
    ["kind"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0),
)
REINDEX = Counter("govhall_search_reindex_total", "Full reindex runs, by outcome", ["outcome"])
INDEXED = Counter(
    "govhall_search_indexed_total", "Catalogue events applied to the index, by outcome", ["outcome"]
)

# The kind label: a fixed set, one per document kind a search asks for, and the suggestions.
SUGGEST = "suggest"
KIND_LABELS = {
    pb.DOCUMENT_KIND_MATTER: "matters",
    pb.DOCUMENT_KIND_ANNOUNCEMENT: "announcements",
    pb.DOCUMENT_KIND_FAQ: "faqs",
}


@contextmanager
def timed(kind: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    finally:
        QUERY_SECONDS.labels(kind).observe(time.perf_counter() - started)


def answered(kind: str, found: int) -> None:
    QUERIES.labels(kind, "hits" if found else "zero").inc()
