"""The checks inside a transition, after rules.py has said who may act: rules 6 to 8 of
model.py (the position in the process, the arguments, the timing). Each raises the DomainError
model.py documents and returns nothing, or the cleaned value. No I/O here."""

from __future__ import annotations

import datetime as dt
from typing import Final

from govhall.cases.rules import error
from govhall.cases.values import Case, SupplementItem, SupplementNotice, TimeLimit
from govhall.cases.vocabulary import SPECIAL_PROCEDURES, TERMINATION_CODES, local_date
from govhall.kit.errors import ErrorKind

MAX_TEXT: Final = 2_000
MAX_CASE_NUMBER: Final = 64
MAX_SUPPLEMENT_ITEMS: Final = 100
MAX_DEADLINE_DAYS: Final = 365
MAX_PLANNED_DAYS: Final = 365


def text(value: str, field: str, label_zh: str, *, required: bool, code: str = "REASON_REQUIRED") -> str:
    text = (value or "").strip()
    if required and not text:
        raise error(code, ErrorKind.INVALID, f"{field} is required", f"请填写{label_zh}", field)
    if len(text) > MAX_TEXT:
        raise error(
            "CASE_TEXT_TOO_LONG",
            ErrorKind.INVALID,
            f"{field} must be at most {MAX_TEXT} characters",
            f"{label_zh}不能超过{MAX_TEXT}个字",
            field,
        )
    return text


def supplement_items(items: tuple[SupplementItem, ...]) -> tuple[SupplementItem, ...]:
    if not items:
        raise error(
            "CASE_SUPPLEMENT_ITEMS_REQUIRED",
            ErrorKind.INVALID,
            "a supplement notice lists every missing or wrong material at once; it cannot be empty",
            "补正告知应一次性列明需要补正的全部材料及问题",
            "items",
        )
    if len(items) > MAX_SUPPLEMENT_ITEMS:
        raise error(
            "CASE_SUPPLEMENT_ITEMS_TOO_MANY",
            ErrorKind.INVALID,
            f"at most {MAX_SUPPLEMENT_ITEMS} items",
            f"补正事项不能超过{MAX_SUPPLEMENT_ITEMS}项",
            "items",
        )
    clean: list[SupplementItem] = []
    seen: set[tuple[str, str]] = set()
    for i, item in enumerate(items):
        material = (item.material or "").strip()
        form_field = (item.field or "").strip()
        problem = (item.problem or "").strip()
        if (
            bool(material) == bool(form_field)
            or not problem
            or len(material) > 200
            or len(form_field) > 200
            or len(problem) > MAX_TEXT
        ):
            raise error(
                "CASE_SUPPLEMENT_ITEM_INVALID",
                ErrorKind.INVALID,
                "each item names one material or one form field and says what is missing or wrong",
                "每项补正内容应写明一项材料或一个表单字段，以及需补正的问题",
                f"items[{i}]",
            )
        key = ("material", material) if material else ("field", form_field)
        if key in seen:
            raise error(
                "CASE_SUPPLEMENT_ITEM_INVALID",
                ErrorKind.INVALID,
                f"{key[0]} {key[1]!r} is listed twice: put all its problems in one item",
                f"“{item.name or key[1]}”重复列出，请合并为一项",
                f"items[{i}]",
            )
        seen.add(key)
        clean.append(SupplementItem(material, problem, form_field, (item.name or "").strip()))
    return tuple(clean)


def clean_case_number(number: str) -> str:
    number = text(number, "case_number", "办件编号", required=True, code="CASE_NUMBER_REQUIRED")
    if len(number) > MAX_CASE_NUMBER:
        raise error(
            "CASE_NUMBER_INVALID",
            ErrorKind.INVALID,
            f"a case number has at most {MAX_CASE_NUMBER} characters",
            "办件编号过长",
            "case_number",
        )
    return number


def check_first_supplement(case: Case, phase: str) -> None:
    if phase in case.supplement_phases:
        raise error(
            "CASE_SUPPLEMENT_ALREADY_REQUESTED",
            ErrorKind.WRONG_STATE,
            "a supplement was already requested at this stage: the notice must list everything at once",
            "本环节已发出过补正告知，补正内容应一次性告知，不能再次要求补正",
        )


