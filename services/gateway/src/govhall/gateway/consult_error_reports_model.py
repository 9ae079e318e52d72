"""What the 纠错 routes take and answer: typed models built from the proto messages."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from govhall.gateway import bounds, model
from govhall.gateway.model import PageOut, page_out
from govhall.gateway.protojson import Out, model_of, out
from govhall.protos.consult.v1 import error_reports_pb2 as pb

ElementName = Literal["conditions", "materials", "fees", "time_limits", "places", "phones", "other"]
StateName = Literal["submitted", "accepted", "refused"]
# Consult bounds the text itself (1000 characters, control characters refused); the gateway only
# keeps a body from being absurd before it travels.
ReportText = Annotated[str, Field(max_length=4_000)]

ELEMENT_LABELS = {
    pb.ERROR_ELEMENT_CONDITIONS: "受理条件",
    pb.ERROR_ELEMENT_MATERIALS: "申请材料",
    pb.ERROR_ELEMENT_FEES: "收费标准",
    pb.ERROR_ELEMENT_TIME_LIMITS: "办理时限",
    pb.ERROR_ELEMENT_PLACES: "办理地点和时间",
    pb.ERROR_ELEMENT_PHONES: "咨询电话",
    pb.ERROR_ELEMENT_OTHER: "其他",
}
STATE_LABELS = {
    pb.ERROR_REPORT_STATE_SUBMITTED: "待处理",
    pb.ERROR_REPORT_STATE_ACCEPTED: "已采纳",
    pb.ERROR_REPORT_STATE_REFUSED: "未采纳",
}


class ErrorReportIn(model.In):
    """Which element of the guide is wrong, and what."""

    element: ElementName
    content: ReportText


class DecisionIn(model.In):
    """Accepting: what was fixed in the guide; refusing: why not. `revision` is the one read."""

    answer: ReportText
    revision: bounds.Revision


_REPORT = model_of(
    pb.ErrorReport.DESCRIPTOR,
    name="ErrorReport_",
    add={
        "element_label": (str, Field(description="有误的内容（中文）", examples=["收费标准"])),
        "state_label": (str, Field(description="状态（中文）", examples=["已采纳"])),
    },
)


class ErrorReportOut(_REPORT):  # type: ignore[misc,valid-type]
    """An error report (纠错) on a matter's guide, with the site admin's answer once decided."""


class ErrorReportsOut(Out):
    items: list[ErrorReportOut]
    page: PageOut


def report_out(r: pb.ErrorReport) -> ErrorReportOut:
    return out(
        ErrorReportOut,
        r,
        element_label=ELEMENT_LABELS.get(r.element, ""),
        state_label=STATE_LABELS.get(r.state, ""),
    )


def reports_out(reply: pb.ListErrorReportsResponse) -> ErrorReportsOut:
    return ErrorReportsOut(items=[report_out(r) for r in reply.reports], page=page_out(reply.page))
