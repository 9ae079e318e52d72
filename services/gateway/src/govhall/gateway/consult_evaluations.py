"""好差评 routes: the applicant rates a concluded case, anyone reads the statistics, and staff
work the rectifications of bad reviews (a supervisor decides appeals). Consult authorises every
object from the caller; the rater is never in a staff answer."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query

from govhall.gateway import consult_evaluations_model as views
from govhall.gateway.auth import Caller, SignedIn
from govhall.gateway.cases_http import IfMatch
from govhall.gateway.cases_model import expected_revision
from govhall.gateway.params import PageNo, PageSize
from govhall.gateway.upstreams import Upstreams
from govhall.protos.common.v1 import common_pb2
from govhall.protos.consult.v1 import evaluations_pb2 as pb

IdPath = Annotated[str, Path(min_length=1, max_length=64, pattern=r"^[0-9A-Za-z_-]+$")]
Month = Annotated[str | None, Query(pattern=r"^\d{4}-(0[1-9]|1[0-2])$", description="YYYY-MM (China time)")]
State = Literal["open", "rectified", "called_back", "appealed", "voided"]
BASE = "/api/v1/staff/evaluations/rectifications"


def evaluation_routes(up: Callable[[], Upstreams]) -> APIRouter:
    router = APIRouter()

    async def call(method: Callable[[Any], Any], request: Any, caller: common_pb2.CallerIdentity) -> Any:
        return await up().consult.call(lambda s: method(s.evaluations), request, caller)

    @router.post(
        "/api/v1/cases/{case_id}/evaluation",
        status_code=201,
        tags=["evaluations"],
        summary="Rate my concluded case (好差评, once per case)",
        operation_id="evaluateCase",
    )
    async def evaluate(case_id: IdPath, body: views.EvaluationIn, caller: SignedIn) -> views.EvaluationOut:  # type: ignore[valid-type]
        request = pb.SubmitEvaluationRequest(
            case_id=case_id,
            level=body.level,
            indicators=[pb.IndicatorScore(indicator=i.indicator, score=i.score) for i in body.indicators],
            text=body.text,
            channel=body.channel,
        )
        return views.evaluation_out(await call(lambda s: s.SubmitEvaluation, request, caller))

    @router.get(
        "/api/v1/cases/{case_id}/evaluation",
        tags=["evaluations"],
        summary="My evaluation of a case and what became of its rectification (the rater only)",
        operation_id="getMyEvaluation",
    )
    async def my_evaluation(case_id: IdPath, caller: SignedIn) -> views.MyEvaluationOut:  # type: ignore[valid-type]
        request = pb.GetMyEvaluationRequest(case_id=case_id)
        return views.my_evaluation_out(await call(lambda s: s.GetMyEvaluation, request, caller))

    @router.get(
        "/api/v1/statistics/evaluations",
        tags=["evaluations"],
        summary="好差评 statistics by site (with its subtree), department, matter and month",
        operation_id="evaluationStatistics",
    )
    async def statistics(
        caller: Caller,
        site: Annotated[str | None, Query(pattern=r"^\d{6}$")] = None,
        department: Annotated[str | None, Query(max_length=64)] = None,
        matter: Annotated[str | None, Query(pattern=r"^[0-9A-Za-z][0-9A-Za-z-]{0,35}$")] = None,
        month_from: Month = None,
        month_to: Month = None,
    ) -> views.StatisticsOut:
        request = pb.EvaluationStatisticsRequest(
            site_code=site or "",
            department_code=department or "",
            matter_code=matter or "",
            month_from=month_from or "",
            month_to=month_to or "",
        )
        return views.statistics_out(await call(lambda s: s.EvaluationStatistics, request, caller))

    @router.get(
        BASE,
        tags=["evaluations"],
        summary="My department's rectifications",
        operation_id="listRectifications",
    )
    async def listing(
        caller: SignedIn, state: State | None = None, page: PageNo = 1, page_size: PageSize = 20
    ) -> views.RectificationsOut:
        request = pb.ListRectificationsRequest(
            state=state or "", page=common_pb2.PageRequest(page=page, page_size=page_size)
        )
        return views.rectifications_out(await call(lambda s: s.ListRectifications, request, caller))

    @router.get(
        BASE + "/{rid}", tags=["evaluations"], summary="One rectification", operation_id="getRectification"
    )
    async def get(rid: IdPath, caller: SignedIn) -> views.RectificationOut:  # type: ignore[valid-type]
        request = pb.GetRectificationRequest(rectification_id=rid)
        return views.rectification_out(await call(lambda s: s.GetRectification, request, caller))

    @router.post(
        BASE + "/{rid}/rectify",
        tags=["evaluations"],
        summary="Record the rectification",
        operation_id="rectify",
    )
    async def rectify(
        rid: IdPath, body: views.ContentIn, caller: SignedIn, if_match: IfMatch = None
    ) -> views.RectificationOut:  # type: ignore[valid-type]
        request = pb.RectifyRequest(
            rectification_id=rid,
            content=body.content,
            revision=expected_revision(if_match, body.expected_revision),
        )
        return views.rectification_out(await call(lambda s: s.Rectify, request, caller))

    @router.post(
        BASE + "/{rid}/callback",
        tags=["evaluations"],
        summary="Record the callback (回访) to the applicant",
        operation_id="recordCallback",
    )
    async def callback(
        rid: IdPath, body: views.ContentIn, caller: SignedIn, if_match: IfMatch = None
    ) -> views.RectificationOut:  # type: ignore[valid-type]
        request = pb.RecordCallbackRequest(
            rectification_id=rid,
            content=body.content,
            revision=expected_revision(if_match, body.expected_revision),
        )
        return views.rectification_out(await call(lambda s: s.RecordCallback, request, caller))

    @router.post(
        BASE + "/{rid}/appeal",
        tags=["evaluations"],
        summary="Appeal a mistaken review to a supervisor",
        operation_id="appealEvaluation",
    )
    async def appeal(
        rid: IdPath, body: views.AppealIn, caller: SignedIn, if_match: IfMatch = None
    ) -> views.RectificationOut:  # type: ignore[valid-type]
        request = pb.AppealRequest(
            rectification_id=rid,
            reason=body.reason,
            revision=expected_revision(if_match, body.expected_revision),
        )
        return views.rectification_out(await call(lambda s: s.Appeal, request, caller))

    @router.post(
        BASE + "/{rid}/decision",
        tags=["evaluations"],
        summary="A supervisor upholds or voids an appealed review",
        operation_id="decideAppeal",
    )
    async def decide(
        rid: IdPath, body: views.DecisionIn, caller: SignedIn, if_match: IfMatch = None
    ) -> views.RectificationOut:  # type: ignore[valid-type]
        request = pb.DecideAppealRequest(
            rectification_id=rid,
            decision=body.decision,
            reason=body.reason,
            revision=expected_revision(if_match, body.expected_revision),
        )
        return views.rectification_out(await call(lambda s: s.DecideAppeal, request, caller))

    return router


__all__ = ["evaluation_routes"]
