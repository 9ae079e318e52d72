"""Cases as the API shows them: domain values and rows into cases.v1 messages. No I/O here."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Sequence
from typing import Any, Final

from google.protobuf import json_format
from google.protobuf.timestamp_pb2 import Timestamp

from govhall.cases import forms, personal, values, vocabulary
from govhall.cases.clock import ClockReading, WarningLevel, read_clock
from govhall.cases.records import CaseRecord, aware
from govhall.cases.values import Case
from govhall.cases.vocabulary import CaseState
from govhall.kit.workdays import WorkingCalendar
from govhall.protos.cases.v1 import cases_pb2 as pb
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat

STATE_PB: Final = {s: getattr(pb, f"CASE_STATE_{s.name}") for s in CaseState}
PB_STATE: Final = {v: k for k, v in STATE_PB.items()}
TAB_PB: Final = {
    "待提交": pb.APPLICANT_TAB_DRAFT,
    "待补正": pb.APPLICANT_TAB_SUPPLEMENT,
    "审批中": pb.APPLICANT_TAB_IN_PROGRESS,
    "待评价": pb.APPLICANT_TAB_TO_EVALUATE,
    "已办结": pb.APPLICANT_TAB_DONE,
    "其他": pb.APPLICANT_TAB_OTHER,
}
PB_TAB_LABEL: Final = {v: k for k, v in TAB_PB.items()}
#: The states behind each tab (a list filter).
TAB_STATES: Final = {
    tab: [s.value for s, label in vocabulary.APPLICANT_TAB.items() if TAB_PB[label] == tab]
    for tab in TAB_PB.values()
}
LEVEL_PB: Final = {
    WarningLevel.NONE: pb.WARNING_LEVEL_NONE,
    WarningLevel.YELLOW: pb.WARNING_LEVEL_YELLOW,
    WarningLevel.RED: pb.WARNING_LEVEL_RED,
}
PB_LEVEL: Final = {v: k for k, v in LEVEL_PB.items()}


def ts(value: dt.datetime | None) -> Timestamp | None:
    if value is None:
        return None
    out = Timestamp()
    out.FromDatetime(value)
    return out


def today_in_china(now: dt.datetime) -> dt.date:
    return vocabulary.local_date(now)


def clock_message(reading: ClockReading | None) -> pb.Clock | None:
    if reading is None:
        return None
    deciding = reading.promised or reading.legal
    return pb.Clock(
        promised_due=reading.promised.due.isoformat() if reading.promised else "",
        legal_due=reading.legal.due.isoformat() if reading.legal else "",
        days_used=deciding.used if deciding else 0,
        days_left=deciding.left if deciding else 0,
        limit_days=deciding.limit.value if deciding else 0,
        level=LEVEL_PB[reading.warning],
        paused=reading.paused,
        provisional=reading.provisional,
        ended=reading.stopped,
        on_time=bool(reading.on_time),
    )


def read(case: Case, now: dt.datetime, calendar: WorkingCalendar) -> ClockReading | None:
    return read_clock(case, today_in_china(now), calendar=calendar)


def matter_of(rec: CaseRecord) -> cat.Matter:
    return cat.Matter.FromString(rec.matter)


def result_zh(case: Case) -> str:
    return case.result_code.zh if case.result_code is not None else ""


def origin_message(origin: Any) -> pb.CrossProvinceOrigin:
    """A cross-province case's origin (跨省通办), as kept on its application."""
    return json_format.ParseDict(origin, pb.CrossProvinceOrigin(), ignore_unknown_fields=True)


