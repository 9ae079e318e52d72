"""智能问答: find what a question is about in the index (matters and FAQs of the site and its
ancestors), read that matter's guide from the catalogue, and answer with the element the question
asks for, citing it. No confident match: answered false, and the portal offers 我要咨询.

Confidence is plain: a matter counts only if its name or its result (营业执照) says one of the
question's subject words (or an official term for one), so a matter that merely lists 营业执照
among its materials never answers "营业执照多久能办好". An FAQ answers when its title is close to
the question itself, or, when no guide is about what the question asks and it asks for no guide
element, when its title names what the question is about.
"""

from __future__ import annotations

import itertools
import unicodedata
from collections.abc import Sequence

import grpc

from govhall.kit.errors import invalid
from govhall.kit.grpcclient import call_options, domain_error
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.common.v1 import common_pb2
from govhall.protos.search.v1 import search_pb2 as pb
from govhall.search.asking import ELEMENT_LABELS, MAX_QUESTION, answer_element, similarity, take_apart
from govhall.search.backend import SearchBackend
from govhall.search.lexicon import Lexicon
from govhall.search.model import FAQ, MATTER, Hit, Query
from govhall.search.understanding import normalise, understand

SEARCH_SERVICE = common_pb2.CallerIdentity(
    kind=common_pb2.CALLER_KIND_SERVICE, subject="search", name="search ask"
)
# An FAQ whose title is at least this close to the question answers it even when the question
# asks for a guide element (办理结婚登记还需要带户口簿吗 is better answered by its FAQ).
FAQ_CLOSE = 0.6
# Candidates looked at per kind; the catalogue is asked for at most this many guides.
CANDIDATES = 3
MAX_VARIANTS = 5
CATALOGUE_TIMEOUT = 3.0

NOT_FOUND_ZH = (
    "抱歉，没有找到与您的问题相符的办事指南或常见问题。您可以换个说法再问，或通过“我要咨询”向相关部门咨询。"
)


def clean_question(question: str) -> str:
    """NFKC (full-width letters, digits and ？ become half-width), spaces collapsed, 1–200 characters."""
    text = " ".join(unicodedata.normalize("NFKC", question or "").split())
    if not text:
        raise invalid("QUESTION_EMPTY", "the question is empty", "请输入您的问题", "question")
    if len(text) > MAX_QUESTION:
        raise invalid(
            "QUESTION_TOO_LONG",
            f"the question is longer than {MAX_QUESTION} characters",
            f"问题不能超过{MAX_QUESTION}个字",
            "question",
        )
    return text


def variants_of(terms: Sequence[str], lexicon: Lexicon) -> tuple[str, ...]:
    """Space-joined queries: every term must match, each by itself or as the site's lexicon
    rewrites it (社保卡 → 社会保障卡; the same understanding search applies to a query)."""
    widened = [understand(t, lexicon).variants for t in terms]
    choices = itertools.product(*widened)
    return tuple(dict.fromkeys(" ".join(c) for c in itertools.islice(choices, MAX_VARIANTS)))


def _says(text: str, terms: Sequence[str], lexicon: Lexicon) -> bool:
    """Whether text names one of the terms, or one of their rewrites (all of its words)."""
    return any(
        all(word in text for word in variant.split())
        for t in terms
        for variant in understand(t, lexicon).variants
    )


