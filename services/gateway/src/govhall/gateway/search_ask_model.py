"""What the 智能问答 route takes and answers: the question, and the answer with what it cites
(a link to the guide or FAQ it came from) or, when there is none, the 我要咨询 offer."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from govhall.gateway.model import In
from govhall.gateway.protojson import Out
from govhall.protos.search.v1 import search_pb2

# The route a citizen writes a consultation at (consult_letters.py), and the title it allows.
CONSULT_PATH = "/api/v1/consultations"
CONSULT_TITLE_MAX = 50


class AskIn(In):
    # The exact bound (1-200 characters after trimming) is search's, which answers 400 naming
    # the field; this only keeps an absurd body from travelling on.
    question: Annotated[str, Field(max_length=1000, description="1-200 characters after trimming")] = Field(
        examples=["结婚需要带什么"]
    )


class CitationOut(Out):
    kind: Literal["matter", "faq"]
    matter_code: str = Field(description="the matter answered about (an FAQ's, if it names one)")
    matter_name: str
    site_code: str = Field(description="the site whose guide or FAQ it is")
    element: str = Field(
        description="materials, time_limit, places, fees, conditions, online, overview or faq"
    )
    element_label: str = Field(examples=["申请材料"])
    link: str = Field(description="the guide (or FAQ) as seen from the site asked at")
    faq_id: str | None = None
    faq_title: str | None = None


class ConsultPrefillOut(Out):
    """A consultation's fields as POST /api/v1/consultations takes them (the writer adds the rest)."""

    site_code: str
    kind: Literal["consultation"] = "consultation"
    matter_code: str
    title: str
    content: str


class ConsultOfferOut(Out):
    label: str = "我要咨询"
    method: Literal["POST"] = "POST"
    link: str = CONSULT_PATH
    prefill: ConsultPrefillOut


class AskOut(Out):
    question: str
    answered: bool
    answer: str | None = Field(description="plain text, Chinese; null when not answered")
    items: list[str] = Field(description="the element's entries: each material, each place with its hours")
    element_asked: str | None = Field(description="the guide element the question asked for, if any")
    terms: list[str] = Field(description="the words the question was understood by")
    citation: CitationOut | None
    message: str | None = Field(description="when not answered: why, in Chinese")
    consult: ConsultOfferOut | None = Field(
        description="我要咨询, offered when the question was not answered"
    )


def ask_out(site: str, question: str, reply: search_pb2.AskResponse) -> AskOut:
    citation = None
    if reply.HasField("citation"):
        c = reply.citation
        faq = c.kind == search_pb2.DOCUMENT_KIND_FAQ
        link = (
            f"/api/v1/sites/{site}/articles/{c.faq_id}"
            if faq
            else f"/api/v1/sites/{site}/matters/{c.matter_code}"
        )
        citation = CitationOut(
            kind="faq" if faq else "matter",
            matter_code=c.matter_code,
            matter_name=c.matter_name,
            site_code=c.site_code,
            element=c.element,
            element_label=c.element_label,
            link=link,
            faq_id=c.faq_id or None,
            faq_title=c.faq_title or None,
        )
    consult = None
    if not reply.answered:
        text = " ".join(question.split())
        consult = ConsultOfferOut(
            prefill=ConsultPrefillOut(
                site_code=site,
                matter_code=reply.citation.matter_code,
                title=text[:CONSULT_TITLE_MAX],
                content=text,
            )
        )
    return AskOut(
        question=question,
        answered=reply.answered,
        answer=reply.answer or None,
        items=list(reply.items),
        element_asked=reply.element_asked or None,
        terms=list(reply.terms),
        citation=citation,
        message=reply.message or None,
        consult=consult,
    )
