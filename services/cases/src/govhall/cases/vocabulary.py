"""The cases service's vocabulary: the states, result codes, actions and roles of a case with
their Chinese labels, and the time conventions (aware datetimes; dates in China Standard Time).
No I/O here; model.py documents the state machine these name."""

from __future__ import annotations

import datetime as dt
from enum import IntEnum, StrEnum
from typing import Final
from zoneinfo import ZoneInfo

CHINA: Final = ZoneInfo("Asia/Shanghai")


class CaseState(StrEnum):
    DRAFT = "draft"
    SUBMITTED = "submitted"
    SUPPLEMENT_REQUESTED = "supplement_requested"
    ACCEPTED = "accepted"
    NOT_ACCEPTED = "not_accepted"
    UNDER_REVIEW = "under_review"
    SPECIAL_PROCEDURE = "special_procedure"
    CONCLUDED_APPROVED = "concluded_approved"
    CONCLUDED_DENIED = "concluded_denied"
    TERMINATED = "terminated"
    WITHDRAWN = "withdrawn"
    EVALUATED = "evaluated"

    @property
    def zh(self) -> str:
        return STATE_ZH[self]


STATE_ZH: Final[dict[CaseState, str]] = {
    CaseState.DRAFT: "待提交",
    CaseState.SUBMITTED: "待预审",
    CaseState.SUPPLEMENT_REQUESTED: "待补正",
    CaseState.ACCEPTED: "已受理",
    CaseState.NOT_ACCEPTED: "不予受理",
    CaseState.UNDER_REVIEW: "审批中",
    CaseState.SPECIAL_PROCEDURE: "特别程序",
    CaseState.CONCLUDED_APPROVED: "办结（准予）",
    CaseState.CONCLUDED_DENIED: "办结（不予）",
    CaseState.TERMINATED: "异常办结",
    CaseState.WITHDRAWN: "已撤回",
    CaseState.EVALUATED: "已评价",
}

#: Submitted and not yet ended: a supervisor may terminate these.
OPEN_STATES: Final = frozenset(
    {
        CaseState.SUBMITTED,
        CaseState.SUPPLEMENT_REQUESTED,
        CaseState.ACCEPTED,
        CaseState.UNDER_REVIEW,
        CaseState.SPECIAL_PROCEDURE,
    }
)
#: Accepted and at a review step, not paused.
IN_REVIEW: Final = frozenset({CaseState.ACCEPTED, CaseState.UNDER_REVIEW})
CONCLUDED: Final = frozenset({CaseState.CONCLUDED_APPROVED, CaseState.CONCLUDED_DENIED})
FINAL_STATES: Final = frozenset(
    {
        CaseState.NOT_ACCEPTED,
        CaseState.CONCLUDED_APPROVED,
        CaseState.CONCLUDED_DENIED,
        CaseState.TERMINATED,
        CaseState.WITHDRAWN,
        CaseState.EVALUATED,
    }
)

#: The applicant's "my cases" tabs (待提交, 待补正, 审批中, 待评价, 已办结, 其他).
APPLICANT_TAB: Final[dict[CaseState, str]] = {
    CaseState.DRAFT: "待提交",
    CaseState.SUPPLEMENT_REQUESTED: "待补正",
    CaseState.SUBMITTED: "审批中",
    CaseState.ACCEPTED: "审批中",
    CaseState.UNDER_REVIEW: "审批中",
    CaseState.SPECIAL_PROCEDURE: "审批中",
    CaseState.CONCLUDED_APPROVED: "待评价",
    CaseState.CONCLUDED_DENIED: "待评价",
    CaseState.EVALUATED: "已办结",
    CaseState.NOT_ACCEPTED: "其他",
    CaseState.TERMINATED: "其他",
    CaseState.WITHDRAWN: "其他",
}


class ResultCode(IntEnum):
    """Result codes of the e-supervision exchange (DOMAIN.md); a reason is required for 1–5."""

    ISSUED = 0  # 出证办结
    DENIED = 1  # 不予许可
    VOIDED = 2  # 作废
    DELETED = 3  # 删除
    FORWARDED = 4  # 转报 (not produced by this state machine)
    RETURNED = 5  # 退件 (supplement overdue or given up)
    NOT_ACCEPTED = 6  # 不予受理

    @property
    def zh(self) -> str:
        return RESULT_ZH[self]


