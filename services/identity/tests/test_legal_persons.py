"""Legal persons (法人), their representative and agents (经办人)."""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime, timedelta

from google.protobuf.timestamp_pb2 import Timestamp

from govhall.protos.common.v1 import common_pb2
from govhall.protos.identity.v1 import identity_pb2 as pb

from .conftest import SERVICE, Identity, new_credit_code, new_id_number

PASSWORD = "Corp-pass-2026"


def in_days(days: float) -> Timestamp:
    ts = Timestamp()
    ts.FromDatetime(datetime.now(UTC) + timedelta(days=days))
    return ts


async def enterprise(
    identity: Identity, token: str, name: str = "宜昌三峡食品有限公司"
) -> tuple[str, pb.LegalPerson]:
    code = new_credit_code()
    request = pb.RegisterLegalPersonRequest(
        credit_code=code, name=name, type=pb.LEGAL_PERSON_TYPE_ENTERPRISE, password=PASSWORD
    )
    return code, await identity.call("RegisterLegalPerson", request, token)


async def test_only_a_real_name_person_registers_a_legal_person(identity: Identity) -> None:
    mobile, _ = await identity.register()
    unverified = await identity.login(mobile)
    await identity.fails("REAL_NAME_REQUIRED", enterprise(identity, unverified.access_token))
    _, _, rep = await identity.verified_person("周法人")
    code, lp = await enterprise(identity, rep.access_token)
    assert lp.relation == "representative" and lp.representative_name == "周法人" and lp.credit_code == code
    await identity.fails(
        "CREDIT_CODE_TAKEN",
        identity.call(
            "RegisterLegalPerson",
            pb.RegisterLegalPersonRequest(
                credit_code=code, name="另一家公司", type=pb.LEGAL_PERSON_TYPE_ENTERPRISE, password=PASSWORD
            ),
            rep.access_token,
        ),
    )
    bad = code[:17] + ("0" if code[17] != "0" else "1")
    await identity.fails(
        "CREDIT_CODE_BAD_CHECK_CHAR",
        identity.call(
            "RegisterLegalPerson",
            pb.RegisterLegalPersonRequest(
                credit_code=bad, name="某公司", type=pb.LEGAL_PERSON_TYPE_ENTERPRISE, password=PASSWORD
            ),
            rep.access_token,
        ),
    )
    await identity.fails(
        "LEGAL_PERSON_TYPE_INVALID",
        identity.call(
            "RegisterLegalPerson",
            pb.RegisterLegalPersonRequest(credit_code=new_credit_code(), name="某公司", password=PASSWORD),
            rep.access_token,
        ),
    )
    registered = [
        pb.UserRegistered.FromString(e.payload)
        for e in identity.events
        if e.subject == "identity.user.registered"
    ]
    assert any(
        r.kind == pb.ACCOUNT_KIND_LEGAL_PERSON and r.name == "宜昌三峡食品有限公司" for r in registered
    )


async def test_legal_person_logs_in_by_credit_code_or_certificate(identity: Identity) -> None:
    _, _, rep = await identity.verified_person()
    code, lp = await enterprise(identity, rep.access_token)
    pair = await identity.call(
        "Login", pb.LoginRequest(legal_person=pb.LegalPersonLogin(credit_code=code, password=PASSWORD))
    )
    caller = await identity.verifier.verify(pair.access_token)
    assert caller.kind == common_pb2.CALLER_KIND_LEGAL_PERSON and caller.subject == lp.id
    assert (
        await identity.call("GetLegalPerson", pb.GetLegalPersonRequest(id=lp.id), pair.access_token)
    ).relation == "self"
    await identity.fails(
        "LOGIN_FAILED",
        identity.call(
            "Login",
            pb.LoginRequest(legal_person=pb.LegalPersonLogin(credit_code=code, password="Wrong-pass-1")),
        ),
    )
    certificate, challenge = f"DEV-CERT:{code}".encode(), b"challenge-0123456789"
    login = pb.CertificateLogin(
        credit_code=code,
        certificate=certificate,
        challenge=challenge,
        signature=hashlib.sha256(certificate + challenge).digest(),
    )
    assert (await identity.call("Login", pb.LoginRequest(certificate=login))).account.id == lp.id
    login.signature = b"forged"
    await identity.fails("CERTIFICATE_INVALID", identity.call("Login", pb.LoginRequest(certificate=login)))


