"""CheckSmsCode: consult consumes an anonymous letter writer's code (SMS_PURPOSE_LETTER), once;
nobody else may ask, and the purpose keeps it off login and registration codes."""

from __future__ import annotations

from govhall.protos.common.v1 import common_pb2
from govhall.protos.identity.v1 import identity_pb2 as pb

from .conftest import Identity, new_mobile

CONSULT = common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_SERVICE, subject="consult")
CASES = common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_SERVICE, subject="cases")
ANONYMOUS = common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_ANONYMOUS)


async def test_consult_consumes_a_letter_code_once(identity: Identity) -> None:
    mobile = new_mobile()  # not registered: anyone may write a letter
    code = await identity.send_code(mobile, pb.SMS_PURPOSE_LETTER, client_ip="203.0.113.9")
    request = pb.CheckSmsCodeRequest(mobile=mobile, purpose=pb.SMS_PURPOSE_LETTER, code=code)
    wrong = pb.CheckSmsCodeRequest(mobile=mobile, purpose=pb.SMS_PURPOSE_LETTER, code="000000")
    if code != "000000":
        await identity.fails("SMS_CODE_WRONG", identity.call("CheckSmsCode", wrong, CONSULT))
    reply = await identity.call("CheckSmsCode", request, CONSULT)
    assert reply.mobile_masked == mobile[:3] + "****" + mobile[-4:]
    await identity.fails("SMS_CODE_USED", identity.call("CheckSmsCode", request, CONSULT))


async def test_only_consult_and_only_service_purposes(identity: Identity) -> None:
    mobile = new_mobile()
    code = await identity.send_code(mobile, pb.SMS_PURPOSE_LETTER)
    request = pb.CheckSmsCodeRequest(mobile=mobile, purpose=pb.SMS_PURPOSE_LETTER, code=code)
    # The gateway (any user) and other services are not consult.
    await identity.fails("FORBIDDEN", identity.call("CheckSmsCode", request, ANONYMOUS))
    await identity.fails("CALLER_NOT_PERMITTED", identity.call("CheckSmsCode", request, CASES))
    # A login code cannot be spent through it.
    login = pb.CheckSmsCodeRequest(mobile=mobile, purpose=pb.SMS_PURPOSE_LOGIN, code=code)
    await identity.fails("SMS_PURPOSE_INVALID", identity.call("CheckSmsCode", login, CONSULT))
    # Still unused after those refusals.
    assert (await identity.call("CheckSmsCode", request, CONSULT)).mobile_masked
