"""What search keeps of a matter, and how a query is cleaned. No I/O here."""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass

from govhall.kit.errors import invalid
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat

MAX_QUERY = 100


@dataclass(frozen=True)
class MatterDoc:
    code: str
    revision: int
    published: bool
    site_code: str
    site_name: str
    name: str
    department_name: str
    type: int
    audiences: tuple[int, ...]
    online_application: bool
    # The guide text, searched with a lower weight than the name.
    body: str

    @classmethod
    def from_matter(cls, matter: cat.Matter) -> MatterDoc:
        guide = matter.draft.guide
        body = "\n".join(
            part
            for part in (guide.acceptance_conditions, guide.materials, guide.process, guide.legal_basis)
            if part
        )
        return cls(
            code=matter.code,
            revision=matter.revision,
            published=matter.status == cat.MATTER_STATUS_PUBLISHED,
            site_code=matter.site_code,
            site_name=matter.site_name,
            name=matter.draft.name,
            department_name=matter.department_name,
            type=matter.draft.type,
            audiences=tuple(matter.draft.audiences),
            online_application=matter.draft.online_application,
            body=body,
        )


@dataclass(frozen=True)
class Hit:
    doc: MatterDoc
    score: float


def clean_query(query: str) -> str:
    """NFKC-normalise (full-width letters and digits become half-width), collapse spaces."""
    text = " ".join(unicodedata.normalize("NFKC", query or "").split())
    if not text:
        raise invalid("QUERY_EMPTY", "the search query is empty", "请输入搜索关键词", "q")
    if len(text) > MAX_QUERY:
        raise invalid(
            "QUERY_TOO_LONG",
            f"the search query is longer than {MAX_QUERY} characters",
            f"搜索关键词不能超过{MAX_QUERY}个字",
            "q",
        )
    return text
