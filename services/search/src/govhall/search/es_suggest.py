"""Suggestions in the Elasticsearch back end: the keys of published matters' names (see
spelling.py) in a keyword field, looked up with a prefix query.

The core completion suggester matches only the start of a name, and our distribution has no
ngram or pinyin analysis, so the keys are computed in Python when a document is indexed. A
prefix query on a keyword field walks the sorted term dictionary: at province scale (300,000
matters, some 30 keys each) a lookup visits the terms that start with the key, then the
matching documents are collapsed by name and sorted by the name's length (doc values), as the
embedded back end orders them.
"""

from __future__ import annotations

from typing import Any

from govhall.search.model import MATTER, SearchDoc, Suggestion
from govhall.search.spelling import key_of, suggest_keys

# Added to the mapping of new generations, and to an existing one's by ensure().
PROPERTIES: dict[str, Any] = {
    "suggest_keys": {"type": "keyword"},
    "suggest_length": {"type": "integer"},
}


def source_fields(doc: SearchDoc) -> dict[str, Any]:
    """The suggestion fields of a document: none for a tombstone or anything but a matter, so
    replacing the document drops the old one's keys."""
    if doc.kind != MATTER or not doc.published or not doc.title.strip():
        return {}
    return {"suggest_keys": suggest_keys(doc.title), "suggest_length": len(doc.title)}


def request(site_codes: tuple[str, ...], typed: str, size: int) -> dict[str, Any] | None:
    """The search request body for the suggestions, or None when nothing can match."""
    key = key_of(typed)
    if not site_codes or not key or size < 1:
        return None
    return {
        "size": size,
        "source_includes": ["title", "id", "site_code"],
        "query": {
            "bool": {
                "filter": [
                    {"term": {"kind": MATTER}},
                    {"term": {"published": True}},
                    {"terms": {"site_code": list(site_codes)}},
                    {"prefix": {"suggest_keys": key}},
                ]
            }
        },
        # Shorter names first, then by name; of the copies of one name the deepest site's (the
        # searching site's own), then the lowest id: collapsing keeps the first of each name.
        "sort": [
            {"suggest_length": "asc"},
            {"title.raw": "asc"},
            {"site_level": "desc"},
            {"id": "asc"},
        ],
        "collapse": {"field": "title.raw"},
        "track_total_hits": False,
    }


def suggestions(response: Any) -> list[Suggestion]:
    out = []
    for hit in response["hits"]["hits"]:
        source = hit["_source"]
        out.append(Suggestion(source["title"], source.get("id", ""), source.get("site_code", "")))
    return out
