"""The cases routes' request bodies, the commands they become, and what the routes answer:
typed response models (the protos' shapes, protojson.model_of) and the one mapping onto them."""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

from pydantic import Field

from govhall.gateway import bounds, model
from govhall.gateway.model import PageOut, page_out
from govhall.gateway.protojson import Out, from_dict, model_of, out, to_dict
from govhall.kit.errors import FieldError, invalid, invalid_fields
from govhall.protos.cases.v1 import cases_pb2 as pb
from govhall.protos.common.v1 import common_pb2

Text = Annotated[str, Field(max_length=2_000)]

TabName = Literal["draft", "supplement", "in_progress", "to_evaluate", "done", "other"]
ActionName = Literal[
    "accept",
    "not_accept",
    "request_supplement",
    "complete_step",
    "start_special_procedure",
    "end_special_procedure",
    "conclude",
    "terminate",
]


# Requests ------------------------------------------------------------------------------------


class AnswerIn(model.In):
    situation_code: str = Field(max_length=40)
    option_codes: list[Annotated[str, Field(max_length=40)]] = Field(default_factory=list, max_length=20)


class DeliveryIn(model.In):
    method: Literal["pick_up", "mail"]
    address_id: str = Field("", max_length=64, description="for mail: one of my saved addresses")


class DraftIn(model.In):
    site_code: model.SiteCode
    matter_code: str = Field(max_length=36)
    situation_answers: list[AnswerIn] = Field(default_factory=list, max_length=50)
    form: Annotated[dict[str, Any], bounds.FreeJson] = Field(
        default_factory=dict, description="the application form (the matter's schema)"
    )
    delivery: DeliveryIn | None = None
    idempotency_key: str = Field("", max_length=64)


class DraftUpdate(model.In):
    """Only the parts present are replaced."""

    situation_answers: list[AnswerIn] | None = Field(None, max_length=50)
    form: Annotated[dict[str, Any] | None, bounds.FreeJson] = None
    delivery: DeliveryIn | None = None
    expected_revision: bounds.Revision = 0


class SubmitIn(model.In):
    notice_read: bool = Field(False, description="I have read the 申报须知")
    idempotency_key: str = Field("", max_length=64)


class MaterialSourceIn(model.In):
    """Exactly one: a file of my cloud drive (云盘选择) or one I uploaded for an earlier case
    of mine (历史材料引用)."""

    drive_file_id: str = Field("", max_length=64, description="a file of my cloud drive")
    case_file_id: str = Field("", max_length=64, description="a file of one of my earlier cases")

    def message(self, case_id: str, code: str) -> pb.AttachMaterialFromRequest:
        if self.drive_file_id and self.case_file_id:
            raise invalid(
                "MATERIAL_SOURCE_AMBIGUOUS",
                "give either drive_file_id or case_file_id, not both",
                "云盘文件和历史材料只能选择其一",
                "case_file_id",
            )
        request = pb.AttachMaterialFromRequest(case_id=case_id, material_code=code)
        if self.case_file_id:
            request.case_file_id = self.case_file_id
        else:
            request.drive_file_id = self.drive_file_id
        return request


class NoteIn(model.In):
    note: Text = ""


class ReasonIn(model.In):
    reason: Text = ""


class StatusQueryIn(model.In):
    case_number: str = Field(max_length=64, description="办件编号，或受理前的申报号")
    query_password: str = Field(max_length=32)


class SupplementItemIn(model.In):
    """One material (its code or name) or one form field (its path), and what is wrong."""

    material: str = Field("", max_length=200, description="a material of the matter: code or name")
    field: str = Field("", max_length=200, description='a form field by path: "shop_name", "agent.name"')
    problem: Text


