"""What cases' events make crossprovince send, and what it does with the receipts.

Receiving side (A), durable `crossprovince-handovers` on cases.handover.*: a handover queued by
the clerk (sending) is exported from cases and enqueued as a Handover; a supplement taken at the
window (supplement_sending) as a Supplement; the result handed to the applicant
(result_delivered) as an Acknowledge of B's ReturnResult. A Handover's receipt goes back to cases
(RecordHandoverAccepted: B's case number, or B's refusal).

Home side (B), durable `crossprovince-cases` on cases.case.*: every change of a case that came
from a partner (its CaseChanged has an origin) is reported back as a ReportStatus; when the case
ends, its result (ExportResult, asked again while a notice is still being rendered) as a
ReturnResult; approved with a licence (出证办结 of a matter linked to a licence type), with the
licence licences issued for the case (GetCaseLicence). Licences issues it on the same conclusion
event, so it may not be there yet: asked again a few times, then the event is left to the bus's
redelivery — a result is never returned without the licence the applicant is owed. Every message is keyed by what it is about, so a redelivered event sends nothing
twice (outgoing.py).
"""

from __future__ import annotations

import asyncio
import logging

import grpc
from google.protobuf.message import Message

from govhall.contracts import cases as cases_contract
from govhall.crossprovince.links import Links
from govhall.crossprovince.outgoing import Outgoing
from govhall.kit.events import Delivery, decode
from govhall.kit.grpcclient import call_options, domain_error
from govhall.protos.cases.v1 import cases_pb2 as cpb
from govhall.protos.cases.v1 import handovers_pb2 as hpb
from govhall.protos.cases.v1 import handovers_pb2_grpc
from govhall.protos.common.v1 import common_pb2
from govhall.protos.crossprovince.v1 import partner_pb2 as pb
from govhall.protos.licences.v1 import licences_pb2 as lpb
from govhall.protos.licences.v1 import licences_pb2_grpc

log = logging.getLogger(__name__)

ISSUED_RESULT = 0  # 出证办结 (cases' ResultCode.ISSUED): the result licences issue a licence on

HANDOVERS_DURABLE = "crossprovince-handovers"
HANDOVERS_SUBJECT = cases_contract.HANDOVER_PREFIX + "*"
CASES_DURABLE = "crossprovince-cases"
CASES_SUBJECT = cases_contract.EVENT_PREFIX + "*"
SERVICE_CALLER = common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_SERVICE, subject="crossprovince")
# Clock and evaluation events change nothing the receiving side follows.
_NOT_REPORTED = {
    cases_contract.OVERDUE_WARNING.subject,
    cases_contract.OVERDUE.subject,
    cases_contract.EVALUATED.subject,
}
STATE_ZH = {
    "CASE_STATE_SUBMITTED": "待预审",
    "CASE_STATE_SUPPLEMENT_REQUESTED": "待补正",
    "CASE_STATE_ACCEPTED": "已受理",
    "CASE_STATE_NOT_ACCEPTED": "不予受理",
    "CASE_STATE_UNDER_REVIEW": "审批中",
    "CASE_STATE_SPECIAL_PROCEDURE": "特别程序",
    "CASE_STATE_CONCLUDED_APPROVED": "办结（准予）",
    "CASE_STATE_CONCLUDED_DENIED": "办结（不予）",
    "CASE_STATE_TERMINATED": "异常办结",
    "CASE_STATE_WITHDRAWN": "已撤回",
    "CASE_STATE_EVALUATED": "已评价",
}


def body(message: Message) -> bytes:
    return message.SerializeToString(deterministic=True)


