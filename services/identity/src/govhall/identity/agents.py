"""Agents (经办人): authorised by a legal person's representative, acting for it while authorised."""

from __future__ import annotations

import logging
from datetime import UTC, timedelta

from govhall.identity import access, events, model, sessionstore, store
from govhall.identity.deps import ID_NUMBER, Deps, ts
from govhall.identity.model import PERSON, AccountRow, AuthorisationRow
from govhall.kit.caller import current_caller
from govhall.kit.db import UnitOfWork
from govhall.kit.errors import DomainError, ErrorKind, forbidden, invalid, not_found
from govhall.kit.ids import new_id
from govhall.kit.kv import StoreUnavailable
from govhall.kit.validators import mask_mobile, parse_id_number
from govhall.protos.common.v1 import common_pb2
from govhall.protos.identity.v1 import identity_pb2 as pb

log = logging.getLogger(__name__)


async def _manageable(uow: UnitOfWork, legal_person_id: str) -> AccountRow:
    await access.live_session(uow, current_caller())
    legal_person = await access.legal_person(uow, legal_person_id)
    if await access.relation(uow, legal_person) not in ("representative", "self"):
        raise forbidden(
            "only the legal representative manages agents", "仅法定代表人或单位账号可管理经办人授权"
        )
    return legal_person


def _view(
    deps: Deps, grant: AuthorisationRow, legal_person: AccountRow, agent: AccountRow | None
) -> pb.AgentAuthorisation:
    view = pb.AgentAuthorisation(
        id=grant.id,
        legal_person_id=legal_person.id,
        legal_person_name=legal_person.name,
        agent_id=grant.agent_id,
        agent_name=agent.name if agent else "",
        agent_mobile_masked=mask_mobile(deps.mobile_of(agent)) if agent and agent.mobile_enc else "",
        scopes=grant.scopes,
        expires_at=ts(grant.expires_at),
        status=grant.status(store.now()),  # type: ignore[arg-type]
        created_at=ts(grant.created_at),
    )
    if grant.revoked_at:
        view.revoked_at.FromDatetime(grant.revoked_at)
    return view


async def authorise(deps: Deps, request: pb.AuthoriseAgentRequest) -> pb.AgentAuthorisation:
    name = model.check_person_name(request.agent_name, "agent_name")
    id_number = parse_id_number(request.agent_id_number, field="agent_id_number")
    scopes = model.check_scopes(list(request.scopes))
    now = store.now()
    if not request.HasField("expires_at"):
        raise invalid(
            "AUTHORISATION_EXPIRY_INVALID",
            "set when the authorisation ends",
            "请设置授权截止时间",
            "expires_at",
        )
    expires_at = model.check_authorisation_expiry(request.expires_at.ToDatetime(tzinfo=UTC), now)
    async with deps.db.uow() as uow:
        legal_person = await _manageable(uow, request.legal_person_id)
        agent = await store.find_account(uow, PERSON, id_number_idx=deps.idx(id_number, ID_NUMBER))
        if agent is None or agent.name != name or agent.level < pb.REAL_NAME_LEVEL_REAL_NAME:
            raise DomainError(
                "AGENT_NOT_FOUND",
                "no real-name verified person with that name and ID number",
                "未找到该实名用户，请核对姓名和身份证号，并确认其已完成实名认证",
                ErrorKind.NOT_FOUND,
            )
        if agent.id == legal_person.representative_id:
            raise invalid(
                "AGENT_IS_REPRESENTATIVE",
                "the legal representative needs no authorisation",
                "法定代表人无需授权",
            )
        if await access.live_authorisation(uow, legal_person.id, agent.id, now):
            raise DomainError(
                "AGENT_ALREADY_AUTHORISED",
                "this person already holds a live authorisation; revoke it first to change it",
                "该经办人已有有效授权，如需变更请先撤销",
                ErrorKind.CONFLICT,
            )
        grant = AuthorisationRow(new_id(), legal_person.id, agent.id, scopes, expires_at, now)
        await store.insert_authorisation(uow, grant)
        view = _view(deps, grant, legal_person, agent)
        uow.emit(events.agent_authorised(view))
        await uow.commit()
    return view


