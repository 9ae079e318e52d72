"""The partner endpoint's handlers that reach cases (endpoint.py receives, verifies and receipts).

Home side (B): Handover → cases.ReceiveHandover (the receipt's body is HandoverAccepted: B's case
id and number); Supplement → cases.ReceiveSupplement; GetHandoverStatus → the case the handover
became, as cases has it now; Acknowledge → kept with the handover's link. Receiving side (A):
ReportStatus → cases.RecordRemoteStep; ReturnResult → cases.RecordHandoverResult.

Cases is idempotent by the message id, so two copies racing through the endpoint make one change.
A business refusal by cases (bad body, unknown matter, wrong state) is a REJECTED receipt naming
its code, kept like any other; cases being away raises, so no receipt is given and the partner
sends again (server.py answers UNAVAILABLE).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any

import grpc
from google.protobuf.message import DecodeError

from govhall.crossprovince.endpoint import Handler
from govhall.crossprovince.flow import SERVICE_CALLER, STATE_ZH, body
from govhall.crossprovince.links import Links
from govhall.kit.errors import ErrorKind
from govhall.kit.grpcclient import call_options, domain_error
from govhall.protos.cases.v1 import cases_pb2 as cpb
from govhall.protos.cases.v1 import cases_pb2_grpc, handovers_pb2_grpc
from govhall.protos.cases.v1 import handovers_pb2 as hpb
from govhall.protos.crossprovince.v1 import partner_pb2 as pb

Reply = tuple["pb.ReceiptStatus.ValueType", str, str, bytes]
ACCEPTED = pb.RECEIPT_STATUS_ACCEPTED
REJECTED = pb.RECEIPT_STATUS_REJECTED
# Cases' answers that are about the message, not about cases being away: a REJECTED receipt.
_REFUSALS = {
    ErrorKind.INVALID,
    ErrorKind.NOT_FOUND,
    ErrorKind.CONFLICT,
    ErrorKind.WRONG_STATE,
    ErrorKind.UNPROCESSABLE,
    ErrorKind.FORBIDDEN,
}


def _rejected(code: str, reason: str) -> Reply:
    return REJECTED, code, reason, b""


def _handler(parse: type[Any], act: Callable[[str, str, Any], Awaitable[Reply]]) -> Handler:
    async def handle(sender: str, message_id: str, raw: bytes) -> Reply:
        try:
            message = parse.FromString(raw)
        except DecodeError:
            return _rejected("BAD_BODY", f"the body is not a {parse.__name__}")
        try:
            return await act(sender, message_id, message)
        except grpc.aio.AioRpcError as err:
            refusal = domain_error(err)
            if refusal.kind in _REFUSALS:
                return _rejected(refusal.code, f"{refusal.message} / {refusal.message_zh}")
            raise

    return handle


def handlers(
    handovers: handovers_pb2_grpc.CaseHandoversServiceStub,
    cases: cases_pb2_grpc.CasesServiceStub,
    links: Links,
) -> dict[str, Handler]:
    async def handover(sender: str, message_id: str, h: pb.Handover) -> Reply:
        accepted: pb.HandoverAccepted = await handovers.ReceiveHandover(
            hpb.ReceiveHandoverRequest(message_id=message_id, sender=sender, handover=h),
            **call_options(SERVICE_CALLER, 30.0),
        )
        await links.put(
            sender, h.handover_id, "home", case_id=accepted.case_id, case_number=accepted.case_number
        )
        return ACCEPTED, "", "", body(accepted)

    async def supplement(sender: str, message_id: str, s: pb.SupplementSent) -> Reply:
        await handovers.ReceiveSupplement(
            hpb.ReceiveSupplementRequest(message_id=message_id, sender=sender, supplement=s),
            **call_options(SERVICE_CALLER, 30.0),
        )
        return ACCEPTED, "", "", b""

    async def status(sender: str, _message_id: str, q: pb.HandoverStatusQuery) -> Reply:
        link = await links.get(sender, q.handover_id)
        if link is None or link.side != "home":
            return _rejected("HANDOVER_NOT_FOUND", "no such handover from you")
        case: cpb.Case = await cases.GetCase(
            cpb.GetCaseRequest(case_id=link.case_id), **call_options(SERVICE_CALLER, 30.0)
        )
        state = cpb.CaseState.Name(case.state)
        reply = pb.HandoverStatus(
            handover_id=q.handover_id,
            case_number=case.application_number or link.case_number,
            state=state,
            state_zh=STATE_ZH.get(state, ""),
        )
        return ACCEPTED, "", "", body(reply)

    async def acknowledge(sender: str, message_id: str, a: pb.Acknowledgement) -> Reply:
        link = await links.get(sender, a.handover_id)
        if link is None or link.side != "home":
            return _rejected("HANDOVER_NOT_FOUND", "no such handover from you")
        await links.put(
            sender,
            a.handover_id,
            "home",
            acknowledged_message_id=message_id,
            delivered_by=a.delivered_by[:20],
        )
        return ACCEPTED, "", "", b""

    async def ours_with(sender: str, handover_id: str) -> bool:
        """A handover of ours that went to ``sender``: no partner reports on another's."""
        try:
            record: hpb.HandoverRecord = await handovers.GetHandover(
                hpb.HandoverRef(handover_id=handover_id), **call_options(SERVICE_CALLER, 30.0)
            )
        except grpc.aio.AioRpcError as err:
            if domain_error(err).kind == ErrorKind.NOT_FOUND:
                return False
            raise
        return record.direction == "outgoing" and record.partner_province == sender

    async def report(sender: str, message_id: str, r: pb.StatusReport) -> Reply:
        if not await ours_with(sender, r.handover_id):
            return _rejected("HANDOVER_NOT_FOUND", "no such handover sent to you")
        await handovers.RecordRemoteStep(
            hpb.RecordRemoteStepRequest(message_id=message_id, report=r), **call_options(SERVICE_CALLER, 30.0)
        )
        return ACCEPTED, "", "", b""

    async def result(sender: str, message_id: str, r: pb.HandoverResult) -> Reply:
        if not await ours_with(sender, r.handover_id):
            return _rejected("HANDOVER_NOT_FOUND", "no such handover sent to you")
        # The link first: once cases shows the result, A's clerk may deliver it at once, and the
        # Acknowledge must then name this message (a refused result is never delivered).
        await links.put(sender, r.handover_id, "receiving", result_message_id=message_id)
        await handovers.RecordHandoverResult(
            hpb.RecordHandoverResultRequest(message_id=message_id, result=r),
            **call_options(SERVICE_CALLER, 30.0),
        )
        return ACCEPTED, "", "", b""

    return {
        "Handover": _handler(pb.Handover, handover),
        "Supplement": _handler(pb.SupplementSent, supplement),
        "GetHandoverStatus": _handler(pb.HandoverStatusQuery, status),
        "Acknowledge": _handler(pb.Acknowledgement, acknowledge),
        "ReportStatus": _handler(pb.StatusReport, report),
        "ReturnResult": _handler(pb.HandoverResult, result),
    }
