"""智能问答: POST /api/v1/sites/{site}/ask. Search answers from the guides and FAQs; the gateway
adds the links (to the guide or FAQ cited, and to 我要咨询 when there is no answer)."""

from __future__ import annotations

from collections.abc import Callable

from fastapi import APIRouter

from govhall.gateway import search_ask_model as views
from govhall.gateway.params import SitePath
from govhall.gateway.upstreams import Upstreams
from govhall.protos.search.v1 import search_pb2


def ask_routes(up: Callable[[], Upstreams]) -> APIRouter:
    router = APIRouter()

    @router.post(
        "/api/v1/sites/{site}/ask",
        tags=["search"],
        summary="智能问答: a question answered from the site's service guides and FAQs, citing them; "
        "when there is no confident answer, answered is false and 我要咨询 is offered",
        operation_id="ask",
    )
    async def ask(site: SitePath, body: views.AskIn) -> views.AskOut:
        request = search_pb2.AskRequest(site_code=site, question=body.question)
        reply = await up().search.call(lambda s: s.Ask, request)
        return views.ask_out(site, body.question, reply)

    return router
