"""What the grant routes (用证授权) take and answer: typed models built from licences' grant messages."""

from __future__ import annotations

import datetime as dt
from typing import Annotated

from google.protobuf.timestamp_pb2 import Timestamp
from pydantic import Field

from govhall.gateway.model import In, PageOut, page_out
from govhall.gateway.protojson import Out, model_of, out
from govhall.protos.licences.v1 import grants_pb2 as pb

ObjectId = Annotated[str, Field(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z-]{1,64}$")]

_GRANT = model_of(pb.Grant.DESCRIPTOR, name="Grant_")
_ACCESS = model_of(pb.Access.DESCRIPTOR, name="Access_")


class GrantOut(_GRANT):  # type: ignore[misc,valid-type]
    """A grant: which case's handling staff may read the licence, for what, until when; its state."""


class AccessOut(_ACCESS):  # type: ignore[misc,valid-type]
    """One read of my licence by a case's handling staff (who, which department, when)."""


class GrantsOut(Out):
    items: list[GrantOut]
    page: PageOut


class AccessesOut(Out):
    items: list[AccessOut]
    page: PageOut


class GrantIn(In):
    """Let the staff handling one of my cases read this licence as that case's material."""

    case_id: ObjectId
    material_code: str = Field(
        min_length=1, max_length=40, description="the case's material taken from a licence"
    )
    purpose: str = Field(min_length=1, max_length=200, description="用途, shown to the holder")
    # Licences caps it (GOVHALL_LICENCES_GRANT_MAX_DAYS, at most 365) and names expires_at when it is too far.
    expires_in_days: int = Field(0, ge=0, le=366, description="days the grant lives; 0: licences' default")

    def request(self, licence_id: str, now: dt.datetime) -> pb.CreateGrantRequest:
        request = pb.CreateGrantRequest(
            licence_id=licence_id,
            case_id=self.case_id,
            material_code=self.material_code,
            purpose=self.purpose,
        )
        if self.expires_in_days:
            expires = Timestamp()
            expires.FromDatetime(now + dt.timedelta(days=self.expires_in_days))
            request.expires_at.CopyFrom(expires)
        return request


def grant_out(grant: pb.Grant) -> GrantOut:
    return out(GrantOut, grant)


def grants_out(reply: pb.ListGrantsResponse) -> GrantsOut:
    return GrantsOut(items=[grant_out(g) for g in reply.grants], page=page_out(reply.page))


def accesses_out(reply: pb.ListAccessesResponse) -> AccessesOut:
    return AccessesOut(items=[out(AccessOut, a) for a in reply.accesses], page=page_out(reply.page))
