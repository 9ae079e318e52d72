"""ListMatters: the matters this province offers the asking partner for 通办, each with its guide
as the catalogue publishes it (asked of the catalogue per request: a guide changed there is
offered changed at once)."""

from __future__ import annotations

import grpc
from google.protobuf import json_format

from govhall.crossprovince.endpoint import Handler
from govhall.crossprovince.partners import OfferedMatter, Partners
from govhall.kit.grpcclient import call_options
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.common.v1 import common_pb2
from govhall.protos.crossprovince.v1 import partner_pb2 as pb

SERVICE_CALLER = common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_SERVICE, subject="crossprovince")


def list_matters(
    own_code: str,
    partners: Partners,
    offered: list[OfferedMatter],
    catalogue: catalogue_pb2_grpc.CatalogueServiceStub,
) -> Handler:
    async def handle(
        sender: str, _message_id: str, body: bytes
    ) -> tuple[pb.ReceiptStatus.ValueType, str, str, bytes]:
        partner = partners.get(sender)
        try:
            request = pb.ListMattersRequest.FromString(body)
        except Exception:
            return pb.RECEIPT_STATUS_REJECTED, "BAD_BODY", "the body is not a ListMattersRequest", b""
        reply = pb.MatterList(province=own_code)
        for matter in offered:
            if partner is None or not matter.offered_to(partner):
                continue
            if request.group and request.group not in matter.groups:
                continue
            try:
                found = await catalogue.GetMatter(
                    cat.GetMatterRequest(site_code=matter.site_code, code=matter.matter_code),
                    **call_options(SERVICE_CALLER),
                )
            except grpc.aio.AioRpcError as err:
                if err.code() == grpc.StatusCode.NOT_FOUND:
                    continue  # withdrawn from the catalogue: no longer offered
                raise
            if found.status != cat.MATTER_STATUS_PUBLISHED:
                continue
            reply.matters.append(
                pb.OfferedMatter(
                    matter_code=matter.matter_code,
                    name=found.draft.name,
                    department_name=found.department_name,
                    modes=list(matter.modes),
                    groups=list(matter.groups),
                    guide_json=json_format.MessageToJson(found.draft, ensure_ascii=False, indent=None),
                )
            )
        return pb.RECEIPT_STATUS_ACCEPTED, "", "", reply.SerializeToString(deterministic=True)

    return handle
