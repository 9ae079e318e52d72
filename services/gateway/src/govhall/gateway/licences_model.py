"""What licences' routes answer (licence types now; licences, grants and the drive as they are
built): typed response models and the one mapping onto them."""

from __future__ import annotations

from govhall.gateway.model import PageOut, page_out
from govhall.gateway.protojson import Out, model_of, out
from govhall.protos.licences.v1 import types_pb2 as types_pb

_TYPE = model_of(types_pb.LicenceType.DESCRIPTOR, name="LicenceType_")


class LicenceTypeOut(_TYPE):  # type: ignore[misc,valid-type]
    """A licence type (证照目录): issuer, holder kind, validity, fields, the matters issuing it."""


class LicenceTypesOut(Out):
    items: list[LicenceTypeOut]
    page: PageOut


def licence_type_out(t: types_pb.LicenceType) -> LicenceTypeOut:
    return out(LicenceTypeOut, t)


def licence_types_out(reply: types_pb.ListLicenceTypesResponse) -> LicenceTypesOut:
    return LicenceTypesOut(items=[licence_type_out(t) for t in reply.types], page=page_out(reply.page))
