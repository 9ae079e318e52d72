"""The mobile a notification is texted to (consult's inbox SMS: 受理, 补正, 办结).

Consult keeps no mobile: it asks here when it sends and forgets the number after. A person is
texted on their own mobile; a legal person on its representative's (the one accountable for its
applications). Only a service caller reaches this, and callers.json lets only consult call it.
"""

from __future__ import annotations

from govhall.identity import store
from govhall.identity.deps import Deps
from govhall.identity.model import LEGAL_PERSON, PERSON, AccountRow
from govhall.kit.caller import current_caller
from govhall.kit.db import UnitOfWork
from govhall.kit.errors import forbidden, invalid, not_found
from govhall.protos.common.v1 import common_pb2
from govhall.protos.identity.v1 import identity_pb2 as pb

_KINDS = {common_pb2.CALLER_KIND_PERSON: PERSON, common_pb2.CALLER_KIND_LEGAL_PERSON: LEGAL_PERSON}


async def account_of(
    uow: UnitOfWork, kind_asked: common_pb2.CallerKind.ValueType, subject: str
) -> tuple[str, AccountRow]:
    """The person or legal person a service asks about (GetNotifyMobile, GetHolderIdentity): the
    kind checked, the subject required, and 404 when no account of that kind has it."""
    kind = _KINDS.get(kind_asked)
    if kind is None:
        raise invalid("KIND_INVALID", "kind is a person or a legal person", "类型应为个人或法人", "kind")
    if not subject:
        raise invalid("SUBJECT_REQUIRED", "subject is required", "请提供用户标识", "subject")
    account = await store.get_account(uow, subject)
    if account is None or account.kind != kind:
        raise not_found("account", "账户", subject)
    return kind, account


async def notify_mobile(deps: Deps, request: pb.GetNotifyMobileRequest) -> pb.GetNotifyMobileResponse:
    if current_caller().kind != common_pb2.CALLER_KIND_SERVICE:
        raise forbidden("only the consult service reads a mobile to notify", "仅咨询服务可读取通知手机号")
    async with deps.db.reader() as uow:
        kind, found = await account_of(uow, request.kind, request.subject)
        account = found
        if kind == LEGAL_PERSON:
            account = await store.get_account(uow, found.representative_id or "")
    if account is None or not account.mobile_enc:
        return pb.GetNotifyMobileResponse()
    return pb.GetNotifyMobileResponse(mobile=deps.mobile_of(account))