def check_supplement_deadline(deadline: dt.date, now: dt.datetime) -> None:
    today = local_date(now)
    if not isinstance(deadline, dt.date) or isinstance(deadline, dt.datetime):
        raise TypeError("deadline must be a date")
    if not today < deadline <= today + dt.timedelta(days=MAX_DEADLINE_DAYS):
        raise error(
            "CASE_SUPPLEMENT_DEADLINE_INVALID",
            ErrorKind.INVALID,
            f"the deadline must be after today and within {MAX_DEADLINE_DAYS} days",
            f"补正期限应晚于今天且不超过{MAX_DEADLINE_DAYS}天",
            "deadline",
        )


def check_deadline_not_passed(notice: SupplementNotice, now: dt.datetime) -> None:
    if local_date(now) > notice.deadline:
        raise error(
            "CASE_SUPPLEMENT_DEADLINE_PASSED",
            ErrorKind.WRONG_STATE,
            f"the supplement deadline ({notice.deadline.isoformat()}) has passed",
            f"补正期限（{notice.deadline.isoformat()}）已过，不能再提交补正材料",
        )


def check_deadline_passed(notice: SupplementNotice, now: dt.datetime) -> None:
    if local_date(now) <= notice.deadline:
        raise error(
            "CASE_SUPPLEMENT_NOT_OVERDUE",
            ErrorKind.WRONG_STATE,
            f"the supplement deadline ({notice.deadline.isoformat()}) has not passed",
            f"补正期限（{notice.deadline.isoformat()}）未届满",
        )


def check_not_at_last_step(case: Case) -> None:
    if case.at_last_step:
        raise error(
            "CASE_AT_LAST_STEP",
            ErrorKind.WRONG_STATE,
            "this is the last step: conclude the case (approve or deny) instead",
            "当前为最后一个环节，请作出办结决定（准予或不予）",
        )


def check_previous_step(case: Case) -> None:
    if case.step_index <= case.review_start:
        raise error(
            "CASE_NO_PREVIOUS_STEP",
            ErrorKind.WRONG_STATE,
            "this is the first review step: nothing to return to (request a supplement to send it to the applicant)",
            "当前为第一个审查环节，无法退回上一环节；如需申请人补充材料，请发出补正告知",
        )


def check_procedure(procedure: str) -> None:
    if procedure not in SPECIAL_PROCEDURES:
        raise error(
            "CASE_SPECIAL_PROCEDURE_INVALID",
            ErrorKind.INVALID,
            f"procedure must be one of {', '.join(SPECIAL_PROCEDURES)}",
            "特别程序类型无效",
            "procedure",
        )


def check_planned(planned: TimeLimit) -> None:
    if not isinstance(planned, TimeLimit) or not 1 <= planned.value <= MAX_PLANNED_DAYS:
        raise error(
            "CASE_PLANNED_LENGTH_INVALID",
            ErrorKind.INVALID,
            f"the planned length must be 1-{MAX_PLANNED_DAYS} days",
            f"特别程序时限应为1至{MAX_PLANNED_DAYS}天",
            "planned",
        )


def check_at_last_step(case: Case) -> None:
    if not case.at_last_step:
        raise error(
            "CASE_NOT_AT_LAST_STEP",
            ErrorKind.WRONG_STATE,
            f"the case is at step {case.current_step.code}, not at the last one ({case.steps[-1].code})",
            f"办件当前处于“{case.current_step.name}”环节，尚未到达最后的决定环节",
        )


def check_termination_code(result_code: int) -> None:
    if result_code not in TERMINATION_CODES:
        raise error(
            "CASE_RESULT_CODE_INVALID",
            ErrorKind.INVALID,
            "abnormal termination takes result code 2 (voided), 3 (deleted) or 5 (returned)",
            "异常办结的结果应为作废（2）、删除（3）或退件（5）",
            "result_code",
        )
