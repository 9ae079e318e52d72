"""The events cases publishes (see `govhall.contracts` for why the registry lives here).

Every ``cases.case.*`` subject carries a CaseChanged, submission included (version 1): with
the case's revision, so consumers apply one case's changes in order, and its applicant, so
nobody calls cases back to learn who submitted. Before version 1, ``cases.case.submitted``
carried a CaseSubmitted, whose fields 3-5 clash with CaseChanged's; an envelope without a
message type on that subject is read as that (`legacy`).
"""

from __future__ import annotations

from typing import Final

from govhall.contracts.registry import EventType, Registry
from govhall.protos.cases.v1 import cases_pb2 as pb
from govhall.protos.cases.v1 import handovers_pb2 as hpb

EVENT_PREFIX: Final = "cases.case."


def _changed(subject: str, legacy: type[pb.CaseSubmitted] | None = None) -> EventType[pb.CaseChanged]:
    return EventType(subject, pb.CaseChanged, version=1, legacy=legacy)


# From the state machine (govhall.cases.model names them per transition).
SUBMITTED: Final = _changed(EVENT_PREFIX + "submitted", legacy=pb.CaseSubmitted)
WITHDRAWN: Final = _changed(EVENT_PREFIX + "withdrawn")
SUPPLEMENT_REQUESTED: Final = _changed(EVENT_PREFIX + "supplement_requested")
RESUBMITTED: Final = _changed(EVENT_PREFIX + "resubmitted")
ACCEPTED: Final = _changed(EVENT_PREFIX + "accepted")
NOT_ACCEPTED: Final = _changed(EVENT_PREFIX + "not_accepted")
STEP_COMPLETED: Final = _changed(EVENT_PREFIX + "step_completed")
STEP_RETURNED: Final = _changed(EVENT_PREFIX + "step_returned")
SPECIAL_PROCEDURE_STARTED: Final = _changed(EVENT_PREFIX + "special_procedure_started")
SPECIAL_PROCEDURE_ENDED: Final = _changed(EVENT_PREFIX + "special_procedure_ended")
CONCLUDED: Final = _changed(EVENT_PREFIX + "concluded")
TERMINATED: Final = _changed(EVENT_PREFIX + "terminated")
EVALUATED: Final = _changed(EVENT_PREFIX + "evaluated")
# From the clock's sweep: entering 黄牌 or 红牌, and entering 红牌.
OVERDUE_WARNING: Final = _changed(EVENT_PREFIX + "overdue_warning")
OVERDUE: Final = _changed(EVENT_PREFIX + "overdue")


# 跨省通办, receiving side (A): a HandoverChanged on ``cases.handover.<action>``. crossprovince
# sends on sending / supplement_sending / result_delivered; the others tell the applicant's inbox.
HANDOVER_PREFIX: Final = "cases.handover."


def _handover(action: str) -> EventType[hpb.HandoverChanged]:
    return EventType(HANDOVER_PREFIX + action, hpb.HandoverChanged, version=1)


HANDOVER_SENDING: Final = _handover("sending")
HANDOVER_SUPPLEMENT_SENDING: Final = _handover("supplement_sending")
HANDOVER_RESULT_DELIVERED: Final = _handover("result_delivered")
HANDOVER_FORWARDED: Final = _handover("forwarded")
HANDOVER_REJECTED: Final = _handover("rejected")
HANDOVER_REMOTE_STEP: Final = _handover("remote_step")
HANDOVER_RESULT_RECEIVED: Final = _handover("result_received")
HANDOVER_EVENTS: Final = (
    HANDOVER_SENDING,
    HANDOVER_SUPPLEMENT_SENDING,
    HANDOVER_RESULT_DELIVERED,
    HANDOVER_FORWARDED,
    HANDOVER_REJECTED,
    HANDOVER_REMOTE_STEP,
    HANDOVER_RESULT_RECEIVED,
)

REGISTRY: Final = Registry(
    "cases",
    [
        SUBMITTED,
        WITHDRAWN,
        SUPPLEMENT_REQUESTED,
        RESUBMITTED,
        ACCEPTED,
        NOT_ACCEPTED,
        STEP_COMPLETED,
        STEP_RETURNED,
        SPECIAL_PROCEDURE_STARTED,
        SPECIAL_PROCEDURE_ENDED,
        CONCLUDED,
        TERMINATED,
        EVALUATED,
        OVERDUE_WARNING,
        OVERDUE,
        *HANDOVER_EVENTS,
    ],
)
