"""An agent does what their authorisation's scopes say, in a session of their own."""

from __future__ import annotations

from govhall.protos.identity.v1 import identity_pb2 as pb

from .conftest import SERVICE, Identity
from .test_legal_persons import enterprise, in_days
from .test_staff_and_addresses import address


async def _agent(identity: Identity, scopes: list[str], name: str) -> tuple[pb.LegalPerson, str, str]:
    """An enterprise, and an agent of it with these scopes: (enterprise, agent's token, acting token)."""
    _, _, rep = await identity.verified_person("王代表")
    _, lp = await enterprise(identity, rep.access_token)
    _, id_number, agent = await identity.verified_person(name)
    request = pb.AuthoriseAgentRequest(
        legal_person_id=lp.id,
        agent_name=name,
        agent_id_number=id_number,
        scopes=scopes,
        expires_at=in_days(30),
    )
    await identity.call("AuthoriseAgent", request, rep.access_token)
    acting = await identity.call("ActAs", pb.ActAsRequest(legal_person_id=lp.id), agent.access_token)
    return lp, agent.access_token, acting.access_token


async def test_logging_out_an_acting_token_leaves_the_agent_signed_in(identity: Identity) -> None:
    _, own, acting = await _agent(identity, ["cases.apply"], "李经办")
    own_caller = await identity.verifier.verify(own)
    acting_caller = await identity.verifier.verify(acting)
    assert acting_caller.session_id and acting_caller.session_id != own_caller.session_id

    await identity.call("Logout", pb.LogoutRequest(), acting)
    await identity.fails("TOKEN_REVOKED", identity.verifier.verify(acting))
    await identity.fails(
        "SESSION_ENDED", identity.call("GetMe", pb.GetMeRequest(), await identity.plain.verify(acting))
    )
    # The agent's own session goes on.
    assert (await identity.call("GetMe", pb.GetMeRequest(), own)).kind == pb.ACCOUNT_KIND_PERSON


async def test_logging_the_agent_out_ends_their_acting_tokens_too(identity: Identity) -> None:
    lp, own, acting = await _agent(identity, ["cases.apply"], "周经办")
    await identity.call("Logout", pb.LogoutRequest(), own)
    await identity.fails("TOKEN_REVOKED", identity.verifier.verify(acting))
    await identity.fails(
        "SESSION_ENDED",
        identity.call(
            "GetLegalPerson", pb.GetLegalPersonRequest(id=lp.id), await identity.plain.verify(acting)
        ),
    )


async def test_the_address_book_follows_the_agents_scopes(identity: Identity) -> None:
    _, _, viewer = await _agent(identity, ["cases.view"], "吴查看")
    # cases.view reads the enterprise's addresses (where results go) but does not change them.
    assert list((await identity.call("ListAddresses", pb.ListAddressesRequest(), viewer)).addresses) == []
    refused = await identity.fails("AGENT_SCOPE_MISSING", identity.call("SaveAddress", address(), viewer))
    assert refused.kind.http_status == 403 and "申报办件" in refused.message_zh

    _, _, stranger_scope = await _agent(identity, ["licences.view"], "郑证照")
    await identity.fails(
        "AGENT_SCOPE_MISSING", identity.call("ListAddresses", pb.ListAddressesRequest(), stranger_scope)
    )
    await identity.fails("AGENT_SCOPE_MISSING", identity.call("SaveAddress", address(), stranger_scope))

    _, _, applicant = await _agent(identity, ["cases.apply"], "冯申报")
    saved = await identity.call("SaveAddress", address(), applicant)
    assert [
        a.id for a in (await identity.call("ListAddresses", pb.ListAddressesRequest(), applicant)).addresses
    ] == [saved.id]
    await identity.call("DeleteAddress", pb.DeleteAddressRequest(id=saved.id), applicant)


async def test_check_agent_answers_for_what_each_scope_means(identity: Identity) -> None:
    lp, own, _ = await _agent(identity, ["cases.view"], "陈查看")
    viewer = await identity.verifier.verify(own)

    async def allowed(legal_person: str, agent: str, scope: str) -> bool:
        request = pb.CheckAgentRequest(legal_person_id=legal_person, agent_id=agent, scope=scope)
        return bool((await identity.call("CheckAgent", request, SERVICE)).allowed)

    assert await allowed(lp.id, viewer.subject, "cases.view")
    assert not await allowed(lp.id, viewer.subject, "cases.apply")
    lp2, own2, _ = await _agent(identity, ["cases.apply"], "褚申报")
    applicant = await identity.verifier.verify(own2)
    # Whoever applies follows their cases.
    assert await allowed(lp2.id, applicant.subject, "cases.view")
    assert await allowed(lp2.id, applicant.subject, "cases.apply")
    assert not await allowed(lp2.id, applicant.subject, "licences.view")
