"""Everyday words → the official terms used in matter names (身份证 → 居民身份证).

People search the way they speak (办驾照, 开公司, 生孩子); the catalogue names matters the way the
实施清单 does (机动车驾驶证, 设立登记, 生育登记). `expand` widens a query with the official terms so
both find the matter; the back ends OR the variants and rank the original text first.

To add a word, add a line to data/synonyms.json: the everyday word and its official terms, most common
first. A word may be a phrase (营业执照注销) that overrides a shorter one inside it (执照): the
longest word found at a place wins, words never overlap, and a word inside an official term the
query already uses (身份证 in 居民身份证) is left alone. No I/O: pure and cheap.
"""

from __future__ import annotations

from itertools import product

from govhall.search.lexicon import builtin

# Everyday word -> official terms, most common first (data/synonyms.json, the built-in lexicon's
# synonyms). Keep the terms as they appear in matter names, so a variant finds the name.
SYNONYMS: dict[str, tuple[str, ...]] = dict(builtin().synonyms)

# The original text plus at most this many widened ones: each variant is another clause in the
# query, and a query of several everyday words would otherwise multiply them.
MAX_EXTRA_VARIANTS = 4

# Everyday words and the official terms that are not everyday words themselves, longest first:
# at each place in a query the longest one wins, so 居民身份证 keeps 身份证 inside it from being
# widened again, while 营业执照注销 (a word) overrides 营业执照 (an official term) inside it.
_OFFICIAL = {term for terms in SYNONYMS.values() for term in terms} - set(SYNONYMS)
_PATTERNS = sorted([(w, True) for w in SYNONYMS] + [(t, False) for t in _OFFICIAL], key=lambda p: -len(p[0]))


def _absorbed(text: str, end: int, term: str) -> int:
    """How many characters after a replaced word the term already says (营业执照注销|登记 with the
    term 注销登记: the 登记 that follows), so the variant does not say it twice."""
    for k in range(len(term) - 1, 1, -1):
        if text.startswith(term[-k:], end):
            return k
    return 0


def expand(text: str) -> tuple[tuple[str, ...], tuple[str, ...]]:
    """(variants, words): the text and the texts with everyday words replaced by official terms
    (the original first, no duplicates, at most 1 + MAX_EXTRA_VARIANTS), and the everyday words
    that were replaced, in the order they appear. Without an everyday word: ((text,), ())."""
    taken: list[tuple[int, int]] = []
    found: list[tuple[int, int, str]] = []
    for pattern, is_word in _PATTERNS:
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
    for choice in product(*(SYNONYMS[word] for _, _, word in found)):
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
