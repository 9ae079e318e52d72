"""What verification's, the status changes' and the types administrators' routes take and
answer: request bodies and typed response models from verification.proto's messages."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from govhall.gateway.model import In
from govhall.gateway.protojson import model_of, out
from govhall.protos.licences.v1 import types_pb2 as types_pb
from govhall.protos.licences.v1 import verification_pb2 as pb

_VERIFY = model_of(pb.VerifyResponse.DESCRIPTOR, name="LicenceVerification_")
_STATUS = model_of(pb.LicenceStatus.DESCRIPTOR, name="LicenceStatus_")
_REPORT = model_of(pb.ImportLicencesResponse.DESCRIPTOR, name="LicenceImportReport_")
_LIST = model_of(pb.StatusList.DESCRIPTOR, name="LicenceStatusList_")


class VerificationOut(_VERIFY):  # type: ignore[misc,valid-type]
    """核验: valid | revoked | suspended | expired, the holder masked, the issuer and the dates."""


class LicenceStatusOut(_STATUS):  # type: ignore[misc,valid-type]
    """A licence's state after a revocation, suspension or reinstatement."""


class StatusListOut(_LIST):  # type: ignore[misc,valid-type]
    """An issuer's status list (W3C Bitstring Status List: GZIP, then base64url)."""


class StatusChangeIn(In):
    reason: Annotated[str, Field(min_length=1, max_length=200, description="why (shown to the holder)")]
    revision: Annotated[
        int, Field(ge=1, le=2**31 - 1, description="the licence's revision as read (409 when it moved)")
    ]


class LicenceFieldIn(In):
    key: Annotated[str, Field(pattern=r"^[a-z][a-z0-9_]{0,39}$", description="key in a licence's metadata")]
    label: Annotated[str, Field(min_length=1, max_length=50)]
    required: bool = False


class LicenceTypeIn(In):
    name: Annotated[str, Field(min_length=1, max_length=100)]
    issuer_department_code: Annotated[str, Field(min_length=1, max_length=64)]
    issuer_name: Annotated[str, Field(min_length=1, max_length=200)]
    issuer_code: Annotated[str, Field(pattern=r"^[0-9A-Z]{18}$", description="the issuer's credit code")]
    holder_kind: Literal["person", "legal_person"]
    validity_years: Annotated[int, Field(ge=0, le=100, description="0: no expiry")] = 0
    fields: Annotated[list[LicenceFieldIn], Field(default_factory=list, max_length=50)]
    holder_maintained: bool = False


class NewLicenceType(LicenceTypeIn):
    code: Annotated[str, Field(pattern=r"^[0-9A-Z]{1,40}$", description="licence type code (GB/T 36903)")]


class LicenceTypeUpdate(LicenceTypeIn):
    revision: Annotated[
        int, Field(ge=1, le=2**31 - 1, description="the type's revision as read (409 when it moved)")
    ]


def type_message(code: str, body: LicenceTypeIn) -> types_pb.LicenceType:
    return types_pb.LicenceType(
        code=code,
        name=body.name,
        issuer_department_code=body.issuer_department_code,
        issuer_name=body.issuer_name,
        issuer_code=body.issuer_code,
        holder_kind=body.holder_kind,
        validity_years=body.validity_years,
        fields=[types_pb.LicenceField(key=f.key, label=f.label, required=f.required) for f in body.fields],
        holder_maintained=body.holder_maintained,
    )


def verification_out(v: pb.VerifyResponse) -> VerificationOut:
    return out(VerificationOut, v)


def status_out(s: pb.LicenceStatus) -> LicenceStatusOut:
    return out(LicenceStatusOut, s)


def status_list_out(s: pb.StatusList) -> StatusListOut:
    return out(StatusListOut, s)


class ImportReportOut(_REPORT):  # type: ignore[misc,valid-type]
    """A level-B import: how many were imported, and every problem by row and field."""


def import_report_out(r: pb.ImportLicencesResponse) -> ImportReportOut:
    return out(ImportReportOut, r)
