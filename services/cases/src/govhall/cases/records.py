"""A case row and what it is in memory: the domain value to and from its JSON column, and the
:class:`CaseRecord` (the case and what the service keeps beside it) to and from a `cases` row.
No I/O here; store.py reads and writes the rows."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from govhall.cases import vocabulary
from govhall.cases.values import (
    Applicant,
    ApplicantKind,
    Case,
    LimitUnit,
    Pause,
    PauseKind,
    Step,
    SupplementItem,
    SupplementNotice,
    TimeLimit,
)
from govhall.cases.vocabulary import CaseState, ResultCode

# --------------------------------------------------------------------------------------------
# The domain value <-> JSON
# --------------------------------------------------------------------------------------------


def _ts(value: dt.datetime | None) -> str | None:
    return value.isoformat() if value else None


def _dt(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def _limit(value: TimeLimit | None) -> list[Any] | None:
    return [value.value, value.unit.value] if value else None


def _limit_back(value: list[Any] | None) -> TimeLimit | None:
    return TimeLimit(int(value[0]), LimitUnit(value[1])) if value else None


def domain_json(case: Case) -> str:
    """What the columns do not hold, as JSON."""
    notice = case.supplement
    body = {
        "steps": [[s.code, s.name, s.role, s.time_limit_days] for s in case.steps],
        "promised": _limit(case.promised_limit),
        "legal": _limit(case.legal_limit),
        "step_index": case.step_index,
        "evaluated_at": _ts(case.evaluated_at),
        "result_reason": case.result_reason,
        "supplement": None
        if notice is None
        else {
            "items": [[i.material, i.problem, i.field, i.name] for i in notice.items],
            "deadline": notice.deadline.isoformat(),
            "requested_at": _ts(notice.requested_at),
            "phase": notice.phase,
            "baseline": [list(pair) for pair in notice.baseline],
        },
        "supplement_phases": list(case.supplement_phases),
        "pauses": [
            {
                "kind": p.kind.value,
                "started_at": _ts(p.started_at),
                "ended_at": _ts(p.ended_at),
                "reason": p.reason,
                "procedure": p.procedure,
                "planned": _limit(p.planned),
                "result": p.result,
            }
            for p in case.pauses
        ],
        "resume_state": case.resume_state.value if case.resume_state else None,
    }
    return json.dumps(body, ensure_ascii=False, separators=(",", ":"))


def case_from_row(row: Any) -> Case:
    body = json.loads(row.domain)
    notice = body["supplement"]
    created = _dt(_iso(row.created_at))
    updated = _dt(_iso(row.updated_at))
    assert created is not None and updated is not None
    return Case(
        id=row.id,
        site_code=row.site_code,
        department_code=row.department_code,
        matter_code=row.matter_code,
        matter_name=row.matter_name,
        applicant=Applicant(ApplicantKind(row.applicant_kind), row.applicant_subject, row.applicant_name),
        steps=tuple(Step(c, n, r, int(d)) for c, n, r, d in body["steps"]),
        promised_limit=_limit_back(body["promised"]),
        legal_limit=_limit_back(body["legal"]),
        created_at=created,
        updated_at=updated,
        state=CaseState(row.state),
        revision=int(row.revision),
        step_index=int(body["step_index"]),
        case_number=row.case_number or "",
        application_number=row.application_number or "",
        submitted_at=aware(row.submitted_at),
        accepted_at=aware(row.accepted_at),
        ended_at=aware(row.ended_at),
        evaluated_at=_dt(body["evaluated_at"]),
        result_code=None if row.result_code is None else ResultCode(row.result_code),
        result_reason=body["result_reason"],
        supplement=None
        if notice is None
        else SupplementNotice(
            # Items written before form fields could be named are [material, problem].
            tuple(SupplementItem(*item) for item in notice["items"]),
            dt.date.fromisoformat(notice["deadline"]),
            _dt(notice["requested_at"]) or created,
            notice["phase"],
            tuple((f, v) for f, v in notice.get("baseline", [])),
        ),
        supplement_phases=tuple(body["supplement_phases"]),
        pauses=tuple(
            Pause(
                PauseKind(p["kind"]),
                _dt(p["started_at"]) or created,
                _dt(p["ended_at"]),
                p["reason"],
                p["procedure"],
                _limit_back(p["planned"]),
                p["result"],
            )
            for p in body["pauses"]
        ),
        resume_state=CaseState(body["resume_state"]) if body["resume_state"] else None,
    )


def aware(value: dt.datetime | None) -> dt.datetime | None:
    """SQLite hands back naive datetimes (stored as UTC); PostgreSQL aware ones."""
    if value is None:
        return None
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _iso(value: dt.datetime) -> str:
    stamped = aware(value)
    assert stamped is not None
    return stamped.isoformat()


# --------------------------------------------------------------------------------------------
# Rows
# --------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Application:
    """What the applicant filled in: the form, the situation answers, delivery. Personal numbers
    in the form are masked there and kept encrypted in ``sealed`` (see personal.py)."""

    form_json: str = "{}"
    answers: tuple[tuple[str, tuple[str, ...]], ...] = ()
    delivery: dict[str, str] | None = None
    sealed: Mapping[str, tuple[str, ...]] = field(default_factory=dict)
    # 跨省通办: a cross-province case's origin (cases.v1.CrossProvinceOrigin as JSON), else None.
    origin: Mapping[str, Any] | None = None

    def to_json(self) -> str:
        body: dict[str, Any] = {
            "form": self.form_json,
            "answers": [[s, list(o)] for s, o in self.answers],
            "delivery": self.delivery,
            "sealed": {place: list(value) for place, value in self.sealed.items()},
        }
        if self.origin is not None:
            body["origin"] = dict(self.origin)
        return json.dumps(body, ensure_ascii=False, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> Application:
        body = json.loads(text)
        sealed = {place: tuple(entry) for place, entry in body.get("sealed", {}).items()}
        answers = tuple((s, tuple(o)) for s, o in body["answers"])
        return cls(body["form"], answers, body["delivery"], sealed, body.get("origin"))


@dataclass(frozen=True)
class CaseRecord:
    """A loaded case: the domain value and what the service keeps beside it."""

    case: Case
    site_code: str
    matter_site_code: str
    matter_version: int
    matter_type: int
    department_name: str
    agent_subject: str
    application: Application
    matter: bytes  # catalogue.v1.Matter, serialised
    warning_level: str
    due_date: dt.date | None
    on_time: bool | None
    working_days_used: int | None
    create_key: str | None
    submit_key: str | None
    create_fingerprint: str | None
    query_hash: str
    query_failures: int
    query_locked_until: dt.datetime | None
    loaded_revision: int


def record_from_row(row: Any) -> CaseRecord:
    return CaseRecord(
        case=case_from_row(row),
        site_code=row.site_code,
        matter_site_code=row.matter_site_code,
        matter_version=row.matter_version,
        matter_type=row.matter_type,
        department_name=row.department_name,
        agent_subject=row.agent_subject,
        application=Application.from_json(row.application),
        matter=bytes(row.matter),
        warning_level=row.warning_level,
        due_date=row.due_date,
        on_time=row.on_time,
        working_days_used=row.working_days_used,
        create_key=row.create_key,
        submit_key=row.submit_key,
        create_fingerprint=row.create_fingerprint,
        query_hash=row.query_hash,
        query_failures=row.query_failures,
        query_locked_until=aware(row.query_locked_until),
        loaded_revision=int(row.revision),
    )


def current_role(case: Case) -> str:
    """Whose queue the case sits in now."""
    if case.state is CaseState.SUBMITTED:
        return vocabulary.WINDOW_CLERK
    if case.state in vocabulary.IN_REVIEW or case.state is CaseState.SPECIAL_PROCEDURE:
        return case.current_step.role
    return ""


def current_step_name(case: Case) -> str:
    if case.state is CaseState.SUBMITTED:
        return case.steps[0].name if case.review_start == 1 else "预审"
    if case.state in vocabulary.IN_REVIEW or case.state is CaseState.SPECIAL_PROCEDURE:
        return case.current_step.name
    return ""


def with_case(rec: CaseRecord, case: Case, **changes: Any) -> CaseRecord:
    return replace(rec, case=case, **changes)
