"""POST /api/v1/sites/{site}/ask (智能问答) over the in-process stack, with the demo province's
结婚登记, 社会保障卡申领 and 营业执照 guides loaded into the catalogue."""

from __future__ import annotations

import dataclasses
from typing import Any

import httpx

from govhall.catalogue.demo import SEED_DIR
from govhall.catalogue.seed import read_seed
from govhall.catalogue.seedloader import load_seed
from govhall.kit.caller import caller_metadata
from govhall.kit.testing import caller_channel, wait_until
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.common.v1 import common_pb2

from .conftest import Stack
from .test_api import assert_problem

ADMIN = caller_metadata(common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_ADMIN, subject="admin"))
MATTERS = {"420502-MZJ-0001", "420502-RSJ-0001", "420600-SCJGJ-0001"}


async def load_demo(stack: Stack) -> None:
    assert stack.settings is not None
    seed = read_seed(SEED_DIR)
    seed = dataclasses.replace(seed, matters=tuple(m for m in seed.matters if m.code in MATTERS), articles=())
    channel = caller_channel(stack.settings.catalogue_address, "catalogue")
    try:
        await load_seed(seed, catalogue_pb2_grpc.CatalogueServiceStub(channel), ADMIN)
    finally:
        await channel.close()

    async def indexed() -> bool:
        for site, q in [("420502", "结婚登记"), ("420502", "社会保障卡"), ("420600", "营业执照")]:
            r = await stack.client.get(f"/api/v1/sites/{site}/search", params={"q": q})
            if r.status_code != 200 or not r.json()["items"]:
                return False
        return True

    await wait_until(indexed)


async def ask(gateway: httpx.AsyncClient, site: str, question: Any) -> dict[str, Any]:
    r = await gateway.post(f"/api/v1/sites/{site}/ask", json={"question": question})
    assert r.status_code == 200, r.text
    body: dict[str, Any] = r.json()
    return body


async def test_questions_are_answered_from_the_guides_with_a_link(stack: Stack) -> None:
    await load_demo(stack)
    gateway = stack.client

    married = await ask(gateway, "420502", "结婚需要带什么")
    assert married["answered"] and married["consult"] is None and married["message"] is None
    assert married["citation"] == {
        "kind": "matter",
        "matter_code": "420502-MZJ-0001",
        "matter_name": "结婚登记（内地居民）",
        "site_code": "420502",
        "element": "materials",
        "element_label": "申请材料",
        "link": "/api/v1/sites/420502/matters/420502-MZJ-0001",
        "faq_id": None,
        "faq_title": None,
    }
    assert len(married["items"]) == 3 and married["items"][0].startswith("男女双方本人有效居民身份证")
    # The link is the guide's own route, and it answers.
    guide = await gateway.get(married["citation"]["link"])
    assert guide.status_code == 200 and guide.json()["name"] == "结婚登记（内地居民）"

    licence = await ask(gateway, "420600", "营业执照多久能办好？")
    assert licence["citation"]["element"] == "time_limit" and licence["element_asked"] == "time_limit"
    assert licence["answer"] == "“营业执照设立登记（企业）”承诺时限为1个工作日。"

    card = await ask(gateway, "420502", "社保卡在哪里办")
    assert card["answered"] and card["citation"]["element_label"] == "办理地点和时间"
    assert card["citation"]["link"] == "/api/v1/sites/420502/matters/420502-RSJ-0001"
    assert "工作日 9:00-12:00" in card["items"][0] and "社保卡" in card["terms"]


async def test_no_answer_offers_a_consultation_and_bad_input_is_refused(stack: Stack) -> None:
    await load_demo(stack)
    gateway = stack.client
    unknown = await ask(gateway, "420502", "火星移民需要带什么？")
    assert (unknown["answered"], unknown["answer"], unknown["citation"]) == (False, None, None)
    assert "没有找到" in unknown["message"]
    assert unknown["consult"] == {
        "label": "我要咨询",
        "method": "POST",
        "link": "/api/v1/consultations",
        "prefill": {
            "site_code": "420502",
            "kind": "consultation",
            "matter_code": "",
            "title": "火星移民需要带什么？",
            "content": "火星移民需要带什么？",
        },
    }

    empty = assert_problem(
        await gateway.post("/api/v1/sites/420502/ask", json={"question": "   "}), 400, "QUESTION_EMPTY"
    )
    assert empty["errors"][0]["field"] == "question" and "问题" in empty["errors"][0]["message_zh"]
    long = assert_problem(
        await gateway.post("/api/v1/sites/420502/ask", json={"question": "问" * 201}),
        400,
        "QUESTION_TOO_LONG",
    )
    assert long["errors"][0]["field"] == "question" and "200" in long["detail_zh"]
    assert (await gateway.post("/api/v1/sites/420502/ask", json={"question": "问" * 200})).status_code == 200
    for body in [{}, {"question": 5}, {"question": "x", "more": 1}]:
        bad = assert_problem(
            await gateway.post("/api/v1/sites/420502/ask", json=body), 400, "REQUEST_INVALID"
        )
        assert "question" in bad["detail"] or "more" in bad["detail"]
    assert_problem(
        await gateway.post("/api/v1/sites/999999/ask", json={"question": "结婚需要带什么"}),
        404,
        "SITE_NOT_FOUND",
    )