class ActionIn(model.In):
    """The fields of one staff action; which apply depends on the action."""

    expected_revision: bounds.Revision = 0
    opinion: Text = ""
    reason: Text = ""
    items: list[SupplementItemIn] = Field(default_factory=list, max_length=100)
    deadline: Annotated[str, Field(pattern=r"^(\d{4}-\d{2}-\d{2})?$"), bounds.DayText] = ""
    outcome: Literal["", "pass", "return"] = ""
    procedure: str = Field("", max_length=40)
    planned: model.TimeLimitIn | None = None
    result: Text = ""
    decision: Literal["", "approved", "denied"] = ""
    result_code: int = Field(0, ge=0, le=9)


#: The body fields each action reads (besides expected_revision); others are refused, not ignored.
ACTION_FIELDS: dict[str, frozenset[str]] = {
    "accept": frozenset({"opinion"}),
    "not_accept": frozenset({"reason"}),
    "request_supplement": frozenset({"items", "deadline", "opinion"}),
    "complete_step": frozenset({"outcome", "opinion"}),
    "start_special_procedure": frozenset({"procedure", "reason", "planned"}),
    "end_special_procedure": frozenset({"result"}),
    "conclude": frozenset({"decision", "opinion"}),
    "terminate": frozenset({"result_code", "reason"}),
}


def check_action_fields(action: ActionName, body: ActionIn) -> None:
    extra = sorted(body.model_fields_set - ACTION_FIELDS[action] - {"expected_revision"})
    if extra:
        raise invalid_fields(
            "REQUEST_INVALID",
            [FieldError(name, f"not a field of {action}", f"{name}：该操作不使用此字段") for name in extra],
        )


def expected_revision(if_match: str | None, in_body: int = 0) -> int:
    """The revision the client saw: the If-Match header ("3", W/"3" or 3) or the body's field."""
    if if_match is None or not if_match.strip():
        return in_body
    text = if_match.strip().removeprefix("W/").strip('"')
    # ASCII digits only ("３" and "²" are digits to str.isdigit), and a revision an int64 holds.
    if (
        not re.fullmatch(r"[0-9]{1,19}", text)
        or int(text) > bounds.MAX_INT64
        or (in_body and int(text) != in_body)
    ):
        raise invalid(
            "IF_MATCH_INVALID",
            'If-Match is the case\'s revision, e.g. "3" (and agrees with expected_revision)',
            "If-Match 应为办件的版本号，且与 expected_revision 一致",
            "If-Match",
        )
    return int(text)


def delivery_message(d: DeliveryIn | None) -> pb.Delivery | None:
    if d is None:
        return None
    method = pb.DELIVERY_METHOD_MAIL if d.method == "mail" else pb.DELIVERY_METHOD_PICK_UP
    return pb.Delivery(method=method, address_id=d.address_id)


def answers(items: list[AnswerIn]) -> list[pb.SituationAnswer]:
    return [pb.SituationAnswer(situation_code=a.situation_code, option_codes=a.option_codes) for a in items]


def form_json(form: dict[str, Any]) -> str:
    return json.dumps(form, ensure_ascii=False)


def command(action: ActionName, body: ActionIn) -> dict[str, Any]:
    """The HandleCaseRequest oneof member for an action."""
    match action:
        case "accept":
            return {"accept": pb.AcceptCommand(opinion=body.opinion)}
        case "not_accept":
            return {"not_accept": pb.NotAcceptCommand(reason=body.reason)}
        case "request_supplement":
            items = [
                pb.SupplementItem(material=i.material, field=i.field, problem=i.problem) for i in body.items
            ]
            return {
                "request_supplement": pb.RequestSupplementCommand(
                    items=items, deadline=body.deadline, opinion=body.opinion
                )
            }
        case "complete_step":
            return {"complete_step": pb.CompleteStepCommand(outcome=body.outcome, opinion=body.opinion)}
        case "start_special_procedure":
            planned = from_dict(body.planned.model_dump(), common_pb2.TimeLimit) if body.planned else None
            return {
                "start_special_procedure": pb.StartSpecialProcedureCommand(
                    procedure=body.procedure, reason=body.reason, planned=planned
                )
            }
        case "end_special_procedure":
            return {"end_special_procedure": pb.EndSpecialProcedureCommand(result=body.result)}
        case "conclude":
            return {"conclude": pb.ConcludeCommand(decision=body.decision, opinion=body.opinion)}
        case "terminate":
            return {"terminate": pb.TerminateCommand(result_code=body.result_code, reason=body.reason)}


