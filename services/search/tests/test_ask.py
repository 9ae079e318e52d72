"""智能问答 through gRPC on the embedded back end: the demo province's guides (结婚登记, 社会保障卡申领,
营业执照设立登记) and an FAQ, loaded into the catalogue, answered from the index and the guides."""

from __future__ import annotations

import dataclasses
from collections.abc import Awaitable, Callable

import grpc
import pytest

from govhall.catalogue.demo import SEED_DIR
from govhall.catalogue.seed import read_seed
from govhall.catalogue.seedloader import load_seed
from govhall.kit.testing import wait_until
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.common.v1 import common_pb2
from govhall.protos.search.v1 import search_pb2 as pb
from govhall.search.asking import answer_element, take_apart

from .test_api import ADMIN, Stack, error_code, make_stack  # noqa: F401  (make_stack: a fixture)

XILING, XIANGYANG = "420502", "420600"
# The demo's matters these questions are about, and the FAQ about bringing the 户口簿.
# 420502-SCJGJ-0001 (食品经营许可) lists 营业执照 among its materials: it must not answer for it.
MATTERS = {
    "420502-MZJ-0001",
    "420502-RSJ-0001",
    "420502-SCJGJ-0001",
    "420502-SCJGJ-0002",
    "420600-SCJGJ-0001",
}
FAQ_KEY = "faq/420502/marriage-hukou"


async def load_demo(stack: Stack) -> None:
    seed = read_seed(SEED_DIR)
    seed = dataclasses.replace(
        seed,
        matters=tuple(m for m in seed.matters if m.code in MATTERS),
        articles=tuple(a for a in seed.articles if a.key == FAQ_KEY),
    )
    await load_seed(seed, stack.catalogue, ADMIN)

    async def indexed() -> bool:
        try:
            reply = await stack.search.Ask(
                pb.AskRequest(site_code=XILING, question="办理结婚登记还需要带户口簿吗")
            )
            found = await stack.search.Search(pb.SearchRequest(site_code=XIANGYANG, query="营业执照"))
        except grpc.aio.AioRpcError:
            return False  # the site copy may not have arrived yet
        return reply.answered and bool(found.hits)

    await wait_until(indexed)


@pytest.fixture
async def demo(make_stack: Callable[..., Awaitable[Stack]]) -> Stack:  # noqa: F811
    stack = await make_stack("embedded")
    await load_demo(stack)
    return stack


@pytest.fixture(params=["embedded", "elasticsearch"])
async def demo_both(request: pytest.FixtureRequest, make_stack: Callable[..., Awaitable[Stack]]) -> Stack:  # noqa: F811
    """The demo on either back end: the answers come from the same retrieval on both."""
    stack = await make_stack(request.param)
    await load_demo(stack)
    return stack


def test_a_question_is_taken_apart_into_what_it_asks_and_what_about() -> None:
    assert take_apart("结婚需要带什么") == take_apart("结婚需要带什么？")
    assert (take_apart("结婚需要带什么").element, take_apart("结婚需要带什么").terms) == (
        "materials",
        ("结婚",),
    )
    assert take_apart("营业执照多久能办好").element == "time_limit"
    assert take_apart("营业执照多长时间能办好").element == "time_limit"
    assert (take_apart("社保卡在哪里办").element, take_apart("社保卡在哪里办").terms) == (
        "places",
        ("社保卡",),
    )
    assert take_apart("社保卡办理时间").element == "places"
    assert take_apart("结婚登记收费吗").element == "fees"
    assert take_apart("开个体户需要什么条件").element == "conditions"
    assert take_apart("营业执照可以网上办吗").element == "online"
    assert take_apart("请问一下").terms == ()


async def test_the_three_questions_are_answered_from_the_guides_with_citations(demo_both: Stack) -> None:
    demo = demo_both
    married = await demo.search.Ask(pb.AskRequest(site_code=XILING, question="结婚需要带什么"))
    assert married.answered and married.element_asked == "materials"
    cited = married.citation
    assert (cited.kind, cited.matter_code, cited.matter_name, cited.element, cited.element_label) == (
        pb.DOCUMENT_KIND_MATTER,
        "420502-MZJ-0001",
        "结婚登记（内地居民）",
        "materials",
        "申请材料",
    )
    assert [i.split("（")[0] for i in married.items] == [
        "男女双方本人有效居民身份证",
        "申请结婚登记声明书",
        "双方近期半身免冠合影2寸照片",
    ]
    assert "原件" in married.items[0] and "男女双方本人有效居民身份证" in married.answer
    # Understood as a search query is: traditional characters and full-width punctuation too.
    traditional = await demo.search.Ask(pb.AskRequest(site_code=XILING, question="結婚需要帶什麼？"))
    assert traditional.citation == married.citation and list(traditional.items) == list(married.items)

    licence = await demo.search.Ask(pb.AskRequest(site_code=XIANGYANG, question="营业执照多久能办好？"))
    assert licence.answered and licence.citation.element == "time_limit"
    assert licence.citation.matter_code == "420600-SCJGJ-0001"
    assert "承诺时限为1个工作日" in licence.answer
    # At 西陵区 the 营业执照 is the 个体工商户's, an instant matter: said so, not a number of days.
    instant = await demo.search.Ask(pb.AskRequest(site_code=XILING, question="营业执照多久能办好"))
    assert instant.citation.matter_code == "420502-SCJGJ-0002" and "即办件" in instant.answer

    card = await demo.search.Ask(pb.AskRequest(site_code=XILING, question="社保卡在哪里办"))
    assert card.answered and (card.citation.matter_code, card.citation.element) == (
        "420502-RSJ-0001",
        "places",
    )
    assert card.citation.element_label == "办理地点和时间"
    assert card.items[0].startswith("西陵区政务服务中心 一楼 人社窗口，办理时间：工作日 9:00-12:00")
    assert "西陵区社会保障卡合作银行网点" in card.items[1]


