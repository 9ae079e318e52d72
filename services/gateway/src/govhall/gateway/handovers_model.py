"""What the 跨省通办 routes (handovers.py) take and answer: typed models and their mapping."""

from __future__ import annotations

import json
from typing import Any, Literal

from pydantic import Field

from govhall.gateway.model import In, PageOut, page_out
from govhall.gateway.protojson import Out, model_of, out
from govhall.protos.cases.v1 import handovers_pb2 as hpb
from govhall.protos.crossprovince.v1 import partner_pb2 as xp

HandoverStateName = Literal[
    "draft",
    "sending",
    "forwarded",
    "supplement_requested",
    "supplement_sending",
    "in_progress",
    "result_received",
    "delivered",
    "rejected",
]
DeliveryName = Literal["post", "pickup", "electronic"]


class HandoverOut(model_of(hpb.HandoverRecord.DESCRIPTOR)):  # type: ignore[misc]
    """A handover as A's window and the applicant see it (the ID number only masked)."""


class HandoversOut(Out):
    items: list[HandoverOut]
    page: PageOut


def handover_out(record: hpb.HandoverRecord) -> HandoverOut:
    return out(HandoverOut, record)


def handovers_out(reply: hpb.ListHandoversResponse) -> HandoversOut:
    return HandoversOut(items=[handover_out(h) for h in reply.handovers], page=page_out(reply.page))


class ApplicantIn(In):
    kind: Literal["person", "legal_person"]
    name: str = Field(min_length=1, max_length=100)
    id_type: str = Field("居民身份证", max_length=40)
    id_number: str = Field(min_length=1, max_length=40)
    mobile: str = Field("", max_length=20)


class HandoverIn(In):
    """A handover taken at my window for a matter another province offers."""

    partner_province: str = Field(pattern=r"^\d{6}$")
    matter_code: str = Field(min_length=1, max_length=64)
    matter_name: str = Field(min_length=1, max_length=200)
    applicant: ApplicantIn
    applicant_subject: str = Field("", max_length=64, description="the applicant's account here, if any")
    form: dict[str, Any] = Field(default_factory=dict)
    delivery_method: DeliveryName = "pickup"
    consent_text: str = Field(min_length=1, max_length=2000)
    hall_name: str = Field("", max_length=100)
    window_name: str = Field("", max_length=100)
    site_code: str = Field(pattern=r"^\d{6}$")

    def request(self) -> hpb.CreateHandoverRequest:
        a = self.applicant
        return hpb.CreateHandoverRequest(
            partner_province=self.partner_province,
            matter_code=self.matter_code,
            matter_name=self.matter_name,
            applicant=xp.HandoverApplicant(
                kind=a.kind, name=a.name, id_type=a.id_type, id_number=a.id_number, mobile=a.mobile
            ),
            applicant_subject=self.applicant_subject,
            form_json=json.dumps(self.form, ensure_ascii=False),
            delivery_method=self.delivery_method,
            consent_text=self.consent_text,
            hall_name=self.hall_name,
            window_name=self.window_name,
            site_code=self.site_code,
        )


class DeliverIn(In):
    delivered_by: DeliveryName
    note: str = Field("", max_length=200)
