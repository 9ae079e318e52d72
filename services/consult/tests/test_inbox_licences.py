"""Licences' events in 我的消息: an issued and a revoked licence each become exactly one message for
the holder, rendered from the event's notice (consult never calls licences back); a subject
without a template (suspended) makes none."""

from __future__ import annotations

from govhall.contracts import licences as licences_contract
from govhall.kit.events import Event, make_event
from govhall.protos.common.v1 import common_pb2 as C
from govhall.protos.consult.v1 import inbox_pb2 as pb
from govhall.protos.licences.v1 import events_pb2 as ev

from .conftest import person
from .inbox_support import InboxWorld, inbox_world_fixture  # noqa: F401 - the fixture


def licence_event(name: str, state: str, reason: str = "") -> Event:
    message = ev.LicenceChanged(
        licence_id="licence-1",
        identifier="1.2.156.3005.2.11100000000013338W011.11420502MB1234567X.20260000001.001.K",
        number="JY14205020000001",
        type_code="11100000000013338W011",
        type_name="食品经营许可证",
        level="A",
        state=state,
        reason=reason,
        holder_kind=C.CALLER_KIND_PERSON,
        holder_subject="person-1",
        issuer_department_code="420502-SCJG",
        revision=1,
        notice=C.UserNotice(
            recipient_kind=C.CALLER_KIND_PERSON,
            recipient_subject="person-1",
            object_id="licence-1",
            object_number="JY14205020000001",
            title="食品经营许可证",
            site_name="西陵区市场监督管理局",
            reason=reason,
        ),
    )
    return make_event(licences_contract.licence(name), message, "420502")


async def test_issued_and_revoked_licences_become_one_message_each(inbox_world: InboxWorld) -> None:
    w = inbox_world
    issued = licence_event("issued", "valid")
    revoked = licence_event("revoked", "revoked", reason="以欺骗手段取得许可")
    for event in (issued, issued, revoked, revoked):  # each delivered twice
        await w.bus.publish(event)
    await w.bus.publish(licence_event("suspended", "suspended", reason="停业整顿"))  # no template

    page = await w.call("ListMessages", pb.ListMessagesRequest(page=C.PageRequest()), person(1))
    by_subject = {m.subject: m for m in page.messages}
    assert page.page.total == 2 and set(by_subject) == {"licences.licence.issued", "licences.licence.revoked"}
    got = by_subject["licences.licence.issued"]
    assert got.title == "证照已签发：食品经营许可证" and "JY14205020000001" in got.body
    assert "西陵区市场监督管理局" in got.body and (got.link_kind, got.link_id) == ("licence", "licence-1")
    assert "以欺骗手段取得许可" in by_subject["licences.licence.revoked"].body
    other = await w.call("ListMessages", pb.ListMessagesRequest(page=C.PageRequest()), person(2))
    assert other.page.total == 0