RESULT_ZH: Final[dict[ResultCode, str]] = {
    ResultCode.ISSUED: "出证办结",
    ResultCode.DENIED: "不予许可",
    ResultCode.VOIDED: "作废",
    ResultCode.DELETED: "删除",
    ResultCode.FORWARDED: "转报",
    ResultCode.RETURNED: "退件",
    ResultCode.NOT_ACCEPTED: "不予受理",
}
#: What a supervisor may end a case with (异常办结).
TERMINATION_CODES: Final = frozenset({ResultCode.VOIDED, ResultCode.DELETED, ResultCode.RETURNED})


class Action(StrEnum):
    SUBMIT = "submit"
    WITHDRAW = "withdraw"
    REQUEST_SUPPLEMENT = "request_supplement"
    RESUBMIT = "resubmit"
    SUPPLEMENT_OVERDUE = "supplement_overdue"
    ACCEPT = "accept"
    NOT_ACCEPT = "not_accept"
    COMPLETE_STEP = "complete_step"
    START_SPECIAL_PROCEDURE = "start_special_procedure"
    END_SPECIAL_PROCEDURE = "end_special_procedure"
    CONCLUDE = "conclude"
    TERMINATE = "terminate"
    EVALUATE = "evaluate"
    # The evaluation period passed without an evaluation: 已办结, with no rating invented.
    EVALUATION_PERIOD_ENDED = "evaluation_period_ended"

    @property
    def zh(self) -> str:
        return ACTION_ZH[self]


ACTION_ZH: Final[dict[Action, str]] = {
    Action.SUBMIT: "提交申请",
    Action.WITHDRAW: "撤回申请",
    Action.REQUEST_SUPPLEMENT: "补正告知",
    Action.RESUBMIT: "补正提交",
    Action.SUPPLEMENT_OVERDUE: "补正逾期退件",
    Action.ACCEPT: "受理",
    Action.NOT_ACCEPT: "不予受理",
    Action.COMPLETE_STEP: "办理环节",
    Action.START_SPECIAL_PROCEDURE: "启动特别程序",
    Action.END_SPECIAL_PROCEDURE: "结束特别程序",
    Action.CONCLUDE: "办结",
    Action.TERMINATE: "异常办结",
    Action.EVALUATE: "评价",
    Action.EVALUATION_PERIOD_ENDED: "评价期满",
}

WINDOW_CLERK: Final = "window_clerk"
REVIEWER: Final = "reviewer"
APPROVER: Final = "approver"
SUPERVISOR: Final = "supervisor"
SITE_ADMIN: Final = "site_admin"
STEP_ROLES: Final = (WINDOW_CLERK, REVIEWER, APPROVER)
ROLE_ZH: Final = {
    WINDOW_CLERK: "窗口受理人员",
    REVIEWER: "审核人员",
    APPROVER: "审批人员",
    SUPERVISOR: "监察人员",
    SITE_ADMIN: "站点管理员",
}
#: Steps with these roles are done inside the case's department.
DEPARTMENT_BOUND_ROLES: Final = frozenset({REVIEWER, APPROVER})
#: The scopes of an agent's authorisation (identity's SCOPES): applying for and changing a legal
#: person's cases, and following them only (cases.apply includes cases.view).
APPLY_SCOPE: Final = "cases.apply"
VIEW_SCOPE: Final = "cases.view"

#: 《行政许可法》 art. 45 (听证、招标、拍卖、检验、检测、检疫、鉴定和专家评审), plus on-site checks.
SPECIAL_PROCEDURES: Final = {
    "hearing": "听证",
    "tendering": "招标",
    "auction": "拍卖",
    "testing": "检验",
    "inspection": "检测",
    "quarantine": "检疫",
    "appraisal": "鉴定",
    "expert_review": "专家评审",
    "site_check": "现场核查",
    "other": "其他",
}


def local_date(ts: dt.datetime) -> dt.date:
    """The China Standard Time date of an aware datetime."""
    return ts.astimezone(CHINA).date()


def check_time(now: dt.datetime) -> None:
    """new_case and perform take aware times only: a naive one would give a wrong CST date."""
    if not isinstance(now, dt.datetime) or now.tzinfo is None or now.utcoffset() is None:
        raise TypeError("now must be a timezone-aware datetime")
