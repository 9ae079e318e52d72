"""What may be asked of a case: one frozen command per :class:`Action`, which model.perform
applies. No I/O here."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar

from govhall.cases.values import SupplementItem, TimeLimit
from govhall.cases.vocabulary import Action


class StepOutcome(StrEnum):
    PASS = "pass"  # 通过
    RETURN = "return"  # 退回


class Decision(StrEnum):
    APPROVED = "approved"  # 准予
    DENIED = "denied"  # 不予


@dataclass(frozen=True)
class Submit:
    application_number: str = ""  # 申报号 the service issued for this submission
    action: ClassVar[Action] = Action.SUBMIT


@dataclass(frozen=True)
class Withdraw:
    reason: str = ""
    action: ClassVar[Action] = Action.WITHDRAW


@dataclass(frozen=True)
class RequestSupplement:
    items: tuple[SupplementItem, ...]
    deadline: dt.date
    opinion: str = ""
    baseline: tuple[tuple[str, str], ...] = ()  # see SupplementNotice.baseline
    action: ClassVar[Action] = Action.REQUEST_SUPPLEMENT


@dataclass(frozen=True)
class Resubmit:
    note: str = ""
    action: ClassVar[Action] = Action.RESUBMIT


@dataclass(frozen=True)
class SupplementOverdue:
    action: ClassVar[Action] = Action.SUPPLEMENT_OVERDUE


@dataclass(frozen=True)
class Accept:
    case_number: str
    opinion: str = ""
    action: ClassVar[Action] = Action.ACCEPT


@dataclass(frozen=True)
class NotAccept:
    reason: str
    action: ClassVar[Action] = Action.NOT_ACCEPT


@dataclass(frozen=True)
class CompleteStep:
    outcome: StepOutcome
    opinion: str = ""
    action: ClassVar[Action] = Action.COMPLETE_STEP


@dataclass(frozen=True)
class StartSpecialProcedure:
    procedure: str  # a SPECIAL_PROCEDURES key
    reason: str
    planned: TimeLimit
    action: ClassVar[Action] = Action.START_SPECIAL_PROCEDURE


@dataclass(frozen=True)
class EndSpecialProcedure:
    result: str
    action: ClassVar[Action] = Action.END_SPECIAL_PROCEDURE


@dataclass(frozen=True)
class Conclude:
    decision: Decision
    opinion: str = ""
    action: ClassVar[Action] = Action.CONCLUDE


@dataclass(frozen=True)
class Terminate:
    result_code: int
    reason: str
    action: ClassVar[Action] = Action.TERMINATE


@dataclass(frozen=True)
class Evaluate:
    level: str = ""  # the evaluation's level as consult reports it (非常满意 … 非常不满意)
    action: ClassVar[Action] = Action.EVALUATE


@dataclass(frozen=True)
class EvaluationPeriodEnded:
    """The evaluation period passed without an evaluation (the clock sweep): 已办结, unrated."""

    action: ClassVar[Action] = Action.EVALUATION_PERIOD_ENDED


Command = (
    Submit
    | Withdraw
    | RequestSupplement
    | Resubmit
    | SupplementOverdue
    | EvaluationPeriodEnded
    | Accept
    | NotAccept
    | CompleteStep
    | StartSpecialProcedure
    | EndSpecialProcedure
    | Conclude
    | Terminate
    | Evaluate
)
