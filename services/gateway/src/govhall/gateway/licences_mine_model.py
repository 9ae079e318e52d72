"""What the holder's 证照库 routes answer and take: typed models and the one mapping onto them."""

from __future__ import annotations

import json

from pydantic import Field

from govhall.gateway.model import In, PageOut, page_out
from govhall.gateway.protojson import Out, model_of, out
from govhall.kit.errors import invalid
from govhall.protos.licences.v1 import licences_pb2 as pb

_LICENCE = model_of(
    pb.Licence.DESCRIPTOR,
    name="Licence_",
    drop=["metadata"],
    add={"metadata": (dict[str, str], Field(description="the type's fields: key -> value"))},
)


class LicenceOut(_LICENCE):  # type: ignore[misc,valid-type]
    """One of my licences: level, type, identifier, holder (code masked), issuer, dates, state."""


class LicencesOut(Out):
    items: list[LicenceOut]
    page: PageOut


def licence_out(licence: pb.Licence) -> LicenceOut:
    # protojson maps no map fields: the metadata go across as a plain object.
    plain = pb.Licence()
    plain.CopyFrom(licence)
    plain.ClearField("metadata")
    return out(LicenceOut, plain, metadata=dict(licence.metadata))


def licences_out(reply: pb.ListMyLicencesResponse) -> LicencesOut:
    return LicencesOut(items=[licence_out(lic) for lic in reply.licences], page=page_out(reply.page))


class LicenceEditIn(In):
    """A level-C licence's new details (all of them), with the revision they were read at."""

    revision: int = Field(ge=1, le=2**31 - 1)
    number: str = Field(max_length=200)
    # YYYY-MM-DD (licences checks it is a date and names the field if not).
    issued_on: str = Field(max_length=10)
    valid_until: str = Field("", max_length=10)
    issuer_name: str = Field("", max_length=200)
    metadata: dict[str, str] = Field(default_factory=dict, max_length=50)

    def request(self, licence_id: str) -> pb.UpdateMyLicenceRequest:
        return pb.UpdateMyLicenceRequest(
            id=licence_id,
            revision=self.revision,
            number=self.number,
            issued_on=self.issued_on,
            valid_until=self.valid_until,
            issuer_name=self.issuer_name,
            metadata=self.metadata,
        )


def metadata_field(text: str) -> dict[str, str]:
    """The multipart form's `metadata`: a JSON object of text values (a 400 naming it otherwise)."""
    if not text:
        return {}
    try:
        value = json.loads(text)
    except ValueError:
        value = None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) for k, v in value.items()
    ):
        raise invalid(
            "METADATA_INVALID",
            "metadata is a JSON object of text values",
            "metadata 应为字段名到文本值的JSON对象",
            "metadata",
        )
    return value