async def test_agent_acts_only_while_authorised(identity: Identity) -> None:
    _, _, rep = await identity.verified_person("吴代表")
    _, lp = await enterprise(identity, rep.access_token)
    _, agent_id_number, agent = await identity.verified_person("郑经办")
    _, _, stranger = await identity.verified_person("冯路人")

    # Before: the agent has nothing.
    assert (
        list(
            (
                await identity.call("ListMyLegalPersons", pb.ListMyLegalPersonsRequest(), agent.access_token)
            ).legal_persons
        )
        == []
    )
    await identity.fails(
        "LEGAL_PERSON_NOT_FOUND",
        identity.call("ActAs", pb.ActAsRequest(legal_person_id=lp.id), agent.access_token),
    )

    grant_request = pb.AuthoriseAgentRequest(
        legal_person_id=lp.id,
        agent_name="郑经办",
        agent_id_number=agent_id_number,
        scopes=["cases.apply", "cases.view"],
        expires_at=in_days(30),
    )
    # Only the representative (or the legal person's own login) may authorise.
    await identity.fails(
        "LEGAL_PERSON_NOT_FOUND", identity.call("AuthoriseAgent", grant_request, stranger.access_token)
    )
    wrong_name = pb.AuthoriseAgentRequest()
    wrong_name.CopyFrom(grant_request)
    wrong_name.agent_name = "郑不对"
    await identity.fails("AGENT_NOT_FOUND", identity.call("AuthoriseAgent", wrong_name, rep.access_token))
    bad_scope = pb.AuthoriseAgentRequest()
    bad_scope.CopyFrom(grant_request)
    bad_scope.scopes[:] = ["everything"]
    await identity.fails("SCOPE_INVALID", identity.call("AuthoriseAgent", bad_scope, rep.access_token))
    grant = await identity.call("AuthoriseAgent", grant_request, rep.access_token)
    assert grant.status == pb.AUTHORISATION_STATUS_ACTIVE and grant.agent_name == "郑经办"
    await identity.fails(
        "AGENT_ALREADY_AUTHORISED", identity.call("AuthoriseAgent", grant_request, rep.access_token)
    )

    # The agent sees the enterprise and acts for it.
    mine = (
        await identity.call("ListMyLegalPersons", pb.ListMyLegalPersonsRequest(), agent.access_token)
    ).legal_persons
    assert [(m.id, m.relation, list(m.scopes)) for m in mine] == [
        (lp.id, "agent", ["cases.apply", "cases.view"])
    ]
    acting = await identity.call("ActAs", pb.ActAsRequest(legal_person_id=lp.id), agent.access_token)
    as_agent = await identity.verifier.verify(acting.access_token)
    assert (
        as_agent.subject == lp.id
        and as_agent.actor_subject == grant.agent_id
        and as_agent.authorisation_id == grant.id
    )
    assert (
        await identity.call("GetLegalPerson", pb.GetLegalPersonRequest(id=lp.id), acting.access_token)
    ).relation == "agent"
    # An agent cannot hand the enterprise on.
    await identity.fails(
        "FORBIDDEN",
        identity.call("ListAgents", pb.ListAgentsRequest(legal_person_id=lp.id), acting.access_token),
    )
    checked = await identity.call(
        "CheckAgent",
        pb.CheckAgentRequest(legal_person_id=lp.id, agent_id=grant.agent_id, scope="cases.apply"),
        SERVICE,
    )
    assert checked.allowed and checked.authorisation_id == grant.id
    out_of_scope = await identity.call(
        "CheckAgent",
        pb.CheckAgentRequest(legal_person_id=lp.id, agent_id=grant.agent_id, scope="licences.view"),
        SERVICE,
    )
    assert not out_of_scope.allowed
    await identity.fails(
        "FORBIDDEN",
        identity.call(
            "CheckAgent",
            pb.CheckAgentRequest(legal_person_id=lp.id, agent_id=grant.agent_id),
            agent.access_token,
        ),
    )

    # Revoke: at once, the agent no longer acts, at the gateway or in identity.
    revoked = await identity.call(
        "RevokeAgent",
        pb.RevokeAgentRequest(legal_person_id=lp.id, authorisation_id=grant.id),
        rep.access_token,
    )
    assert revoked.status == pb.AUTHORISATION_STATUS_REVOKED and revoked.HasField("revoked_at")
    await identity.fails("TOKEN_REVOKED", identity.verifier.verify(acting.access_token))
    await identity.fails(
        "AGENT_AUTHORISATION_ENDED",
        identity.call("GetLegalPerson", pb.GetLegalPersonRequest(id=lp.id), as_agent),
    )
    assert (
        list(
            (
                await identity.call("ListMyLegalPersons", pb.ListMyLegalPersonsRequest(), agent.access_token)
            ).legal_persons
        )
        == []
    )
    # The former agent is told their authorisation ended, in both languages, not "not found".
    ended = await identity.fails(
        "AGENT_AUTHORISATION_ENDED",
        identity.call("ActAs", pb.ActAsRequest(legal_person_id=lp.id), agent.access_token),
    )
    assert ended.kind.http_status == 403 and "ended" in ended.message and "授权已失效" in ended.message_zh
    # Someone never authorised still learns nothing about the enterprise.
    await identity.fails(
        "LEGAL_PERSON_NOT_FOUND",
        identity.call("ActAs", pb.ActAsRequest(legal_person_id=lp.id), stranger.access_token),
    )
    assert not (
        await identity.call(
            "CheckAgent", pb.CheckAgentRequest(legal_person_id=lp.id, agent_id=grant.agent_id), SERVICE
        )
    ).allowed
    await identity.fails(
        "AUTHORISATION_NOT_ACTIVE",
        identity.call(
            "RevokeAgent",
            pb.RevokeAgentRequest(legal_person_id=lp.id, authorisation_id=grant.id),
            rep.access_token,
        ),
    )

    listed = (
        await identity.call("ListAgents", pb.ListAgentsRequest(legal_person_id=lp.id), rep.access_token)
    ).authorisations
    assert [a.status for a in listed] == [pb.AUTHORISATION_STATUS_REVOKED]
    subjects = [e.subject for e in identity.events]
    assert subjects.count("identity.agent.authorised") == 1 and subjects.count("identity.agent.revoked") == 1
    assert agent_id_number.encode() not in b"".join(e.payload for e in identity.events)


