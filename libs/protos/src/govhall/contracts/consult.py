"""The events consult publishes (see `govhall.contracts` for why the registry lives here).

Letters, evaluations, rectifications and error reports each carry one message on all their
subjects, with a revision (consumers apply one object's changes in order) and its owner (the
inbox tells them without calling consult back). Subjects say what happened; the streams keep
them 14 days (`kit.streams`).
"""

from __future__ import annotations

from typing import Final

from govhall.contracts.registry import EventType, Registry
from govhall.protos.consult.v1 import events_pb2 as pb

LETTER_PREFIX: Final = "consult.letter."
EVALUATION_PREFIX: Final = "consult.evaluation."
RECTIFICATION_PREFIX: Final = "consult.rectification."
ERROR_REPORT_PREFIX: Final = "consult.error_report."


def _subjects(prefix: str, message: type, names: str) -> list[EventType]:  # type: ignore[type-arg]
    return [EventType(prefix + name, message) for name in names.split()]


# Letters (咨询/投诉/建议): written, routed, answered, followed up, rated, reopened, closed; the
# clock's sweep raises the warning (80 % of the time limit) and overdue, once per level.
LETTER_SUBJECTS: Final = _subjects(
    LETTER_PREFIX,
    pb.LetterChanged,
    "submitted claimed replied reassigned refused extension_requested extended extension_refused"
    " followed_up rated reopened closed overdue_warning overdue",
)
# Evaluations (好差评): one per case. Cases moves the case 待评价 -> 已办结 on `submitted`.
EVALUATION_SUBMITTED: Final = EventType(EVALUATION_PREFIX + "submitted", pb.EvaluationChanged)
# The rectification of a 不满意/非常不满意 evaluation, its callback (回访) and appeal.
RECTIFICATION_SUBJECTS: Final = _subjects(
    RECTIFICATION_PREFIX,
    pb.RectificationChanged,
    "opened rectified called_back appealed upheld voided overdue_warning overdue",
)
# Error reports (纠错) on a matter's guide.
ERROR_REPORT_SUBJECTS: Final = _subjects(
    ERROR_REPORT_PREFIX, pb.ErrorReportChanged, "submitted accepted refused"
)

REGISTRY: Final = Registry(
    "consult", [*LETTER_SUBJECTS, EVALUATION_SUBMITTED, *RECTIFICATION_SUBJECTS, *ERROR_REPORT_SUBJECTS]
)


def letter(name: str) -> EventType[pb.LetterChanged]:
    """The letter subject `consult.letter.<name>` (KeyError for one not declared)."""
    return REGISTRY[LETTER_PREFIX + name]


def rectification(name: str) -> EventType[pb.RectificationChanged]:
    return REGISTRY[RECTIFICATION_PREFIX + name]


def error_report(name: str) -> EventType[pb.ErrorReportChanged]:
    return REGISTRY[ERROR_REPORT_PREFIX + name]
