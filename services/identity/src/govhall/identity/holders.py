"""Who a licence is issued to (licences' level-A issuance, 出证): the holder's verified name and
ID number, or a legal person's name and unified social credit code.

Licences asks once, when it issues, and keeps the number encrypted under its own key and shown
masked. The number leaves identity in clear only here, so only the licences service reaches this:
callers.json lets licences call it (and nothing else of identity), and the calling service is
checked again from the signed caller assertion, so a service later allowed other methods does not
get the numbers with them. Nothing here logs the number.

A person not real-name verified has neither a vouched-for name nor a number: both are empty
(licences then keeps the case's applicant name and no code).
"""

from __future__ import annotations

from govhall.identity.deps import ID_NUMBER, Deps
from govhall.identity.model import LEGAL_PERSON
from govhall.identity.notify import account_of
from govhall.kit.caller import current_caller
from govhall.kit.errors import forbidden
from govhall.protos.common.v1 import common_pb2
from govhall.protos.identity.v1 import identity_pb2 as pb

# The one service that may read a holder's number.
READER = "licences"


async def holder_identity(deps: Deps, request: pb.GetHolderIdentityRequest) -> pb.HolderIdentity:
    caller = current_caller()
    if caller.kind != common_pb2.CALLER_KIND_SERVICE or caller.subject != READER:
        raise forbidden("only the licences service reads a holder's identity", "仅证照服务可读取持证人身份")
    async with deps.db.reader() as uow:
        kind, account = await account_of(uow, request.kind, request.subject)
    level = account.level
    if kind == LEGAL_PERSON:
        return pb.HolderIdentity(
            name=account.name,
            id_type=pb.HOLDER_ID_TYPE_CREDIT_CODE,
            id_number=account.credit_code or "",
            real_name_level=level,  # type: ignore[arg-type]
        )
    if level < pb.REAL_NAME_LEVEL_REAL_NAME or not account.id_number_enc:
        return pb.HolderIdentity(real_name_level=level)  # type: ignore[arg-type]
    return pb.HolderIdentity(
        name=account.name,
        id_type=pb.HOLDER_ID_TYPE_RESIDENT_ID,
        id_number=deps.cipher.decrypt(account.id_number_enc, ID_NUMBER),
        real_name_level=level,  # type: ignore[arg-type]
    )
