"""GetNotifyMobile: the mobile consult texts a notification to, read when it sends (never kept
by consult), for consult alone."""

from __future__ import annotations

import json
from pathlib import Path

from govhall.identity.adapters import latest_dev_code
from govhall.protos.common.v1 import common_pb2
from govhall.protos.identity.v1 import identity_pb2 as pb

from .conftest import SERVICE, Identity
from .test_legal_persons import enterprise

CONSULT = common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_SERVICE, subject="consult")
PERSON, LEGAL_PERSON = common_pb2.CALLER_KIND_PERSON, common_pb2.CALLER_KIND_LEGAL_PERSON


def ask(kind: common_pb2.CallerKind.ValueType, subject: str) -> pb.GetNotifyMobileRequest:
    return pb.GetNotifyMobileRequest(kind=kind, subject=subject)


async def test_consult_reads_a_persons_mobile_and_a_legal_persons_representatives(
    identity: Identity,
) -> None:
    mobile, _, rep = await identity.verified_person("周法人")
    me = await identity.call("GetMe", pb.GetMeRequest(), rep.access_token)
    found = await identity.call("GetNotifyMobile", ask(PERSON, me.id), CONSULT)
    assert found.mobile == mobile

    _, lp = await enterprise(identity, rep.access_token)
    found = await identity.call("GetNotifyMobile", ask(LEGAL_PERSON, lp.id), CONSULT)
    assert found.mobile == mobile
    # The kind must match the account: a person's id asked as a legal person is not found.
    await identity.fails(
        "ACCOUNT_NOT_FOUND", identity.call("GetNotifyMobile", ask(LEGAL_PERSON, me.id), CONSULT)
    )
    await identity.fails(
        "ACCOUNT_NOT_FOUND", identity.call("GetNotifyMobile", ask(PERSON, "nobody"), CONSULT)
    )
    await identity.fails(
        "KIND_INVALID", identity.call("GetNotifyMobile", ask(common_pb2.CALLER_KIND_STAFF, me.id), CONSULT)
    )
    await identity.fails("SUBJECT_REQUIRED", identity.call("GetNotifyMobile", ask(PERSON, ""), CONSULT))


async def test_nobody_but_consult_reads_a_mobile_to_notify(identity: Identity) -> None:
    _, _, tokens = await identity.verified_person()
    me = await identity.call("GetMe", pb.GetMeRequest(), tokens.access_token)
    # The person themselves through the gateway, and cases (a service allowed other methods).
    await identity.fails(
        "FORBIDDEN", identity.call("GetNotifyMobile", ask(PERSON, me.id), tokens.access_token)
    )
    await identity.fails(
        "CALLER_NOT_PERMITTED", identity.call("GetNotifyMobile", ask(PERSON, me.id), SERVICE)
    )


def test_a_notification_in_the_dev_sms_file_is_not_read_as_a_code(tmp_path: Path) -> None:
    """Consult's development sender writes to identity's file; the codes stay findable."""
    sms = tmp_path / "dev-sms.jsonl"
    lines = [
        {"mobile": "13900000001", "purpose": "register", "code": "123456", "text": "验证码"},
        {"mobile": "13900000001", "purpose": "notify", "code": "", "text": "您申请的事项已受理"},
    ]
    sms.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines), encoding="utf-8")
    assert latest_dev_code(sms, "13900000001") == "123456"