def case_message(
    rec: CaseRecord,
    *,
    now: dt.datetime,
    calendar: WorkingCalendar,
    flow_rows: Sequence[Any] = (),
    file_rows: Sequence[Any] = (),
    licence_rows: Sequence[Any] = (),
    document_rows: Sequence[Any] = (),
) -> pb.Case:
    case = rec.case
    matter = matter_of(rec)
    draft = matter.draft
    app = rec.application
    needs = forms.material_needs(draft.materials, draft.situations, app.answers)
    by_code: dict[str, list[pb.AttachedFile]] = {}
    for f in file_rows:
        by_code.setdefault(f.material_code, []).append(
            pb.AttachedFile(
                id=f.id,
                file_name=f.file_name,
                media_type=f.media_type,
                size=f.size,
                sha256=f.sha256,
                uploaded_at=ts(aware(f.uploaded_at)),
            )
        )
    licence_refs = {
        r.material_code: pb.MaterialLicence(
            grant_id=r.grant_id,
            licence_id=r.licence_id,
            identifier=r.identifier,
            type_code=r.type_code,
            type_name=r.type_name,
            level=r.level,
            granted_at=ts(aware(r.granted_at)),
        )
        for r in licence_rows
    }
    out = pb.Case(
        id=case.id,
        case_number=case.case_number,
        application_number=case.application_number,
        state=STATE_PB[case.state],
        state_zh=case.state.zh,
        tab=TAB_PB[case.applicant_tab],
        site_code=rec.site_code,
        matter_site_code=rec.matter_site_code,
        matter_code=case.matter_code,
        matter_version=rec.matter_version,
        matter_name=case.matter_name,
        department_code=case.department_code,
        department_name=rec.department_name,
        applicant=applicant_message(rec),
        form_json=personal.masked_json(forms.schema_of(draft.form_schema), app.form_json),
        situation_answers=[
            pb.SituationAnswer(situation_code=s, option_codes=list(o)) for s, o in app.answers
        ],
        materials=[
            pb.CaseMaterial(
                code=n.code,
                name=n.name,
                necessity=n.necessity,
                needed=n.needed,
                files=by_code.get(n.code, []),
                licence=licence_refs.get(n.code),
            )
            for n in needs
        ],
        steps=[
            pb.Step(
                code=s.code,
                name=s.name,
                role=s.role,
                current=i == case.step_index
                and case.state in (*vocabulary.IN_REVIEW, CaseState.SPECIAL_PROCEDURE),
            )
            for i, s in enumerate(case.steps)
        ],
        result_code=-1 if case.result_code is None else int(case.result_code),
        result_zh=result_zh(case),
        result_reason=case.result_reason,
        flow=[flow_message(r) for r in flow_rows],
        documents=[document_message(d) for d in document_rows],
        notice=draft.guide.notice,
        form_schema=draft.form_schema,
        handling_type=cat.HandlingType.Name(draft.handling_type).removeprefix("HANDLING_TYPE_").lower(),
        revision=case.revision,
        created_at=ts(case.created_at),
        updated_at=ts(case.updated_at),
        submitted_at=ts(case.submitted_at),
        accepted_at=ts(case.accepted_at),
        ended_at=ts(case.ended_at),
    )
    if app.delivery:
        out.delivery.CopyFrom(delivery_message(app.delivery))
    if app.origin is not None:
        out.origin.CopyFrom(origin_message(app.origin))
    if case.supplement is not None:
        changed = supplement_changes(
            case.supplement, personal.comparable(app.form_json, app.sealed), file_rows
        )
        out.supplement.CopyFrom(
            pb.SupplementNotice(
                items=[
                    pb.SupplementItem(
                        material=i.material,
                        problem=i.problem,
                        field=i.field,
                        name=i.name or i.target,
                        changed=changed[i.target],
                    )
                    for i in case.supplement.items
                ],
                deadline=case.supplement.deadline.isoformat(),
                requested_at=ts(case.supplement.requested_at),
            )
        )
    clock = clock_message(read(case, now, calendar))
    if clock is not None:
        out.clock.CopyFrom(clock)
    return out


def applicant_message(rec: CaseRecord) -> pb.Applicant:
    applicant = rec.case.applicant
    return pb.Applicant(
        kind=applicant.kind.value,
        subject=applicant.subject,
        name=applicant.name,
        agent_subject=rec.agent_subject,
    )


def delivery_message(d: dict[str, str]) -> pb.Delivery:
    return pb.Delivery(
        method=pb.DeliveryMethod.Value(d.get("method", "DELIVERY_METHOD_PICK_UP")),
        address_id=d.get("address_id", ""),
        recipient=d.get("recipient", ""),
        mobile_masked=d.get("mobile_masked", ""),
        address_text=d.get("address_text", ""),
    )


