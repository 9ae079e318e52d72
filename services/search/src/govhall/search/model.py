"""What search keeps of a matter or an article, what a query asks, and how text is cleaned. No I/O here.

Documents of every kind (matters, announcements, FAQs) share one shape and one index, so one
alias swap rebuilds everything and a portal's tabs can be counted in one request.
"""

from __future__ import annotations

import html
import unicodedata
from dataclasses import dataclass, field
from datetime import UTC, datetime

from govhall.kit.errors import invalid
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.search.v1 import search_pb2 as pb

MAX_QUERY = 100
MAX_PREFIX = 30

MATTER = pb.DOCUMENT_KIND_MATTER
ANNOUNCEMENT = pb.DOCUMENT_KIND_ANNOUNCEMENT
FAQ = pb.DOCUMENT_KIND_FAQ
_ARTICLE_KINDS = {cat.ARTICLE_KIND_ANNOUNCEMENT: ANNOUNCEMENT, cat.ARTICLE_KIND_FAQ: FAQ}

# The facet fields, in the order a response lists them.
FACET_FIELDS = ("type", "audience", "department", "site_level")


@dataclass(frozen=True)
class SearchDoc:
    kind: int  # pb.DocumentKind
    id: str  # the matter code or the article id
    # The catalogue's revision of the matter or article: a stored document is replaced only by a
    # newer one, so redelivered or reordered events cannot bring back an old version.
    revision: int
    # False for a withdrawn matter or article: kept as a tombstone carrying its revision, never returned.
    published: bool
    site_code: str
    site_name: str
    site_level: int
    # The site's ancestors from the root down, ending with site_code (region filters use it).
    site_path: tuple[str, ...]
    title: str
    # The text searched with a lower weight than the title: guide texts, or an article's body.
    body: str
    department_code: str = ""
    department_name: str = ""
    type: int = 0
    audiences: tuple[int, ...] = ()
    themes: tuple[str, ...] = ()
    life_events: tuple[str, ...] = ()
    online_application: bool = False
    version: int = 0
    # Articles: not shown before this moment (UTC). None: always.
    publish_at: datetime | None = None
    # FAQs and announcements about one matter.
    matter_code: str = ""

    @property
    def key(self) -> str:
        """The document's id in the index: kinds have separate id spaces."""
        return f"{self.kind}:{self.id}"

    @classmethod
    def from_matter(cls, matter: cat.Matter) -> SearchDoc:
        draft = matter.draft
        guide = draft.guide
        parts = [
            guide.acceptance_conditions,
            "、".join(m.name for m in draft.materials),
            guide.process,
            guide.legal_basis,
            draft.result_name,
        ]
        return cls(
            kind=MATTER,
            id=matter.code,
            revision=matter.revision,
            published=matter.status == cat.MATTER_STATUS_PUBLISHED,
            site_code=matter.site_code,
            site_name=matter.site_name,
            site_level=matter.site_level,
            site_path=tuple(matter.site_path) or (matter.site_code,),
            title=draft.name,
            body="\n".join(p for p in parts if p),
            department_code=draft.department_code,
            department_name=matter.department_name,
            type=draft.type,
            audiences=tuple(sorted(set(draft.audiences))),
            themes=tuple(draft.themes),
            life_events=tuple(draft.life_events),
            online_application=draft.online_application,
            version=matter.version,
        )

    @classmethod
    def from_article(cls, article: cat.Article) -> SearchDoc:
        return cls(
            kind=_ARTICLE_KINDS.get(article.kind, ANNOUNCEMENT),
            id=article.id,
            revision=article.revision,
            published=article.status == cat.ARTICLE_STATUS_PUBLISHED,
            site_code=article.site_code,
            site_name=article.site_name,
            site_level=article.site_level,
            site_path=tuple(article.site_path) or (article.site_code,),
            title=article.title,
            body=article.body,
            department_code=article.department_code,
            department_name=article.department_name,
            publish_at=article.publish_at.ToDatetime(tzinfo=UTC) if article.HasField("publish_at") else None,
            matter_code=article.matter_code,
        )


