"""What the 好差评 routes take and answer: request bodies (strict) and typed response models
built from consult's messages (an evaluation as staff see it has no rater)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from govhall.gateway import bounds, model
from govhall.gateway.model import PageOut, page_out
from govhall.gateway.protojson import Out, model_of, out
from govhall.protos.consult.v1 import evaluations_pb2 as pb

Channel = Literal["pc", "app", "mini_program", "hall", "phone", "sms"]


class IndicatorIn(model.In):
    indicator: str = Field(min_length=1, max_length=32, examples=["办事效率"])
    score: int = Field(ge=1, le=5)


class EvaluationIn(model.In):
    level: int = Field(ge=1, le=5, description="1 非常满意, 2 满意, 3 基本满意, 4 不满意, 5 非常不满意")
    indicators: list[IndicatorIn] = Field(default_factory=list, max_length=10)
    text: str = Field(default="", max_length=500)
    channel: Channel = "pc"


class ContentIn(model.In):
    content: str = Field(min_length=1, max_length=1000)
    expected_revision: bounds.Revision = 0


class AppealIn(model.In):
    reason: str = Field(min_length=1, max_length=1000)
    expected_revision: bounds.Revision = 0


class DecisionIn(model.In):
    decision: Literal["uphold", "void"]
    reason: str = Field(min_length=1, max_length=1000)
    expected_revision: bounds.Revision = 0


EvaluationOut = model_of(pb.Evaluation.DESCRIPTOR)
RectificationOut = model_of(pb.Rectification.DESCRIPTOR)
StatisticsRowOut = model_of(pb.EvaluationStatisticsRow.DESCRIPTOR)
MyEvaluationOut = model_of(pb.MyEvaluation.DESCRIPTOR)


class RectificationsOut(Out):
    items: list[RectificationOut]  # type: ignore[valid-type]
    page: PageOut


class StatisticsOut(Out):
    months: list[StatisticsRowOut]  # type: ignore[valid-type]
    overall: StatisticsRowOut  # type: ignore[valid-type]


def evaluation_out(e: pb.Evaluation) -> Out:
    return out(EvaluationOut, e)


def my_evaluation_out(e: pb.MyEvaluation) -> Out:
    return out(MyEvaluationOut, e)


def rectification_out(r: pb.Rectification) -> Out:
    return out(RectificationOut, r)


def rectifications_out(reply: pb.ListRectificationsResponse) -> RectificationsOut:
    return RectificationsOut(
        items=[rectification_out(r) for r in reply.rectifications], page=page_out(reply.page)
    )


def statistics_out(reply: pb.EvaluationStatisticsResponse) -> StatisticsOut:
    return StatisticsOut(
        months=[out(StatisticsRowOut, m) for m in reply.months], overall=out(StatisticsRowOut, reply.overall)
    )
