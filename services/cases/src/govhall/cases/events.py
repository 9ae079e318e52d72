"""What the cases service publishes, and what it consumes.

Publishes (through the outbox, in the transaction that made the change), each subject and its
message declared once in `govhall.contracts.cases`:
- every transition as a CaseChanged on ``cases.case.<action>``: submitted (the catalogue counts
  hot services from it), accepted, not_accepted, supplement_requested, resubmitted,
  step_completed, step_returned, special_procedure_started, special_procedure_ended, concluded,
  terminated, withdrawn, evaluated;
- the clock's ``cases.case.overdue_warning`` (entering 黄牌 or 红牌) and ``cases.case.overdue``
  (entering 红牌), from the sweep;
- 跨省通办 at the receiving window, a HandoverChanged on ``cases.handover.<action>`` (sending,
  supplement_sending, result_delivered for crossprovince to send; forwarded, rejected,
  remote_step, result_received), written by handovers_records.save. A cross-province case's
  CaseChanged carries its ``origin``, so crossprovince knows to report it back.

Consumes the catalogue's site events (``catalogue.site.upserted.<code>``) into its copy of the site tree (statistics over a region).
"""

from __future__ import annotations

from govhall import sitecopy
from govhall.cases import values, views, vocabulary
from govhall.cases.records import CaseRecord
from govhall.cases.tables import sites
from govhall.contracts import cases as contract
from govhall.kit.events import Event, make_event
from govhall.kit.service import ServiceContext
from govhall.protos.cases.v1 import cases_pb2 as pb

# Every event about a case names it as its aggregate: the outbox relay keeps one case's events in
# order and publishes different cases' events concurrently (their subjects carry no case id).


def _state(state: vocabulary.CaseState) -> pb.CaseState.ValueType:
    return pb.CaseState.Value(f"CASE_STATE_{state.name}")


def changed_message(rec: CaseRecord, action: str = "") -> pb.CaseChanged:
    case = rec.case
    message = pb.CaseChanged(
        case_id=case.id,
        case_number=case.case_number,
        application_number=case.application_number,
        matter_code=case.matter_code,
        matter_name=case.matter_name,
        site_code=rec.site_code,
        department_code=case.department_code,
        state=_state(case.state),
        from_state=_state(case.state),
        action=action,
        result_code=-1 if case.result_code is None else int(case.result_code),
        applicant=views.applicant_message(rec),
        revision=case.revision,
        matter_version=rec.matter_version,
        matter_site_code=rec.matter_site_code,
    )
    if rec.application.origin is not None:
        message.origin.CopyFrom(views.origin_message(rec.application.origin))
    return message


def case_event(subject: str, rec: CaseRecord, entry: values.HistoryEntry, notice_title: str = "") -> Event:
    """The event of one transition; notice_title names the notice (文书) it issued, if any."""
    message = changed_message(rec, entry.action.value)
    message.from_state = _state(entry.from_state)
    message.step_code = entry.step_code
    message.step_name = entry.step_name
    message.opinion = entry.opinion
    message.notice_title = notice_title
    notice = rec.case.supplement
    if entry.action is vocabulary.Action.REQUEST_SUPPLEMENT and notice is not None:
        # 一次性告知: the applicant's inbox says what is missing without calling cases back.
        message.supplement_deadline = notice.deadline.isoformat()
        message.supplement_items.extend(
            pb.SupplementItem(material=i.material, problem=i.problem, field=i.field, name=i.name)
            for i in notice.items
        )
    if rec.case.state is vocabulary.CaseState.CONCLUDED_APPROVED:
        message.result_name = views.matter_of(rec).draft.result_name
    return make_event(contract.REGISTRY[subject], message, rec.site_code, ordering_key=rec.case.id)


def clock_event(subject: str, rec: CaseRecord, level: pb.WarningLevel.ValueType, due: str) -> Event:
    message = changed_message(rec, "clock")
    message.level = level
    message.due = due
    return make_event(contract.REGISTRY[subject], message, rec.site_code, ordering_key=rec.case.id)


async def subscribe(ctx: ServiceContext, consumer: str) -> None:
    await sitecopy.subscribe(ctx, sites, durable=consumer)
