"""The controlled vocabularies a guide draws on: themes (主题分类), life events (生命周期) and
sub-audiences (细分服务对象), each per audience (自然人 / 法人).

Themes are the national government service platform's topic classes (国家政务服务平台 主题分类)
for persons and for legal persons. Life events are the stages of a person's life and of an
enterprise's; the national lists vary between provinces, so these follow the issue's wording.
Sub-audiences are this platform's choice: the groups guides most often single out (老年人,
残疾人… for persons; the legal forms of organisations for legal persons). The lists are data,
not an enum in the contract, so a new entry needs no change to the protos.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import cache

from govhall.protos.catalogue.v1 import catalogue_pb2 as pb

PERSON_THEMES: tuple[str, ...] = (
    "生育收养",
    "户籍办理",
    "民族宗教",
    "教育科研",
    "入伍服役",
    "就业创业",
    "设立变更",
    "准营准办",
    "抵押质押",
    "职业资格",
    "行政缴费",
    "婚姻登记",
    "优待抚恤",
    "规划建设",
    "住房保障",
    "社会保障",
    "证件办理",
    "交通出行",
    "旅游观光",
    "出境入境",
    "消费维权",
    "公共安全",
    "司法公证",
    "知识产权",
    "环保绿化",
    "文化体育",
    "公用事业",
    "医疗卫生",
    "离职退休",
    "死亡殡葬",
    "其他",
)

LEGAL_PERSON_THEMES: tuple[str, ...] = (
    "设立变更",
    "准营准办",
    "资质认证",
    "年检年审",
    "税收财务",
    "人力资源",
    "社会保障",
    "投资审批",
    "融资信贷",
    "抵押质押",
    "商务贸易",
    "招标拍卖",
    "海关口岸",
    "涉外服务",
    "农林牧渔",
    "国土和规划建设",
    "交通运输",
    "环保绿化",
    "应对气候变化",
    "水务气象",
    "医疗卫生",
    "科技创新",
    "文体教育",
    "知识产权",
    "民族宗教",
    "质量技术",
    "检验检疫",
    "安全生产",
    "公安消防",
    "司法公证",
    "公用事业",
    "法人注销",
    "档案文物",
    "其他",
)

PERSON_LIFE_EVENTS: tuple[str, ...] = ("出生", "教育", "就业", "婚育", "置业", "出行", "就医", "退休", "身后")

LEGAL_PERSON_LIFE_EVENTS: tuple[str, ...] = ("设立", "经营", "投资", "变更", "注销")

PERSON_SUB_AUDIENCES: tuple[str, ...] = (
    "老年人",
    "残疾人",
    "学生",
    "退役军人",
    "外籍人员",
    "港澳台居民",
    "农村居民",
    "低收入群体",
    "妇女儿童",
    "灵活就业人员",
)

LEGAL_PERSON_SUB_AUDIENCES: tuple[str, ...] = (
    "企业法人",
    "个体工商户",
    "农民专业合作社",
    "社会组织",
    "事业单位",
    "机关",
    "外商投资企业",
    "小微企业",
)

THEMES = "themes"
LIFE_EVENTS = "life_events"
SUB_AUDIENCES = "sub_audiences"
KINDS = (THEMES, LIFE_EVENTS, SUB_AUDIENCES)

_BY_AUDIENCE: dict[str, dict[int, tuple[str, ...]]] = {
    THEMES: {pb.AUDIENCE_PERSON: PERSON_THEMES, pb.AUDIENCE_LEGAL_PERSON: LEGAL_PERSON_THEMES},
    LIFE_EVENTS: {pb.AUDIENCE_PERSON: PERSON_LIFE_EVENTS, pb.AUDIENCE_LEGAL_PERSON: LEGAL_PERSON_LIFE_EVENTS},
    SUB_AUDIENCES: {
        pb.AUDIENCE_PERSON: PERSON_SUB_AUDIENCES,
        pb.AUDIENCE_LEGAL_PERSON: LEGAL_PERSON_SUB_AUDIENCES,
    },
}


@cache
def _allowed(kind: str, audiences: tuple[int, ...]) -> frozenset[str]:
    lists = _BY_AUDIENCE[kind]
    chosen = [a for a in audiences if a in lists] or list(lists)
    return frozenset(term for a in chosen for term in lists[a])


def allowed(kind: str, audiences: Iterable[int]) -> frozenset[str]:
    """The terms of one vocabulary open to a matter for these audiences (all of them when none is valid)."""
    return _allowed(kind, tuple(sorted(set(audiences))))


def message() -> pb.Taxonomy:
    return pb.Taxonomy(
        person_themes=PERSON_THEMES,
        legal_person_themes=LEGAL_PERSON_THEMES,
        person_life_events=PERSON_LIFE_EVENTS,
        legal_person_life_events=LEGAL_PERSON_LIFE_EVENTS,
        person_sub_audiences=PERSON_SUB_AUDIENCES,
        legal_person_sub_audiences=LEGAL_PERSON_SUB_AUDIENCES,
    )
