"""Who a level-A licence is issued to, asked of identity when it is issued (出证).

The `cases.case.concluded` event and the case carry the applicant's subject and the name their
token carried, which predates real-name verification and may be empty. Identity knows the
verified name and the ID number (a person) or unified social credit code (a legal person), and
tells them to licences alone (`GetHolderIdentity`: identity's callers.json and its own check of
the calling service). The number is sealed with licences' field cipher, as level-B imports seal
theirs, and kept masked for display here, so the clear number never leaves this module: not into
a row, an event or a log line.

A person not real-name verified has no vouched-for name nor number: the licence keeps the case's
applicant name and an empty code. So does an account identity does not know (the subject came
from a token identity signed, so this means identity lost it; issuing without the code beats a
conclusion redelivered for ever). Any other failure (identity unreachable, overloaded) raises,
so the consumer's transaction rolls back and the bus redelivers the conclusion later rather than
issuing a licence without its holder.
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from govhall.kit.fieldcipher import FieldCipher
from govhall.kit.grpcclient import call_options, domain_error
from govhall.kit.validators import mask_id_number
from govhall.licences.access import SERVICE_CALLER
from govhall.licences.imports import HOLDER_CODE_CONTEXT
from govhall.protos.common.v1 import common_pb2
from govhall.protos.identity.v1 import identity_pb2, identity_pb2_grpc

_KINDS = {"person": common_pb2.CALLER_KIND_PERSON, "legal_person": common_pb2.CALLER_KIND_LEGAL_PERSON}


@dataclass(frozen=True)
class HolderFacts:
    """What a licence stores of its holder: the verified name ("" when identity vouches for
    none) and the code sealed and masked ("" and "" when there is none)."""

    name: str
    code_sealed: str
    code_masked: str


NOBODY = HolderFacts("", "", "")


class HolderIdentities:
    def __init__(self, identity: identity_pb2_grpc.IdentityServiceStub, cipher: FieldCipher) -> None:
        self.identity = identity
        self.cipher = cipher

    async def __call__(self, holder_kind: str, subject: str) -> HolderFacts:
        request = identity_pb2.GetHolderIdentityRequest(kind=_KINDS[holder_kind], subject=subject)
        try:
            found = await self.identity.GetHolderIdentity(request, **call_options(SERVICE_CALLER))
        except grpc.aio.AioRpcError as err:
            if err.code() == grpc.StatusCode.NOT_FOUND:
                return NOBODY
            raise domain_error(err) from None
        if not found.id_number:
            return HolderFacts(found.name, "", "")
        return HolderFacts(
            found.name,
            self.cipher.encrypt(found.id_number, HOLDER_CODE_CONTEXT),
            mask_id_number(found.id_number),
        )
