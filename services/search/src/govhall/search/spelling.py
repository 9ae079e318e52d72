"""How a matter name is typed: its characters, its pinyin and its initials (营业执照: yingyezhizhao,
yyzz), as the keys suggestions and corrections look names up by. No I/O here.

Elasticsearch here has no pinyin plugin (and the embedded index none either), so the pinyin is
computed in Python (pypinyin, its dictionary ships with the package) when a document is indexed.
A name's keys are the suffixes of each spelling: 居民身份证, 民身份证, 身份证 … juminshenfenzheng,
minshenfenzheng, shenfenzheng … jmsfz, msfz, sfz … (pinyin suffixes start at a syllable). What the
user typed, spelt the same way (`key_of`), matches a name when it is the start of one of the
name's keys: so it may match anywhere in the name, in characters, pinyin or initials, and both
back ends find it with a prefix lookup in a sorted term index (FTS5's prefix query, Elasticsearch's
prefix query on a keyword field), which stays fast however many names there are.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache
from typing import cast

from govhall.search.understanding import normalise

# Keys longer than this are cut: nobody types 64 letters of pinyin into a suggestion box (the
# prefix is at most 30 characters), and long keys only cost index space.
MAX_KEY = 64
# Characters a key keeps: CJK ideographs, Latin letters and digits; the rest only separates words.
_KEPT = re.compile(r"[^0-9a-z\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]+")
_CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")


def compact(text: str) -> str:
    """The text normalised (width, traditional → simplified), lower case, with only ideographs, letters and digits left."""
    return _KEPT.sub("", normalise(text).lower())


def has_cjk(text: str) -> bool:
    return bool(_CJK.search(text))


# pypinyin hands a run of other characters (ab12) to this and takes a list: one per character.
_one_each = cast(Callable[[str], str], list)


@lru_cache(maxsize=65_536)
def syllables(word: str) -> tuple[str, ...]:
    """One spelling per character of a compact word: its pinyin (read in context: 执照 zhizhao,
    银行 yinhang), or the character itself for a letter or digit."""
    # Imported when first spelt: pypinyin's phrase tables cost a second and ~55 MB at import.
    from pypinyin import Style, lazy_pinyin

    spelt = lazy_pinyin(word, style=Style.NORMAL, errors=_one_each)
    if len(spelt) != len(word):  # never seen; then character by character
        spelt = [(lazy_pinyin(c, style=Style.NORMAL, errors=_one_each) or [c])[0] for c in word]
    return tuple(s.lower() for s in spelt)


@lru_cache(maxsize=65_536)
def _piece(piece: str) -> tuple[tuple[str, ...], tuple[str, ...] | None]:
    """pypinyin's segmentation of one piece of a name, and its spelling (None when pypinyin does
    not give one per character: then the whole name is spelt as `syllables` spells it)."""
    from pypinyin import Style, lazy_pinyin
    from pypinyin.seg.simpleseg import seg

    spelt = lazy_pinyin(piece, style=Style.NORMAL, errors=_one_each)
    return tuple(seg(piece)), (tuple(s.lower() for s in spelt) if len(spelt) == len(piece) else None)


def name_syllables(pieces: list[str]) -> tuple[str, ...]:
    """`syllables` of the pieces joined, spelt from each piece's remembered spelling when that is
    the same.

    A province's names are mostly a matter's name and where it is handled (营业执照核发（太平镇便民
    服务中心）): 173,000 distinct names at 302,000 matters, of a few thousand pieces, and spelling
    each whole name was most of a full reindex's time. pypinyin segments the text, then spells
    each segment alone, so the joined spelling is the pieces' spellings joined exactly when the
    whole's segmentation is the pieces' segmentations joined (no phrase across a joint): checked
    for each name (segmenting is cheap), and otherwise the whole name is spelt."""
    word = "".join(pieces)
    if len(pieces) < 2:
        return syllables(word)
    from pypinyin.seg.simpleseg import seg

    known = [_piece(p) for p in pieces]
    if all(spelt is not None for _, spelt in known) and tuple(seg(word)) == tuple(
        token for cut, _ in known for token in cut
    ):
        return tuple(s for _, spelt in known for s in spelt or ())
    return syllables(word)


def pinyin(word: str) -> str:
    return "".join(syllables(word))


def suggest_keys(name: str) -> list[str]:
    """The keys a name is found by (see the module's docstring), distinct, at most MAX_KEY long."""
    return list(_suggest_keys(name))


# Remembered: the same matter is listed at every site.
@lru_cache(maxsize=65_536)
def _suggest_keys(name: str) -> tuple[str, ...]:
    pieces = [p for p in _KEPT.split(normalise(name).lower()) if p]
    word = "".join(pieces)  # == compact(name)
    spelt = name_syllables(pieces)
    keys: dict[str, None] = {}
    for i in range(len(word)):
        for key in (word[i:], "".join(spelt[i:]), "".join(s[0] for s in spelt[i:] if s)):
            if key:
                keys[key[:MAX_KEY]] = None
    return tuple(keys)


def key_of(typed: str) -> str:
    """What the user typed, as a key to look names up by ('' if nothing is left)."""
    return compact(typed)[:MAX_KEY]