class Asker:
    def __init__(self, backend: SearchBackend, catalogue: catalogue_pb2_grpc.CatalogueServiceStub) -> None:
        self._backend = backend
        self._catalogue = catalogue

    async def _find(
        self, kind: int, scope: tuple[str, ...], terms: Sequence[str], lexicon: Lexicon
    ) -> list[Hit]:
        """Hits for all the subject words together; failing that, for each alone, longest first."""
        tries = [tuple(terms)]
        if len(terms) > 1:
            tries += [(t,) for t in sorted(terms, key=len, reverse=True)]
        for words in tries:
            variants = variants_of(words, lexicon)
            # Only the hits: no facet counts (Elasticsearch's aggregations) for a question.
            query = Query(
                text=variants[0],
                variants=variants,
                kind=kind,
                site_codes=scope,
                size=CANDIDATES,
                facets=False,
            )
            result = await self._backend.search(query)
            if result.hits:
                return result.hits
        return []

    async def _matter(self, site_code: str, code: str) -> cat.Matter | None:
        try:
            return await self._catalogue.GetMatter(
                cat.GetMatterRequest(site_code=site_code, code=code),
                **call_options(SEARCH_SERVICE, CATALOGUE_TIMEOUT),
            )
        except grpc.aio.AioRpcError as err:
            if err.code() == grpc.StatusCode.NOT_FOUND:
                return None  # withdrawn since it was indexed
            raise domain_error(err) from None

    async def _confident_matter(
        self, site_code: str, hits: list[Hit], terms: Sequence[str], lexicon: Lexicon
    ) -> cat.Matter | None:
        # Names first (no call needed to rule a hit out), then results read from the guide.
        ordered = sorted(hits, key=lambda h: not _says(h.doc.title, terms, lexicon))
        for hit in ordered:
            matter = await self._matter(site_code, hit.doc.id)
            if matter is not None and _says(
                matter.draft.name + " " + matter.draft.result_name, terms, lexicon
            ):
                return matter
        return None

    async def ask(
        self, site_code: str, scope: tuple[str, ...], text: str, lexicon: Lexicon
    ) -> pb.AskResponse:
        """Answer text (from clean_question) asked at site_code, whose scope is the site's path."""
        # Normalised as a query is (traditional → simplified, punctuation → spaces), then taken apart.
        plain = normalise(text)
        asked = take_apart(plain)
        reply = pb.AskResponse(element_asked=asked.element, terms=list(asked.terms))
        if not asked.terms:
            reply.message = NOT_FOUND_ZH
            return reply
        faqs = await self._find(FAQ, scope, asked.terms, lexicon)
        faq = max(faqs, key=lambda h: similarity(plain, normalise(h.doc.title)), default=None)
        if faq is not None and similarity(plain, normalise(faq.doc.title)) >= FAQ_CLOSE:
            return self._from_faq(reply, faq)
        matter = await self._confident_matter(
            site_code, await self._find(MATTER, scope, asked.terms, lexicon), asked.terms, lexicon
        )
        if matter is None:
            # No guide is about it: an FAQ about it still answers a question that asks for no
            # guide element (one that does would get the FAQ's answer to another question).
            if faq is not None and not asked.element and _says(faq.doc.title, asked.terms, lexicon):
                return self._from_faq(reply, faq)
            reply.message = NOT_FOUND_ZH
            return reply
        element = asked.element or "overview"
        said = answer_element(matter, element)
        reply.citation.CopyFrom(
            pb.AskCitation(
                kind=MATTER,  # type: ignore[arg-type]
                matter_code=matter.code,
                matter_name=matter.draft.name,
                site_code=matter.site_code,
                element=element,
                element_label=ELEMENT_LABELS[element],
            )
        )
        if not said.text:
            label = ELEMENT_LABELS[element]
            reply.message = f"抱歉，“{matter.draft.name}”的办事指南中没有载明{label}。您可以查看办事指南，或通过“我要咨询”向相关部门咨询。"
            return reply
        reply.answered = True
        reply.answer = said.text
        reply.items.extend(said.items)
        return reply

    @staticmethod
    def _from_faq(reply: pb.AskResponse, hit: Hit) -> pb.AskResponse:
        doc = hit.doc
        reply.answered = True
        reply.answer = doc.body
        reply.citation.CopyFrom(
            pb.AskCitation(
                kind=FAQ,  # type: ignore[arg-type]
                matter_code=doc.matter_code,
                site_code=doc.site_code,
                element="faq",
                element_label=ELEMENT_LABELS["faq"],
                faq_id=doc.id,
                faq_title=doc.title,
            )
        )
        return reply