# Responses -----------------------------------------------------------------------------------

_CASE = model_of(
    pb.Case.DESCRIPTOR,
    name="Case_",
    drop={"form_json"},
    add={
        # Only the answers that issue one carry it (submit, a new password): shown once, and
        # otherwise absent rather than "".
        "query_password": (
            str,
            Field("", exclude_if=lambda v: not v, description="查询密码: only in the answer that issues it"),
        ),
        "form_schema": (dict[str, Any], Field(description="the matter's form (JSON Schema)")),
        "form": (dict[str, Any], Field(description="the application form as filled in")),
    },
)


class CaseOut(_CASE):  # type: ignore[misc,valid-type]
    """A case, its form as a JSON object and its schema too (the portal renders both)."""


class CaseSummaryOut(model_of(pb.CaseSummary.DESCRIPTOR)):  # type: ignore[misc]
    """A case in a list."""


class TabCountOut(model_of(pb.TabCount.DESCRIPTOR)):  # type: ignore[misc]
    """How many of my cases a tab holds."""


class QueueCountOut(model_of(pb.QueueCount.DESCRIPTOR)):  # type: ignore[misc]
    """How many cases of the queue are in a state or carry a card."""


class WarningOut(model_of(pb.WarningRow.DESCRIPTOR)):  # type: ignore[misc]
    """A case with a yellow or red card."""


class PublicStatusOut(model_of(pb.PublicStatus.DESCRIPTOR)):  # type: ignore[misc]
    """What anyone with the case number and query password sees (办件查询)."""


class VerificationOut(model_of(pb.DocumentVerification.DESCRIPTOR)):  # type: ignore[misc]
    """Whether a notice is genuine (文书核验)."""


class PerformanceOut(model_of(pb.Performance.DESCRIPTOR)):  # type: ignore[misc]
    """Per-department performance."""


class StatisticsOut(model_of(pb.Statistics.DESCRIPTOR)):  # type: ignore[misc]
    """Counts for charts."""


class MyCasesOut(Out):
    cases: list[CaseSummaryOut]
    page: PageOut
    tabs: list[TabCountOut]


class QueueOut(Out):
    cases: list[CaseSummaryOut]
    page: PageOut
    counts: list[QueueCountOut]


class WarningsOut(Out):
    warnings: list[WarningOut]
    page: PageOut


def _json_object(text: str) -> dict[str, Any]:
    try:
        value = json.loads(text) if text else {}
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def case_out(c: pb.Case) -> CaseOut:
    data = to_dict(c)
    del data["form_json"]
    return CaseOut.model_validate(
        {**data, "form_schema": _json_object(c.form_schema), "form": _json_object(c.form_json)}
    )


def my_cases_out(reply: pb.ListMyCasesResponse) -> MyCasesOut:
    return MyCasesOut(
        cases=[out(CaseSummaryOut, c) for c in reply.cases],
        page=page_out(reply.page),
        tabs=[out(TabCountOut, t) for t in reply.tabs],
    )


def queue_out(reply: pb.ListQueueResponse) -> QueueOut:
    return QueueOut(
        cases=[out(CaseSummaryOut, c) for c in reply.cases],
        page=page_out(reply.page),
        counts=[out(QueueCountOut, c) for c in reply.counts],
    )


def warnings_out(reply: pb.ListWarningsResponse) -> WarningsOut:
    return WarningsOut(warnings=[out(WarningOut, w) for w in reply.warnings], page=page_out(reply.page))
