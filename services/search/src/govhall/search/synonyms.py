"""Everyday words → the official terms used in matter names (身份证 → 居民身份证).

People search the way they speak (办驾照, 开公司, 生孩子); the catalogue names matters the way the
实施清单 does (机动车驾驶证, 设立登记, 生育登记). `expand` widens a query with the official terms so
both find the matter; the back ends OR the variants and rank the original text first.

To add a word, add a line to SYNONYMS: the everyday word and its official terms, most common
first. A word may be a phrase (营业执照注销) that overrides a shorter one inside it (执照): the
longest word found at a place wins, words never overlap, and a word inside an official term the
query already uses (身份证 in 居民身份证) is left alone. No I/O: pure and cheap.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from itertools import product

# Everyday word -> official terms, most common first. Keep the terms as they appear in matter
# names, so a variant finds the name (and is highlighted in it).
SYNONYMS: dict[str, tuple[str, ...]] = {
    # 户籍与身份
    "身份证": ("居民身份证",),
    "户口": ("户籍", "户口登记"),
    "户口本": ("居民户口簿",),
    "迁户口": ("户口迁移",),
    "落户": ("户口迁入",),
    "暂住证": ("居住证",),
    "无犯罪证明": ("无犯罪记录证明",),
    "良民证": ("无犯罪记录证明",),
    "护照": ("普通护照",),
    "港澳通行证": ("往来港澳通行证",),
    # 交通
    "驾照": ("机动车驾驶证",),
    "驾驶证": ("机动车驾驶证",),
    "行驶证": ("机动车行驶证",),
    "车牌": ("机动车号牌",),
    "上牌": ("机动车注册登记",),
    # 婚育
    "结婚": ("结婚登记", "婚姻登记"),
    "结婚证": ("结婚登记",),
    "离婚": ("离婚登记",),
    "生孩子": ("生育登记",),
    "生小孩": ("生育登记",),
    "二胎": ("生育登记",),
    "准生证": ("生育服务证",),
    "出生证": ("出生医学证明",),
    "生育津贴": ("生育保险待遇",),
    # 企业
    "开公司": ("设立登记",),
    "开店": ("设立登记",),
    "个体户": ("个体工商户",),
    "执照": ("营业执照",),
    "营业执照注销": ("注销登记",),
    "公司注销": ("注销登记",),
    "营业执照变更": ("变更登记",),
    "食品许可证": ("食品经营许可",),
    # 社会保障
    "社保": ("社会保险",),
    "社保卡": ("社会保障卡",),
    "医保": ("医疗保障", "基本医疗保险"),
    "医保卡": ("社会保障卡",),
    "公积金": ("住房公积金",),
    "低保": ("最低生活保障",),
    "退休": ("退休", "基本养老金"),
    "养老金": ("基本养老金",),
    "失业金": ("失业保险金",),
    "工伤": ("工伤认定",),
    "残疾证": ("残疾人证",),
    "老年证": ("老年人优待证",),
    # 住房
    "房产证": ("不动产权证书",),
    "房产过户": ("不动产转移登记",),
    "公租房": ("公共租赁住房",),
    "廉租房": ("公共租赁住房",),
}

# The original text plus at most this many widened ones: each variant is another clause in the
# query, and a query of several everyday words would otherwise multiply them.
MAX_EXTRA_VARIANTS = 4


def patterns(table: Mapping[str, tuple[str, ...]]) -> list[tuple[str, bool]]:
    """The words of table and their official terms that are not words themselves, longest first
    (True marks a word)."""
    official = {term for terms in table.values() for term in terms} - set(table)
    return sorted([(w, True) for w in table] + [(t, False) for t in official], key=lambda p: -len(p[0]))


# Everyday words and the official terms that are not everyday words themselves, longest first:
# at each place in a query the longest one wins, so 居民身份证 keeps 身份证 inside it from being
# widened again, while 营业执照注销 (a word) overrides 营业执照 (an official term) inside it.
_PATTERNS = patterns(SYNONYMS)


def _absorbed(text: str, end: int, term: str) -> int:
    """How many characters after a replaced word the term already says (营业执照注销|登记 with the
    term 注销登记: the 登记 that follows), so the variant does not say it twice."""
    for k in range(len(term) - 1, 1, -1):
        if text.startswith(term[-k:], end):
            return k
    return 0


def expand(
    text: str,
    table: Mapping[str, tuple[str, ...]] = SYNONYMS,
    ordered: Sequence[tuple[str, bool]] | None = None,
) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(variants, words): the text and the texts with everyday words replaced by official terms
    (the original first, no duplicates, at most 1 + MAX_EXTRA_VARIANTS), and the everyday words
    that were replaced, in the order they appear. Without an everyday word: ((text,), ()).
    A site's own words come as table, with ordered = patterns(table) (cached by the caller)."""
    if ordered is None:
        ordered = _PATTERNS if table is SYNONYMS else patterns(table)
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, int, str]] = []
    for pattern, is_word in ordered:
        start = text.find(pattern)
        while start >= 0:
            end = start + len(pattern)
            if all(end <= s or start >= e for s, e in taken):
                taken.append((start, end))
                if is_word:
                    found.append((start, end, pattern))
            start = text.find(pattern, start + 1)
    if not found:
        return (text,), ()
    found.sort()
    variants = [text]
    for choice in product(*(table[word] for _, _, word in found)):
        parts: list[str] = []
        pos = 0
        for (start, end, _), term in zip(found, choice, strict=True):
            if start < pos:  # the previous term absorbed this word's place
                continue
            parts.append(text[pos:start])
            parts.append(term)
            pos = end + _absorbed(text, end, term)
        parts.append(text[pos:])
        variant = "".join(parts)
        if variant not in variants:
            variants.append(variant)
            if len(variants) > MAX_EXTRA_VARIANTS:
                break
    words = tuple(dict.fromkeys(word for _, _, word in found))
    return tuple(variants), words
