"""What the letters routes (咨询/投诉/建议) take and answer: request bodies and typed response
models built from the consult messages."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from govhall.gateway.model import In, PageOut, SiteCode, page_out
from govhall.gateway.protojson import Out, model_of, out
from govhall.protos.consult.v1 import letters_pb2 as pb

KINDS = {
    "consultation": pb.LETTER_KIND_CONSULTATION,
    "complaint": pb.LETTER_KIND_COMPLAINT,
    "suggestion": pb.LETTER_KIND_SUGGESTION,
}
REASONS = {
    "efficiency": pb.COMPLAINT_REASON_EFFICIENCY,
    "attitude": pb.COMPLAINT_REASON_ATTITUDE,
    "inaction": pb.COMPLAINT_REASON_INACTION,
    "misconduct": pb.COMPLAINT_REASON_MISCONDUCT,
    "other": pb.COMPLAINT_REASON_OTHER,
}
RATINGS = {
    "satisfied": pb.LETTER_RATING_SATISFIED,
    "basically": pb.LETTER_RATING_BASICALLY,
    "unsatisfied": pb.LETTER_RATING_UNSATISFIED,
}
STATES = {
    "pending": pb.LETTER_STATE_PENDING,
    "processing": pb.LETTER_STATE_PROCESSING,
    "replied": pb.LETTER_STATE_REPLIED,
    "followed_up": pb.LETTER_STATE_FOLLOWED_UP,
    "refused": pb.LETTER_STATE_REFUSED,
    "closed": pb.LETTER_STATE_CLOSED,
}
StateName = Literal["pending", "processing", "replied", "followed_up", "refused", "closed"]
Content = Annotated[str, Field(max_length=2000, description="at most 2,000 characters")]
Reason = Annotated[str, Field(max_length=500)]
Revision = Annotated[
    int, Field(ge=1, le=2**31 - 1, description="the letter's revision you saw (a stale one: 409)")
]
Code = Annotated[str, Field(max_length=64)]


class LetterIn(In):
    site_code: SiteCode
    kind: Literal["consultation", "complaint", "suggestion"] = Field(description="咨询、投诉或建议")
    title: Annotated[str, Field(max_length=50)]
    content: Content
    department_code: Code = Field("", description="empty: the site's government service office")
    matter_code: Annotated[str, Field(max_length=36)] = Field("", description="from a guide's 我要咨询")
    agrees_to_publish: bool = Field(False, description="whether the writer agrees to publication")
    case_number: Code = Field("", description="a complaint's case number")
    reason: Literal["efficiency", "attitude", "inaction", "misconduct", "other"] | None = Field(
        None, description="a complaint's reason: 效能、态度、不作为、乱作为、其他"
    )
    writer_name: Annotated[str, Field(max_length=30)] = Field("", description="anonymous writers only")
    writer_mobile: Annotated[str, Field(max_length=20)] = Field("", description="anonymous writers only")
    sms_code: Annotated[str, Field(max_length=8)] = Field(
        "", description="anonymous writers only: a code sent with purpose letter"
    )

    def message(self) -> pb.SubmitLetterRequest:
        return pb.SubmitLetterRequest(
            site_code=self.site_code,
            department_code=self.department_code,
            matter_code=self.matter_code,
            kind=KINDS[self.kind],
            title=self.title,
            content=self.content,
            agrees_to_publish=self.agrees_to_publish,
            case_number=self.case_number,
            reason=REASONS[self.reason] if self.reason else pb.COMPLAINT_REASON_UNSPECIFIED,
            writer_name=self.writer_name,
            writer_mobile=self.writer_mobile,
            sms_code=self.sms_code,
        )


class QueryIn(In):
    letter_number: Annotated[str, Field(max_length=32)]
    query_password: Annotated[str, Field(max_length=32)]


class FollowUpIn(In):
    content: Content


class RatingIn(In):
    rating: Literal["satisfied", "basically", "unsatisfied"]
    reopen: bool = Field(
        False, description="unsatisfied only: handle it again (once, within 10 days of the reply)"
    )


class ClaimIn(In):
    revision: Revision


class ReplyIn(In):
    revision: Revision
    content: Content
    public: bool = Field(False, description="公开 (may be published if the writer agreed) or 私密")


class ReassignIn(In):
    revision: Revision
    department_code: Code
    reason: Reason


class RefuseIn(In):
    revision: Revision
    reason: Reason


class ExtensionIn(In):
    revision: Revision
    days: int = Field(ge=1, le=30, description="more working days")
    reason: Reason


class DecisionIn(In):
    revision: Revision
    approve: bool
    reason: Reason = Field("", description="required when refusing")


_LETTER = model_of(pb.Letter.DESCRIPTOR)
_PUBLIC_LETTER = model_of(pb.PublicLetter.DESCRIPTOR)


class LetterOut(_LETTER):  # type: ignore[misc,valid-type]
    """A letter with its thread; an anonymous writer's name and mobile only masked."""


class PublicLetterOut(_PUBLIC_LETTER):  # type: ignore[misc,valid-type]
    """A published question and its public answer, without names or numbers."""


class SubmittedOut(Out):
    letter: LetterOut
    query_password: str = Field(description="anonymous writers only, shown this once")


class LettersOut(Out):
    items: list[LetterOut]
    page: PageOut


class PublicLettersOut(Out):
    items: list[PublicLetterOut]
    page: PageOut


def letter_out(letter: pb.Letter) -> LetterOut:
    return out(LetterOut, letter)


def submitted_out(reply: pb.SubmitLetterResponse) -> SubmittedOut:
    return SubmittedOut(letter=letter_out(reply.letter), query_password=reply.query_password)


def letters_out(reply: pb.ListLettersResponse) -> LettersOut:
    return LettersOut(items=[letter_out(x) for x in reply.letters], page=page_out(reply.page))


def public_out(reply: pb.ListPublicLettersResponse) -> PublicLettersOut:
    return PublicLettersOut(items=[out(PublicLetterOut, x) for x in reply.letters], page=page_out(reply.page))