async def test_fees_online_and_an_faq_close_to_the_question(demo: Stack) -> None:
    fees = await demo.search.Ask(pb.AskRequest(site_code=XILING, question="结婚登记要交钱吗"))
    assert (fees.answered, fees.citation.element, fees.answer) == (
        True,
        "fees",
        "“结婚登记（内地居民）”不收费。",
    )
    online = await demo.search.Ask(pb.AskRequest(site_code=XILING, question="结婚登记能网上办吗"))
    assert online.answered and online.citation.element == "online" and "暂不支持网上申办" in online.answer
    faq = await demo.search.Ask(pb.AskRequest(site_code=XILING, question="结婚登记还需要带户口簿吗？"))
    assert faq.answered and faq.citation.kind == pb.DOCUMENT_KIND_FAQ
    assert (faq.citation.element, faq.citation.faq_title, faq.citation.matter_code) == (
        "faq",
        "办理结婚登记还需要带户口簿吗？",
        "420502-MZJ-0001",
    )
    assert faq.citation.faq_id and faq.answer.startswith("不需要。")
    written = await demo.search.Ask(pb.AskRequest(site_code=XILING, question="結婚登記還需要帶戶口簿嗎"))
    assert written.citation == faq.citation
    # Naming the matter alone: its guide in brief, not an FAQ that merely mentions it.
    brief = await demo.search.Ask(pb.AskRequest(site_code=XILING, question="我想问一下结婚登记"))
    assert brief.answered and (brief.element_asked, brief.citation.element) == ("", "overview")
    assert brief.citation.matter_code == "420502-MZJ-0001" and "需要准备3项材料" in brief.answer


def test_guide_elements_say_fees_limits_and_nothing_when_the_guide_is_silent() -> None:
    draft = cat.MatterDraft(
        name="道路运输经营许可",
        handling_type=cat.HANDLING_TYPE_PROMISED,
        promised_limit=common_pb2.TimeLimit(value=20, unit=common_pb2.TIME_LIMIT_UNIT_WORKING_DAY),
        fees=cat.FeeSchedule(
            charged=True,
            items=[
                cat.FeeItem(
                    name="工本费", amount=common_pb2.Money(currency="CNY", amount_fen=1050), note="按件收取"
                ),
                cat.FeeItem(name="证书费", amount=common_pb2.Money(currency="CNY", amount_fen=2000)),
            ],
        ),
        materials=[
            cat.Material(
                name="委托书",
                form=cat.MATERIAL_FORM_ORIGINAL,
                copies=1,
                necessity=cat.MATERIAL_NECESSITY_CONDITIONAL,
                condition="委托他人代办的",
            )
        ],
    )
    matter = cat.Matter(code="K1", draft=draft)
    assert answer_element(matter, "fees").items == ("工本费：10.50元（按件收取）", "证书费：20元")
    assert answer_element(matter, "time_limit").text == "“道路运输经营许可”承诺时限为20个工作日。"
    assert answer_element(matter, "materials").items == ("委托书（原件，1份，特定情形需要：委托他人代办的）",)
    # No places, no conditions written, no limit for a promised matter: nothing made up.
    assert answer_element(matter, "places").text == ""
    assert answer_element(matter, "conditions").text == ""
    matter.draft.ClearField("promised_limit")
    assert answer_element(matter, "time_limit").text == ""


async def test_what_it_cannot_answer_is_said_and_bad_questions_refused(demo: Stack) -> None:
    # 户口簿 is only among the materials of 个体工商户's 营业执照 (and in an FAQ about something
    # else): no guide is about it, so nothing is answered rather than the wrong guide.
    for question in ["火星移民需要带什么", "请问一下", "户口簿多久能办好"]:
        reply = await demo.search.Ask(pb.AskRequest(site_code=XILING, question=question))
        assert not reply.answered and reply.answer == "" and not reply.HasField("citation"), question
        assert "没有找到" in reply.message
    assert await error_code(demo.search.Ask(pb.AskRequest(site_code=XILING, question="  "))) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "QUESTION_EMPTY",
    )
    assert await error_code(demo.search.Ask(pb.AskRequest(site_code=XILING, question="问" * 201))) == (
        grpc.StatusCode.INVALID_ARGUMENT,
        "QUESTION_TOO_LONG",
    )
    assert await error_code(
        demo.search.Ask(pb.AskRequest(site_code="999999", question="结婚需要带什么"))
    ) == (
        grpc.StatusCode.NOT_FOUND,
        "SITE_NOT_FOUND",
    )
