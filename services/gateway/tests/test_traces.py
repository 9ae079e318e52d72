"""One trace for a submission: the gateway's request span, cases' SubmitCase, the relay's publish
of cases.case.submitted and every consumer of it (in-process services, the embedded bus)."""

from __future__ import annotations

from typing import Any

from opentelemetry.trace import SpanKind

from govhall.catalogue.events import HOT_MATTERS_CONSUMER as HOT_MATTERS
from govhall.consult.case_copies import DURABLE as CASE_COPIES
from govhall.kit.testing import wait_until

from .conftest import Stack
from .test_cases_routes import seed, submitted
from .test_identity_routes import bearer, person

SUBMIT_ROUTE = "POST /api/v1/cases/{case_id}/submit"
# What a client might send to join (or pick) a trace: the gateway starts its own instead.
CLIENT_TRACE_ID = 0x0AF7651916CD43DD8448EB211C80319C
CLIENT_TRACEPARENT = f"00-{CLIENT_TRACE_ID:032x}-b7ad6b7169203331-01"


async def test_a_submission_is_one_trace_from_the_gateway_to_each_consumer(stack: Stack, spans: Any) -> None:
    c = stack.client
    await seed(c)
    me = bearer((await person(stack, "13812350177", "王小明"))["access_token"])
    await submitted(c, {**me, "traceparent": CLIENT_TRACEPARENT, "tracestate": "x=1"})

    def submission() -> Any:
        finished = spans.get_finished_spans()
        request = [s for s in finished if s.name == SUBMIT_ROUTE]
        if not request:
            return None
        trace_id = request[0].context.trace_id
        mine = {s.context.span_id: s for s in finished if s.context.trace_id == trace_id}
        processes = [s for s in mine.values() if s.name == "cases.case.submitted process"]
        consumers = {s.attributes["messaging.consumer.group.name"] for s in processes}

        def ended_with_its_ancestors(span: Any) -> bool:
            # A span is exported when it ends, and a parent may end after its child: the relay's
            # publish span ends when its ack is in, which can be after a consumer has finished.
            while span.parent is not None and span.parent.span_id in mine:
                span = mine[span.parent.span_id]
            return span.parent is None

        # Catalogue counts applications per matter; consult keeps its copy of the case.
        if not {HOT_MATTERS, CASE_COPIES} <= consumers:
            return None
        return (request[0], mine) if all(ended_with_its_ancestors(s) for s in processes) else None

    request, mine = await wait_until(submission, what="the submission's consumer spans")
    assert request.kind == SpanKind.SERVER and request.parent is None
    assert request.context.trace_id != CLIENT_TRACE_ID
    assert request.attributes["http.route"] == "/api/v1/cases/{case_id}/submit"

    def chain(span: Any) -> list[str]:
        names = [span.name]
        while span.parent is not None:
            assert span.parent.span_id in mine, f"{span.name}'s parent is not in the trace"
            span = mine[span.parent.span_id]
            names.append(span.name)
        return names

    for span in mine.values():
        if span.name == "cases.case.submitted process":
            # Between the request and the gRPC call, FastAPI's own spans (the endpoint's).
            names = chain(span)
            assert names[:3] == [
                "cases.case.submitted process",
                "cases.case.submitted publish",
                "govhall.cases.v1.CasesService/SubmitCase",
            ], span.attributes["messaging.consumer.group.name"]
            assert names[-1] == SUBMIT_ROUTE
