"""智能问答 without I/O: what a question asks for, what it is about, and the answer a guide gives.

A citizen's question has two parts: what it is about (结婚, 营业执照, 社保卡) and what it wants to
know about it (带什么 → the materials, 多久 → the promised time limit, 在哪 → the places and
hours). The first is searched for; the second picks the element of the guide that answers. The
intent words are a short fixed list here, not a model: nothing is fetched or learnt at run time.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass

from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.common.v1 import common_pb2

MAX_QUESTION = 200

# Guide elements and their Chinese names, as citations name them.
ELEMENT_LABELS: dict[str, str] = {
    "materials": "申请材料",
    "time_limit": "承诺时限",
    "places": "办理地点和时间",
    "fees": "收费标准",
    "conditions": "受理条件",
    "online": "网上办理",
    "overview": "办事指南",
    "faq": "常见问题",
}

# What a question asks, by the words it asks with. At each place in a question the longest word
# wins (多长时间 is a time limit, 时间 alone the hours), and the first word found decides, a
# GENERIC one only when no other is there (需要什么条件 asks for the conditions).
_INTENT_WORDS: dict[str, tuple[str, ...]] = {
    "materials": (
        "带什么",
        "带哪些",
        "拿什么",
        "准备什么",
        "提交什么",
        "提供什么",
        "要什么",
        "需要什么",
        "材料",
        "证件",
        "资料",
        "手续",
    ),
    "time_limit": (
        "多久",
        "多长时间",
        "几天",
        "多少天",
        "几个工作日",
        "多少个工作日",
        "时限",
        "期限",
        "多快",
        "什么时候能",
    ),
    "places": (
        "在哪",
        "哪里办",
        "去哪",
        "哪儿",
        "哪个窗口",
        "地址",
        "地点",
        "窗口",
        "几点",
        "时间",
        "上班",
        "营业时间",
    ),
    "fees": ("多少钱", "收费", "费用", "收钱", "要钱", "花钱", "免费", "交钱", "钱"),
    "conditions": ("条件", "资格", "符合", "能不能办", "可不可以办", "谁可以", "谁能"),
    "online": ("网上", "在线", "网办", "线上", "手机上", "app", "不用跑", "跑几次", "到现场"),
}

# Words that carry no subject: dropped wherever they are (longer ones), or only at the edges of
# what is left (single characters, which inside a word are part of it: 办 in 补办).
GENERIC = frozenset({"要什么", "需要什么"})

_FILLER_WORDS = (
    "请问",
    "你好",
    "您好",
    "我想",
    "我要",
    "想要",
    "想问",
    "咨询",
    "一下",
    "需要",
    "应该",
    "可以",
    "什么",
    "怎么",
    "怎样",
    "如何",
    "哪些",
    "办理",
    "申请",
    "能够",
    "还要",
    "还需",
    "的话",
)
_EDGE_CHARS = set("我你您要需能办去在到的了吗呢啊吧呀好是和与及把给该从得个哪几多些有没还都就也请想问带拿交")

_PUNCTUATION = set("，。？！、；：,.?!;:（）()《》“”\"'「」【】[] \t\n")


@dataclass(frozen=True)
class Asked:
    """A question taken apart: the guide element it asks for ("" if none) and its subject words."""

    element: str
    terms: tuple[str, ...]


def _spans(text: str, words: list[tuple[str, str]]) -> list[tuple[int, int, str]]:
    """Non-overlapping occurrences, the longest word winning at each place: (start, end, tag)."""
    taken: list[tuple[int, int, str]] = []
    for word, tag in sorted(words, key=lambda w: -len(w[0])):
        start = text.find(word)
        while start >= 0:
            end = start + len(word)
            if all(end <= s or start >= e for s, e, _ in taken):
                taken.append((start, end, tag))
            start = text.find(word, start + 1)
    return sorted(taken)


_INTENTS = [(w, element) for element, words in _INTENT_WORDS.items() for w in words]
_FILLERS = [(w, "") for w in _FILLER_WORDS]


def _element(found: list[tuple[int, int, str]], text: str) -> str:
    intents = [(text[s:e], tag) for s, e, tag in found if tag]
    specific = [tag for word, tag in intents if word not in GENERIC]
    return (specific or [tag for _, tag in intents] or [""])[0]


def take_apart(text: str) -> Asked:
    """The element asked for and the subject words (intent and filler words cut out, what is left
    split at them and at punctuation, edges trimmed of single filler characters)."""
    found = _spans(text, _INTENTS + _FILLERS)
    element = _element(found, text)
    chunks: list[str] = []
    pos = 0
    for start, end, _ in [*found, (len(text), len(text), "")]:
        chunks.append(text[pos:start])
        pos = max(pos, end)
    terms: list[str] = []
    for chunk in chunks:
        for part in "".join(" " if c in _PUNCTUATION else c for c in chunk).split():
            lo, hi = 0, len(part)
            while lo < hi and part[lo] in _EDGE_CHARS:
                lo += 1
            while hi > lo and part[hi - 1] in _EDGE_CHARS:
                hi -= 1
            word = part[lo:hi]
            if len(word) >= 2 and word not in terms:
                terms.append(word)
    return Asked(element, tuple(terms))


def similarity(a: str, b: str) -> float:
    """How alike two short texts are: the Dice coefficient of their character bigrams
    (punctuation ignored). Used to tell an FAQ written for this very question."""

    def grams(text: str) -> set[str]:
        chars = [c for c in text if c not in _PUNCTUATION]
        return {a + b for a, b in itertools.pairwise(chars)}

    x, y = grams(a), grams(b)
    return 2 * len(x & y) / (len(x) + len(y)) if x and y else 0.0


# -- answers from a guide ---------------------------------------------------------------------

_FORMS = {
    cat.MATERIAL_FORM_ORIGINAL: "原件",
    cat.MATERIAL_FORM_COPY: "复印件",
    cat.MATERIAL_FORM_ORIGINAL_AND_COPY: "原件和复印件",
    cat.MATERIAL_FORM_ELECTRONIC: "电子材料",
}
_UNITS = {
    common_pb2.TIME_LIMIT_UNIT_WORKING_DAY: "个工作日",
    common_pb2.TIME_LIMIT_UNIT_NATURAL_DAY: "天（自然日）",
}
_DEPTHS = {1: "网上公开办事指南", 2: "可在线预审", 3: "可在线申办", 4: "全程网办"}


@dataclass(frozen=True)
class GuideAnswer:
    """What one element of a guide says; empty items and text when the guide does not say."""

    text: str
    items: tuple[str, ...] = ()


def _material(m: cat.Material) -> str:
    details = [d for d in (_FORMS.get(m.form, ""), f"{m.copies}份" if m.copies else "") if d]
    if m.necessity == cat.MATERIAL_NECESSITY_CONDITIONAL:
        details.append(f"特定情形需要：{m.condition}" if m.condition else "特定情形需要")
    elif m.necessity == cat.MATERIAL_NECESSITY_OPTIONAL:
        details.append("非必要")
    if m.source == cat.MATERIAL_SOURCE_LICENCE:
        details.append("可用电子证照")
    return m.name + (f"（{'，'.join(details)}）" if details else "")


def _place(p: cat.ServicePlace) -> str:
    where = " ".join(x for x in (p.name, p.address, p.window) if x)
    parts = [where] + [f"办理时间：{p.hours}"] * bool(p.hours) + [f"电话：{p.phone}"] * bool(p.phone)
    return "，".join(x for x in parts if x)


def _money(fen: int) -> str:
    return f"{fen // 100}元" if fen % 100 == 0 else f"{fen / 100:.2f}元"


def time_limit_text(draft: cat.MatterDraft) -> str:
    limit = draft.promised_limit
    if limit.value:
        return f"承诺时限为{limit.value}{_UNITS.get(limit.unit, '个工作日')}"
    if draft.handling_type == cat.HANDLING_TYPE_INSTANT:
        return "本事项为即办件，材料齐全、符合法定形式的当场办结"
    return ""


def answer_element(matter: cat.Matter, element: str) -> GuideAnswer:
    """The answer the guide of matter gives about element (see ELEMENT_LABELS)."""
    draft = matter.draft
    name = draft.name
    if element == "materials":
        items = tuple(_material(m) for m in draft.materials)
        return (
            GuideAnswer(f"办理“{name}”需要准备以下材料：" + "；".join(items) + "。", items)
            if items
            else GuideAnswer("")
        )
    if element == "time_limit":
        said = time_limit_text(draft)
        return GuideAnswer(f"“{name}”{said}。" if said else "")
    if element == "places":
        items = tuple(_place(p) for p in draft.places)
        return (
            GuideAnswer(f"“{name}”可在以下地点办理：" + "；".join(items) + "。", items)
            if items
            else GuideAnswer("")
        )
    if element == "fees":
        if not draft.fees.charged:
            return GuideAnswer(f"“{name}”不收费。")
        items = tuple(
            f"{f.name}：{_money(f.amount.amount_fen)}" + (f"（{f.note}）" if f.note else "")
            for f in draft.fees.items
        )
        return (
            GuideAnswer(f"“{name}”的收费标准：" + "；".join(items) + "。", items)
            if items
            else GuideAnswer("")
        )
    if element == "conditions":
        said = draft.guide.acceptance_conditions
        return GuideAnswer(f"“{name}”的受理条件：{said}" if said else "")
    if element == "online":
        if not draft.online_application:
            visits = f"，需到办事现场{draft.visits}次" if draft.visits else ""
            return GuideAnswer(f"“{name}”暂不支持网上申办{visits}。")
        depth = _DEPTHS.get(draft.online_depth, "可在线申办")
        visits = "，无需到办事现场" if draft.visits == 0 else f"，需到办事现场{draft.visits}次"
        return GuideAnswer(f"“{name}”可以网上办理（{depth}{visits}）。")
    # No element asked: what a citizen most needs to know first.
    parts = [f"“{name}”由{matter.department_name or '相关部门'}办理"]
    said = time_limit_text(draft)
    if said:
        parts.append(said)
    if draft.materials:
        parts.append(f"需要准备{len(draft.materials)}项材料")
    if draft.places:
        parts.append(f"办理地点：{draft.places[0].name}")
    if draft.online_application:
        parts.append("可以网上办理")
    return GuideAnswer("，".join(parts) + "。详见办事指南。")