class Flow:
    def __init__(
        self,
        queue: Outgoing,
        cases: handovers_pb2_grpc.CaseHandoversServiceStub,
        links: Links,
        licences: licences_pb2_grpc.CaseLicencesServiceStub,
        *,
        result_attempts: int = 10,
        result_wait_seconds: float = 0.25,
    ) -> None:
        self.queue, self.cases, self.links, self.licences = queue, cases, links, licences
        self.result_attempts, self.result_wait = result_attempts, result_wait_seconds

    # Receiving side (A) ---------------------------------------------------------------------------

    async def on_handover(self, delivery: Delivery) -> None:
        message = decode(delivery, cases_contract.REGISTRY, HANDOVERS_DURABLE)
        if not isinstance(message, hpb.HandoverChanged):
            return
        hid, partner = message.handover_id, message.partner_province
        subject = delivery.subject
        if subject == cases_contract.HANDOVER_SENDING.subject:
            key = f"Handover:{hid}"
            if await self.queue.message_id(key) is None:
                handover = await self.cases.ExportHandover(
                    hpb.HandoverRef(handover_id=hid), **call_options(SERVICE_CALLER, 30.0)
                )
                await self.queue.enqueue(key, partner, "Handover", hid, body(handover))
        elif subject == cases_contract.HANDOVER_SUPPLEMENT_SENDING.subject:
            key = f"Supplement:{hid}:{message.supplement_seq}"
            if await self.queue.message_id(key) is None:
                supplement = await self.cases.ExportSupplement(
                    hpb.ExportSupplementRequest(handover_id=hid, supplement_seq=message.supplement_seq),
                    **call_options(SERVICE_CALLER, 30.0),
                )
                await self.queue.enqueue(key, partner, "Supplement", hid, body(supplement))
        elif subject == cases_contract.HANDOVER_RESULT_DELIVERED.subject:
            key = f"Acknowledge:{hid}"
            if await self.queue.message_id(key) is None:
                record = await self.cases.GetHandover(
                    hpb.HandoverRef(handover_id=hid), **call_options(SERVICE_CALLER)
                )
                link = await self.links.get(partner, hid)
                ack = pb.Acknowledgement(
                    handover_id=hid,
                    acknowledged_message_id=link.result_message_id if link else "",
                    delivered_by=record.delivered_by,
                )
                await self.queue.enqueue(key, partner, "Acknowledge", hid, body(ack))

    async def on_receipt(self, kind: str, subject_id: str, message_id: str, receipt: pb.Receipt) -> None:
        """A stored receipt, handed to cases where cases waits for it (idempotent there by id)."""
        if kind != "Handover":
            if receipt.status != pb.RECEIPT_STATUS_ACCEPTED:
                log.warning(
                    "partner refused %s %s: %s %s", kind, message_id, receipt.reason_code, receipt.reason
                )
            return
        await self.cases.RecordHandoverAccepted(
            hpb.RecordHandoverAcceptedRequest(
                handover_id=subject_id,
                message_id=message_id,
                status=receipt.status,
                reason=f"{receipt.reason_code}: {receipt.reason}" if receipt.reason_code else receipt.reason,
                accepted=pb.HandoverAccepted.FromString(receipt.body),
            ),
            **call_options(SERVICE_CALLER, 30.0),
        )

    # Home side (B) --------------------------------------------------------------------------------

    async def on_case(self, delivery: Delivery) -> None:
        message = decode(delivery, cases_contract.REGISTRY, CASES_DURABLE)
        if not isinstance(message, cpb.CaseChanged) or not message.origin.handover_id:
            return
        if delivery.subject in _NOT_REPORTED:
            return
        origin = message.origin
        state = cpb.CaseState.Name(message.state)
        occurred = message.meta.occurred_at.ToDatetime().isoformat(timespec="microseconds") + "Z"
        step = pb.RemoteStep(
            at=occurred,
            action=message.action,
            state=state,
            state_zh=STATE_ZH.get(state, ""),
            step_name=message.step_name,
            opinion=message.opinion,
            supplement=[
                pb.SupplementRequest(material_code=i.material, name=i.name, problem=i.problem, field=i.field)
                for i in message.supplement_items
            ],
            supplement_deadline=message.supplement_deadline,
            revision=message.revision,
        )
        number = message.application_number or message.case_number
        report = pb.StatusReport(handover_id=origin.handover_id, case_number=number, step=step)
        await self.queue.enqueue(
            f"ReportStatus:{message.case_id}:{message.revision}",
            origin.province,
            "ReportStatus",
            origin.handover_id,
            body(report),
        )
        if message.result_code >= 0:
            key = f"ReturnResult:{message.case_id}"
            if await self.queue.message_id(key) is None:
                result = await self._result(message.case_id)
                if message.result_code == ISSUED_RESULT:
                    licence = await self._licence(message.case_id, message.matter_code)
                    if licence is not None:
                        result.licence.CopyFrom(licence)
                await self.queue.enqueue(
                    key, origin.province, "ReturnResult", origin.handover_id, body(result)
                )

    async def _result(self, case_id: str) -> pb.HandoverResult:
        """The case's result; while a notice is still being rendered (DOCUMENT_PENDING) asked again
        a few times, then left to the bus's redelivery."""
        for attempt in range(self.result_attempts):
            try:
                result: pb.HandoverResult = await self.cases.ExportResult(
                    hpb.ExportResultRequest(case_id=case_id), **call_options(SERVICE_CALLER, 30.0)
                )
                return result
            except grpc.aio.AioRpcError as err:
                if domain_error(err).code != "DOCUMENT_PENDING" or attempt + 1 == self.result_attempts:
                    raise
            await asyncio.sleep(self.result_wait * (attempt + 1))
        raise AssertionError("unreachable")

    async def _licence(self, case_id: str, matter_code: str) -> pb.ResultLicence | None:
        """The licence issued for the case; None when its matter issues none. While the matter
        issues one and licences has not yet, asked again a few times, then LicencePending (the
        bus redelivers the conclusion)."""
        request = lpb.GetCaseLicenceRequest(case_id=case_id, matter_code=matter_code)
        for attempt in range(self.result_attempts):
            found = await self.licences.GetCaseLicence(request, **call_options(SERVICE_CALLER, 30.0))
            if not found.licence_matter:
                return None
            if found.licence.id:
                lic = found.licence
                result = pb.ResultLicence(
                    identifier=lic.identifier,
                    type_name=lic.type_name,
                    number=lic.number,
                    issued_on=lic.issued_on,
                    valid_until=lic.valid_until,
                )
                if found.HasField("file"):
                    result.file.CopyFrom(
                        pb.HandoverFile(
                            name=lic.type_name,
                            file_name=found.file.file_name,
                            media_type=found.file.media_type,
                            sha256=found.file.sha256,
                            content=found.file.content,
                        )
                    )
                return result
            await asyncio.sleep(self.result_wait * (attempt + 1))
        raise LicencePending(f"case {case_id}: its licence is not issued yet")


class LicencePending(Exception):
    """The case's matter issues a licence and licences has not issued it yet."""
