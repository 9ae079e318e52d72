"""Who is calling, re-checked on every call from the caller identity.

Persons act on their own account; a legal person is reached by its representative, its own
login or an agent whose authorisation is live *now* (read from this database, not from the
token). A token whose session has ended is refused here too, not only at the gateway.
"""

from __future__ import annotations

from datetime import datetime

from govhall.identity import model, sessionstore, store
from govhall.identity.deps import SESSION_ENDED
from govhall.identity.model import LEGAL_PERSON, PERSON, AccountRow, AuthorisationRow
from govhall.kit.caller import current_caller
from govhall.kit.db import Database, UnitOfWork
from govhall.kit.errors import DomainError, ErrorKind, not_found
from govhall.protos.common.v1 import common_pb2
from govhall.protos.identity.v1 import identity_pb2 as pb


async def signed_in(uow: UnitOfWork, *kinds: int) -> tuple[common_pb2.CallerIdentity, AccountRow]:
    """The caller's own account, if their session is still live and their kind allowed."""
    caller = current_caller()
    model.require_kind(caller, *(model.caller_kind(k) for k in kinds))
    await live_session(uow, caller)
    account = await store.get_account(uow, caller.subject)
    if account is None:
        raise SESSION_ENDED
    return caller, account


async def signed_in_at_once(db: Database, *kinds: int) -> tuple[common_pb2.CallerIdentity, AccountRow]:
    """`signed_in` in one statement (the session and the account joined) outside a transaction:
    for a read that needs nothing else (GetMe, on every signed-in page), one round trip to the
    database where `signed_in` in a reader takes four."""
    caller = current_caller()
    model.require_kind(caller, *(model.caller_kind(k) for k in kinds))
    async with db.reader(transaction=False) as uow:
        found = await store.account_and_session(uow.conn, caller.subject, caller.session_id)
    if found is None:
        raise SESSION_ENDED
    account, session = found
    if caller.session_id and not sessionstore.session_live(session, store.now()):
        raise SESSION_ENDED
    return caller, account


async def live_session(uow: UnitOfWork, caller: common_pb2.CallerIdentity) -> None:
    """A token names its session: refuse it once the session has ended (logout, new password)."""
    if caller.session_id:
        session = await sessionstore.get_session(uow, caller.session_id)
        if not sessionstore.session_live(session, store.now()):
            raise SESSION_ENDED


async def person(uow: UnitOfWork) -> AccountRow:
    """A natural person acting for themselves (not an agent acting for a legal person)."""
    _, account = await signed_in(uow, PERSON)
    return account


async def relation(uow: UnitOfWork, legal_person: AccountRow) -> str:
    """How the caller may reach a legal person: representative, self, agent or admin.

    The caller's session must already have been checked (`signed_in`, `live_session`)."""
    caller = current_caller()
    now = store.now()
    if caller.kind in (common_pb2.CALLER_KIND_ADMIN, common_pb2.CALLER_KIND_SERVICE):
        return "admin"
    if caller.kind == common_pb2.CALLER_KIND_PERSON:
        if legal_person.representative_id == caller.subject:
            return "representative"
        if await live_authorisation(uow, legal_person.id, caller.subject, now):
            return "agent"
    elif caller.kind == common_pb2.CALLER_KIND_LEGAL_PERSON and caller.subject == legal_person.id:
        if not caller.actor_subject:
            return "self"
        if caller.actor_subject == legal_person.representative_id:
            return "representative"
        grant = (
            await store.get_authorisation(uow, caller.authorisation_id) if caller.authorisation_id else None
        )
        if (
            grant
            and grant.agent_id == caller.actor_subject
            and grant.status(now) == pb.AUTHORISATION_STATUS_ACTIVE
        ):
            return "agent"
        raise authorisation_ended()
    # Someone else's legal person: as if it did not exist.
    raise not_found("legal person", "法人", legal_person.id)


def authorisation_ended() -> DomainError:
    return DomainError(
        "AGENT_AUTHORISATION_ENDED",
        "your authorisation to act for this legal person has ended (revoked or expired)",
        "您对该单位的经办授权已失效（已撤销或已过期），如需继续办理请联系法定代表人重新授权",
        ErrorKind.FORBIDDEN,
    )


async def agent_may(uow: UnitOfWork, scope: str) -> None:
    """An agent acting for a legal person may do what their authorisation's scopes say, and no
    more; the representative and the legal person's own login may do everything."""
    caller = current_caller()
    if not caller.actor_subject:
        return
    grant = await store.get_authorisation(uow, caller.authorisation_id) if caller.authorisation_id else None
    if grant is None:  # the representative acting: no authorisation needed
        return
    if not model.grants(grant.scopes, scope):
        raise DomainError(
            "AGENT_SCOPE_MISSING",
            f"your authorisation for this legal person does not include {scope}",
            f"您的经办授权不包含“{model.SCOPES[scope]}”，请联系法定代表人授权",
            ErrorKind.FORBIDDEN,
        )


async def live_authorisation(
    uow: UnitOfWork, legal_person_id: str, agent_id: str, now: datetime
) -> AuthorisationRow | None:
    live = await store.authorisations(uow, legal_person_id=legal_person_id, agent_id=agent_id, live_at=now)
    return live[0] if live else None


async def legal_person(uow: UnitOfWork, legal_person_id: str) -> AccountRow:
    account = await store.get_account(uow, legal_person_id) if legal_person_id else None
    if account is None or account.kind != LEGAL_PERSON:
        raise not_found("legal person", "法人", legal_person_id)
    return account