async def test_an_expired_authorisation_stops_working(identity: Identity) -> None:
    _, _, rep = await identity.verified_person("陈代表")
    _, lp = await enterprise(identity, rep.access_token)
    _, agent_id_number, agent = await identity.verified_person("褚经办")
    request = pb.AuthoriseAgentRequest(
        legal_person_id=lp.id,
        agent_name="褚经办",
        agent_id_number=agent_id_number,
        scopes=["cases.view"],
        expires_at=in_days(-1),
    )
    await identity.fails(
        "AUTHORISATION_EXPIRY_INVALID", identity.call("AuthoriseAgent", request, rep.access_token)
    )
    request.expires_at.CopyFrom(in_days(1))
    grant = await identity.call("AuthoriseAgent", request, rep.access_token)
    acting = await identity.call("ActAs", pb.ActAsRequest(legal_person_id=lp.id), agent.access_token)
    await identity.age_authorisation(grant.id)
    as_agent = await identity.plain.verify(acting.access_token)
    await identity.fails(
        "AGENT_AUTHORISATION_ENDED",
        identity.call("GetLegalPerson", pb.GetLegalPersonRequest(id=lp.id), as_agent),
    )
    listed = (
        await identity.call("ListAgents", pb.ListAgentsRequest(legal_person_id=lp.id), rep.access_token)
    ).authorisations
    assert listed[0].status == pb.AUTHORISATION_STATUS_EXPIRED


async def test_the_representative_acts_with_every_scope(identity: Identity) -> None:
    _, _, rep = await identity.verified_person("蒋代表")
    _, lp = await enterprise(identity, rep.access_token)
    acting = await identity.call("ActAs", pb.ActAsRequest(legal_person_id=lp.id), rep.access_token)
    caller = await identity.verifier.verify(acting.access_token)
    assert caller.subject == lp.id and not caller.authorisation_id and "cases.apply" in caller.scopes
    assert (
        await identity.call("GetLegalPerson", pb.GetLegalPersonRequest(id=lp.id), acting.access_token)
    ).relation == "representative"
    agents = await identity.call(
        "ListAgents", pb.ListAgentsRequest(legal_person_id=lp.id), acting.access_token
    )
    assert list(agents.authorisations) == []
    # Logging the representative out ends the acting token too (it rides on their session).
    await identity.call("Logout", pb.LogoutRequest(), rep.access_token)
    await identity.fails("TOKEN_REVOKED", identity.verifier.verify(acting.access_token))


async def test_a_person_cannot_be_agent_by_an_unverified_account(identity: Identity) -> None:
    _, _, rep = await identity.verified_person("韩代表")
    _, lp = await enterprise(identity, rep.access_token)
    await identity.register()
    request = pb.AuthoriseAgentRequest(
        legal_person_id=lp.id,
        agent_name="杨某",
        agent_id_number=new_id_number(),
        scopes=["cases.view"],
        expires_at=in_days(5),
    )
    await identity.fails("AGENT_NOT_FOUND", identity.call("AuthoriseAgent", request, rep.access_token))


async def test_an_agent_token_ends_with_its_authorisation(identity: Identity) -> None:
    _, _, rep = await identity.verified_person("秦代表")
    _, lp = await enterprise(identity, rep.access_token)
    _, agent_id_number, agent = await identity.verified_person("尤经办")
    request = pb.AuthoriseAgentRequest(
        legal_person_id=lp.id,
        agent_name="尤经办",
        agent_id_number=agent_id_number,
        scopes=["cases.view"],
        expires_at=in_days(2 / 1440),  # two minutes
    )
    await identity.call("AuthoriseAgent", request, rep.access_token)
    acting = await identity.call("ActAs", pb.ActAsRequest(legal_person_id=lp.id), agent.access_token)
    claims = json.loads(base64.urlsafe_b64decode(acting.access_token.split(".")[1] + "=="))
    assert claims["exp"] - claims["iat"] <= 120 and acting.expires_in_seconds <= 120
    assert not acting.refresh_token