def flow_message(r: Any) -> pb.FlowEntry:
    action = vocabulary.Action(r.action)
    return pb.FlowEntry(
        seq=r.seq,
        action=r.action,
        action_zh=action.zh,
        from_state=STATE_PB[CaseState(r.from_state)],
        to_state=STATE_PB[CaseState(r.to_state)],
        actor_kind=r.actor_kind,
        actor_name=r.actor_name,
        actor_role=r.actor_role,
        at=ts(aware(r.at)),
        opinion=r.opinion,
        outcome=r.outcome,
        step_code=r.step_code,
        step_name=r.step_name,
    )


def document_message(d: Any) -> pb.CaseDocument:
    return pb.CaseDocument(
        id=d.id,
        kind=KIND_PB[d.kind],
        title=d.title,
        issued_at=ts(aware(d.issued_at)),
        sha256=d.sha256,
        size=d.size,
        verification_code=d.verification_code,
    )


KIND_PB: Final = {
    "acceptance": pb.DOCUMENT_KIND_ACCEPTANCE,
    "not_accepted": pb.DOCUMENT_KIND_NOT_ACCEPTED,
    "supplement": pb.DOCUMENT_KIND_SUPPLEMENT,
    "approval": pb.DOCUMENT_KIND_APPROVAL,
    "denial": pb.DOCUMENT_KIND_DENIAL,
}


def summary_message(row: Any, *, now: dt.datetime, calendar: WorkingCalendar) -> pb.CaseSummary:
    """A list row, from the columns alone (the clock from the stored due date and level)."""
    state = CaseState(row.state)
    out = pb.CaseSummary(
        id=row.id,
        case_number=row.case_number or "",
        application_number=row.application_number or "",
        state=STATE_PB[state],
        state_zh=state.zh,
        tab=TAB_PB[vocabulary.APPLICANT_TAB[state]],
        matter_code=row.matter_code,
        matter_name=row.matter_name,
        site_code=row.site_code,
        department_code=row.department_code,
        department_name=row.department_name,
        applicant_name=row.applicant_name,
        current_step_name=row.current_step_name,
        current_role=row.current_role,
        created_at=ts(aware(row.created_at)),
        submitted_at=ts(aware(row.submitted_at)),
        accepted_at=ts(aware(row.accepted_at)),
        updated_at=ts(aware(row.updated_at)),
    )
    if row.due_date is not None:
        today = today_in_china(now)
        due = row.due_date
        ended = state in vocabulary.FINAL_STATES
        left = 0 if ended else calendar.working_days_between(today, due)
        # The stored due date is the deciding limit's: the promised one, else the legal one.
        promised = json.loads(row.domain).get("promised") is not None
        out.clock.CopyFrom(
            pb.Clock(
                promised_due=due.isoformat() if promised else "",
                legal_due="" if promised else due.isoformat(),
                days_left=left,
                days_used=row.working_days_used or 0,
                level=LEVEL_PB[WarningLevel(row.warning_level)],
                ended=ended,
                on_time=bool(row.on_time),
                paused=state in (CaseState.SPECIAL_PROCEDURE, CaseState.SUPPLEMENT_REQUESTED),
            )
        )
    return out


def field_value(form: Any, path: str) -> str:
    """The value at a form path ("agent.name") as canonical JSON text; "null" when absent."""
    value = form
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return json.dumps(value, ensure_ascii=False, sort_keys=True, separators=(",", ":"))


def supplement_changes(
    notice: values.SupplementNotice, form_json: str, file_rows: Sequence[Any]
) -> dict[str, bool]:
    """Per item (by material code or field path): has the applicant changed it since the notice?
    A material has a file uploaded after the notice; a field has a value other than it had.

    An item from before items were checked (no name: its material may be free text) counts as
    changed once any file came after the notice."""
    requested = notice.requested_at
    fresh = {f.material_code for f in file_rows if (aware(f.uploaded_at) or requested) > requested}
    form = json.loads(form_json or "{}")
    baseline = dict(notice.baseline)
    return {
        i.target: bool(fresh)
        if not i.name
        else (i.material in fresh)
        if i.material
        else field_value(form, i.field) != baseline.get(i.field, "null")
        for i in notice.items
    }
