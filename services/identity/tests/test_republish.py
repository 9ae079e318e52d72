"""identity's republish: every account's public state and every agent authorisation go through
the outbox again, for a consumer that joined after the stream dropped the history; never an ID
number or a mobile."""

from __future__ import annotations

from govhall.contracts import identity as contract
from govhall.identity.republish import republish
from govhall.kit.events import decode
from govhall.kit.testing import wait_until
from govhall.protos.identity.v1 import identity_pb2 as pb

from .conftest import Identity
from .test_legal_persons import enterprise, in_days


async def test_republish_sends_users_and_authorisations_and_no_personal_numbers(identity: Identity) -> None:
    rep_mobile, rep_id, rep = await identity.verified_person("吴代表")
    _, lp = await enterprise(identity, rep.access_token)
    agent_mobile, agent_id, _ = await identity.verified_person("郑经办")
    other_mobile, other_id, _ = await identity.verified_person("冯经办")
    unverified_mobile, unverified = await identity.register()

    async def grant(name: str, id_number: str) -> pb.AgentAuthorisation:
        request = pb.AuthoriseAgentRequest(
            legal_person_id=lp.id,
            agent_name=name,
            agent_id_number=id_number,
            scopes=["cases.view"],
            expires_at=in_days(30),
        )
        return await identity.call("AuthoriseAgent", request, rep.access_token)

    kept = await grant("郑经办", agent_id)
    revoked = await grant("冯经办", other_id)
    await identity.call(
        "RevokeAgent",
        pb.RevokeAgentRequest(legal_person_id=lp.id, authorisation_id=revoked.id),
        rep.access_token,
    )
    live = len(await identity.published("identity.agent.revoked"))
    assert live == 1
    before = len(identity.events)

    done = await republish(identity.host.db, chunk=2)  # several chunks
    # Four people and the legal person (staff none in this test's database).
    assert (done.users, done.authorisations) == (5, 2)
    # Registered for all five, verified for the three people and the legal person.
    expected = 5 + 4 + 2
    await wait_until(lambda: len(identity.events) - before >= expected, what="the republished events")
    again = identity.events[before:]
    assert len(again) == expected

    messages = [decode(d, contract.REGISTRY, "test") for d in again]
    registered = {m.user_id: m for m in messages if isinstance(m, pb.UserRegistered)}
    verified = {m.user_id: m for m in messages if isinstance(m, pb.UserVerified)}
    assert (
        registered[lp.id].name == "宜昌三峡食品有限公司"
        and registered[lp.id].kind == pb.ACCOUNT_KIND_LEGAL_PERSON
    )
    assert registered[unverified.id].kind == pb.ACCOUNT_KIND_PERSON and unverified.id not in verified
    assert sorted(m.name for m in verified.values() if m.user_id != lp.id) == ["冯经办", "吴代表", "郑经办"]
    authorised = [m.authorisation for m in messages if isinstance(m, pb.AgentAuthorised)]
    revoked_again = [m.authorisation for m in messages if isinstance(m, pb.AgentRevoked)]
    assert [(a.id, a.agent_name, a.legal_person_name, list(a.scopes)) for a in authorised] == [
        (kept.id, "郑经办", "宜昌三峡食品有限公司", ["cases.view"])
    ]
    assert [(a.id, a.status) for a in revoked_again] == [(revoked.id, pb.AUTHORISATION_STATUS_REVOKED)]
    assert revoked_again[0].HasField("revoked_at")
    # Ids, names and levels only.
    for delivery in again:
        for secret in (rep_mobile, rep_id, agent_mobile, agent_id, other_mobile, other_id, unverified_mobile):
            assert secret.encode() not in delivery.payload
        # Not even the masked mobile a live authorisation event carries.
        assert b"****" not in delivery.payload