async def revoke(deps: Deps, request: pb.RevokeAgentRequest) -> pb.AgentAuthorisation:
    now = store.now()
    async with deps.db.uow() as uow:
        legal_person = await _manageable(uow, request.legal_person_id)
        grant = await store.get_authorisation(uow, request.authorisation_id, for_update=True)
        if grant is None or grant.legal_person_id != legal_person.id:
            raise not_found("authorisation", "授权", request.authorisation_id)
        if grant.status(now) != pb.AUTHORISATION_STATUS_ACTIVE:
            raise DomainError(
                "AUTHORISATION_NOT_ACTIVE",
                "this authorisation has already ended",
                "该授权已失效",
                ErrorKind.WRONG_STATE,
            )
        await store.revoke_authorisation(uow, grant.id, now)
        grant.revoked_at = now
        agent = await store.get_account(uow, grant.agent_id)
        view = _view(deps, grant, legal_person, agent)
        uow.emit(events.agent_revoked(view))
        await uow.commit()
    try:
        await deps.revocations.revoke_authorisation(grant.id)
    except StoreUnavailable:
        log.error("could not publish a revoked authorisation to the gateway store")
    return view


async def list_agents(deps: Deps, request: pb.ListAgentsRequest) -> pb.ListAgentsResponse:
    async with deps.db.reader() as uow:
        legal_person = await _manageable(uow, request.legal_person_id)
        grants = await store.authorisations(uow, legal_person_id=legal_person.id)
        agents = await store.accounts_by_id(uow, [g.agent_id for g in grants])
    return pb.ListAgentsResponse(
        authorisations=[_view(deps, g, legal_person, agents.get(g.agent_id)) for g in grants]
    )


async def act_as(deps: Deps, request: pb.ActAsRequest) -> pb.TokenPair:
    """A token for acting as the legal person, in a session of its own under the agent's:
    logging it out leaves the agent signed in, logging the agent out ends it too."""
    now = store.now()
    async with deps.db.reader() as uow:
        caller = current_caller()
        person = await access.person(uow)
        legal_person = await access.legal_person(uow, request.legal_person_id)
        try:
            relation = await access.relation(uow, legal_person)
        except DomainError as err:
            # A former agent knows the legal person: tell them their authorisation ended.
            if err.kind is ErrorKind.NOT_FOUND and await store.authorisations(
                uow, legal_person_id=legal_person.id, agent_id=person.id
            ):
                raise access.authorisation_ended() from None
            raise
        grant = (
            await access.live_authorisation(uow, legal_person.id, person.id, now)
            if relation == "agent"
            else None
        )
    if relation not in ("representative", "agent"):
        raise not_found("legal person", "法人", request.legal_person_id)
    # An agent's token ends with the authorisation, not only when it is revoked.
    expires_in = deps.settings.access_token_seconds
    if grant:
        expires_in = max(1, min(expires_in, int((grant.expires_at - now).total_seconds())))
    session_id = new_id()
    async with deps.db.uow() as uow:
        await sessionstore.insert_session(
            uow,
            session_id,
            person.id,
            now + timedelta(seconds=expires_in),
            "",
            parent_id=caller.session_id or None,
        )
        await uow.commit()
    acting = common_pb2.CallerIdentity(
        subject=legal_person.id,
        kind=common_pb2.CALLER_KIND_LEGAL_PERSON,
        name=legal_person.name,
        actor_subject=person.id,
        authorisation_id=grant.id if grant else "",
        scopes=grant.scopes if grant else sorted(model.SCOPES),
        real_name_level=person.level,
        session_id=session_id,
    )
    return pb.TokenPair(
        access_token=await deps.signer.sign(acting, expires_in),
        token_type="Bearer",
        expires_in_seconds=expires_in,
        account=deps.account_view(legal_person),
    )


async def check(deps: Deps, request: pb.CheckAgentRequest) -> pb.CheckAgentResponse:
    caller = current_caller()
    if caller.kind not in (common_pb2.CALLER_KIND_SERVICE, common_pb2.CALLER_KIND_ADMIN):
        raise forbidden("only services ask this", "仅限系统服务调用")
    async with deps.db.reader() as uow:
        legal_person = await access.legal_person(uow, request.legal_person_id)
        if legal_person.representative_id == request.agent_id:
            return pb.CheckAgentResponse(allowed=True)
        grant = await access.live_authorisation(uow, legal_person.id, request.agent_id, store.now())
    if grant is None or (request.scope and not model.grants(grant.scopes, request.scope)):
        return pb.CheckAgentResponse(allowed=False)
    return pb.CheckAgentResponse(allowed=True, authorisation_id=grant.id, expires_at=ts(grant.expires_at))