@dataclass(frozen=True)
class Query:
    """One search, already checked and cleaned; back ends translate it, nothing more."""

    text: str
    # The text and its synonym-widened alternatives (text first); a document matching any counts,
    # the original text scoring highest.
    variants: tuple[str, ...]
    kind: int = MATTER
    # Scope: exactly one of these is set. The site and its ancestors (terms on site_code), or a
    # region's whole subtree (a term on site_path).
    site_codes: tuple[str, ...] = ()
    region_code: str = ""
    # Facet filters (any-of within a field; fields combine with AND).
    types: tuple[int, ...] = ()
    audiences: tuple[int, ...] = ()
    department_codes: tuple[str, ...] = ()
    site_levels: tuple[int, ...] = ()
    # Plain filters.
    theme: str = ""
    life_event: str = ""
    online_only: bool = False
    offset: int = 0
    size: int = 10
    # Whether the facet counts are wanted: the public search shows them (the gateway's answer
    # always carries them); 智能问答's lookups do not, and Elasticsearch then runs no aggregations
    # (the embedded back end counts them in the pass that counts the total, at no extra cost).
    facets: bool = True
    # Articles whose publish_at is later are not shown yet.
    now: datetime = field(default_factory=lambda: datetime.now(UTC))


@dataclass(frozen=True)
class Hit:
    doc: SearchDoc
    score: float
    # HTML: matches in <em>…</em>, the rest escaped (see highlight()).
    title_highlighted: str
    snippet: str

    @classmethod
    def marked(cls, doc: SearchDoc, score: float, terms: list[str] | tuple[str, ...]) -> Hit:
        """The hit with ``terms`` marked in its title and in a snippet of its body, as both back
        ends answer (`highlight`)."""
        return cls(
            doc=doc,
            score=score,
            title_highlighted=highlight(doc.title, terms),
            snippet=highlight(doc.body, terms, fragment=SNIPPET_CHARS) if doc.body else "",
        )


@dataclass(frozen=True)
class Result:
    hits: list[Hit]
    total: int
    # field (FACET_FIELDS) -> [(value, count)], most frequent first. Values are the enum number as
    # text for type, audience and site_level, the department code for department. Each field is
    # counted with every filter applied except its own.
    facets: dict[str, list[tuple[str, int]]]
    # The names of the departments in the department facet (code -> name, from the documents), so
    # the portal can label them; search keeps no department table of its own.
    department_names: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Suggestion:
    text: str
    matter_code: str
    site_code: str


def clean_query(query: str, field_name: str = "q", max_length: int = MAX_QUERY) -> str:
    """NFKC-normalise (full-width letters and digits become half-width), collapse spaces."""
    text = " ".join(unicodedata.normalize("NFKC", query or "").split())
    if not text:
        raise invalid("QUERY_EMPTY", "the search query is empty", "请输入搜索关键词", field_name)
    if len(text) > max_length:
        raise invalid(
            "QUERY_TOO_LONG",
            f"the search query is longer than {max_length} characters",
            f"搜索关键词不能超过{max_length}个字",
            field_name,
        )
    return text


SNIPPET_CHARS = 80


def highlight(text: str, terms: list[str] | tuple[str, ...], *, fragment: int = 0) -> str:
    """Wrap every occurrence of any term in <em>…</em> and HTML-escape the rest.

    fragment > 0: return only about that many characters around the first match (or the
    start of the text when nothing matches), as a snippet. Longer terms win where they overlap.
    """
    spans: list[tuple[int, int]] = []
    for term in sorted({t for t in terms if t}, key=len, reverse=True):
        start = text.find(term)
        while start >= 0:
            end = start + len(term)
            if all(end <= s or start >= e for s, e in spans):
                spans.append((start, end))
            start = text.find(term, end)
    spans.sort()
    lo, hi = 0, len(text)
    if fragment > 0 and len(text) > fragment:
        first = spans[0][0] if spans else 0
        lo = max(0, min(first - fragment // 4, len(text) - fragment))
        hi = lo + fragment
    out: list[str] = []
    pos = lo
    for s, e in spans:
        if s < lo or e > hi:
            continue
        out.append(html.escape(text[pos:s]))
        out.append("<em>" + html.escape(text[s:e]) + "</em>")
        pos = e
    out.append(html.escape(text[pos:hi]))
    return "".join(out)
