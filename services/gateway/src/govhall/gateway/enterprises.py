"""Enterprises (法人) and their agents (经办人授权), acting for an enterprise; staff accounts."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Path
from google.protobuf.timestamp_pb2 import Timestamp

from govhall.gateway import identity_model as m
from govhall.gateway.auth import Admin, SignedIn
from govhall.gateway.upstreams import Upstreams
from govhall.kit.errors import invalid
from govhall.protos.identity.v1 import identity_pb2 as pb


def enterprise_routes(up: Callable[[], Upstreams]) -> APIRouter:
    router = APIRouter()

    # Enterprises and agents ------------------------------------------------------------

    @router.post(
        "/api/v1/enterprises",
        tags=["enterprises"],
        status_code=201,
        summary="Register a legal person (法人注册) as its representative",
        operation_id="registerEnterprise",
    )
    async def register_enterprise(body: m.EnterpriseIn, caller: SignedIn) -> m.EnterpriseOut:
        request = pb.RegisterLegalPersonRequest(
            credit_code=body.credit_code,
            name=body.name,
            type=m.LEGAL_PERSON_TYPES[body.type][0],
            password=body.password,  # type: ignore[arg-type]
        )
        return m.enterprise_out(await up().identity.call(lambda s: s.RegisterLegalPerson, request, caller))

    @router.get(
        "/api/v1/me/enterprises",
        tags=["enterprises"],
        summary="Enterprises I represent or act for",
        operation_id="myEnterprises",
    )
    async def my_enterprises(caller: SignedIn) -> list[m.EnterpriseOut]:
        reply = await up().identity.call(
            lambda s: s.ListMyLegalPersons, pb.ListMyLegalPersonsRequest(), caller
        )
        return [m.enterprise_out(e) for e in reply.legal_persons]

    @router.get(
        "/api/v1/enterprises/{enterprise_id}",
        tags=["enterprises"],
        summary="An enterprise",
        operation_id="getEnterprise",
    )
    async def get_enterprise(enterprise_id: m.IdPath, caller: SignedIn) -> m.EnterpriseOut:
        return m.enterprise_out(
            await up().identity.call(
                lambda s: s.GetLegalPerson, pb.GetLegalPersonRequest(id=enterprise_id), caller
            )
        )

    @router.get(
        "/api/v1/enterprises/{enterprise_id}/agents",
        tags=["enterprises"],
        summary="Agent authorisations (经办人授权)",
        operation_id="listAgents",
    )
    async def list_agents(enterprise_id: m.IdPath, caller: SignedIn) -> list[m.AuthorisationOut]:
        reply = await up().identity.call(
            lambda s: s.ListAgents, pb.ListAgentsRequest(legal_person_id=enterprise_id), caller
        )
        return [m.authorisation_out(a) for a in reply.authorisations]

    @router.post(
        "/api/v1/enterprises/{enterprise_id}/agents",
        tags=["enterprises"],
        status_code=201,
        summary="Authorise an agent",
        operation_id="authoriseAgent",
    )
    async def authorise_agent(
        enterprise_id: m.IdPath, body: m.AgentIn, caller: SignedIn
    ) -> m.AuthorisationOut:
        if body.expires_at.tzinfo is None:
            raise invalid(
                "EXPIRES_AT_NO_OFFSET",
                "give expires_at with a UTC offset",
                "授权截止时间须包含时区",
                "expires_at",
            )
        expires = Timestamp()
        expires.FromDatetime(body.expires_at)
        request = pb.AuthoriseAgentRequest(
            legal_person_id=enterprise_id,
            agent_name=body.agent_name,
            agent_id_number=body.agent_id_number,
            scopes=list(body.scopes),
            expires_at=expires,
        )
        return m.authorisation_out(await up().identity.call(lambda s: s.AuthoriseAgent, request, caller))

    @router.delete(
        "/api/v1/enterprises/{enterprise_id}/agents/{authorisation_id}",
        tags=["enterprises"],
        summary="Revoke an agent's authorisation",
        operation_id="revokeAgent",
    )
    async def revoke_agent(
        enterprise_id: m.IdPath, authorisation_id: m.IdPath, caller: SignedIn
    ) -> m.AuthorisationOut:
        request = pb.RevokeAgentRequest(legal_person_id=enterprise_id, authorisation_id=authorisation_id)
        return m.authorisation_out(await up().identity.call(lambda s: s.RevokeAgent, request, caller))

    @router.post(
        "/api/v1/enterprises/{enterprise_id}/act",
        tags=["enterprises"],
        summary="Act for the enterprise: a token for it",
        operation_id="actAs",
    )
    async def act_as(enterprise_id: m.IdPath, caller: SignedIn) -> m.TokensOut:
        return m.tokens_out(
            await up().identity.call(
                lambda s: s.ActAs, pb.ActAsRequest(legal_person_id=enterprise_id), caller
            )
        )

    # Staff --------------------------------------------------------------------------------

    @router.post(
        "/api/v1/admin/staff",
        tags=["staff"],
        status_code=201,
        summary="Create a staff account",
        operation_id="createStaff",
    )
    async def create_staff(body: m.StaffIn, caller: Admin) -> m.StaffOut:
        request = pb.CreateStaffRequest(**body.model_dump())
        return m.staff_out(await up().identity.call(lambda s: s.CreateStaff, request, caller))

    @router.get(
        "/api/v1/admin/sites/{site}/staff", tags=["staff"], summary="A site's staff", operation_id="listStaff"
    )
    async def list_staff(site: Annotated[str, Path(pattern=r"^\d{6}$")], caller: Admin) -> list[m.StaffOut]:
        reply = await up().identity.call(lambda s: s.ListStaff, pb.ListStaffRequest(site_code=site), caller)
        return [m.staff_out(s) for s in reply.staff]

    @router.post(
        "/api/v1/admin/staff/{staff_id}/unlock",
        tags=["staff"],
        summary="Lift a staff member's login lock-out (site administrators of their site or above)",
        operation_id="unlockStaff",
    )
    async def unlock_staff(staff_id: m.IdPath, caller: Admin) -> m.StaffOut:
        return m.staff_out(
            await up().identity.call(
                lambda s: s.UnlockStaff, pb.UnlockStaffRequest(staff_id=staff_id), caller
            )
        )

    return router
