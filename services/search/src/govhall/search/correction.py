"""你是不是要找 (did you mean), and suggestions ranked by how often people search them.

A query that finds nothing or little may hold a typo: a homophone (营业执找 for 营业执照, 身分证
for 身份证: the same pinyin) or one character wrong, missing or extra. The closest known term is
looked for among the names of the matters the site sees (through the suggestion keys: names
containing the query's pinyin, or either half of the query, so a typo in one half still finds
them) and the lexicon's words, in the part of a name that sounds like the query or is one edit
from it. A query whose text is itself part of a known name or a known word is never corrected.
Longer queries are corrected word by word (jieba's words, see understanding.py), and the
correction is those words.

Ranking: of the terms found, a homophone before one edit away, then the term people searched
more (hot words), then the one more names contain, then the one closest in length, then by text.
"""

from __future__ import annotations

import logging
import time
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass

from govhall.search.backend import SearchBackend
from govhall.search.hotwords import HotWords
from govhall.search.lexicon import Lexicon
from govhall.search.model import Suggestion
from govhall.search.spelling import compact, has_cjk, pinyin, syllables
from govhall.search.understanding import understand

log = logging.getLogger(__name__)

# Fewer hits than this and a correction is offered (the hits themselves stay).
LITTLE = 3
# Names fetched from the index per lookup before ranking (by searches, or for a correction).
POOL = 50
# Hot words consulted for the ranking: a site's most searched, over the last days.
COUNTED = 500

# Queries of more words than this are not corrected word by word.
MAX_WORDS = 8

_HOMOPHONE, _INITIALS, _ONE_EDIT = 3, 2, 1


class RecentCorrections:
    """Corrections worked out lately, per (scope, query, lexicon version), for a short while.

    Working one out reads the hot words and the index's names several times: done for every
    search that finds little, it halved the search rate (bench/search_vs_bare.py). A query that
    finds little is usually asked again and again; a new name in the index shows within `seconds`.
    """

    def __init__(self, seconds: float = 30.0, size: int = 4096) -> None:
        self._seconds = seconds
        self._size = size
        self._kept: OrderedDict[tuple[object, ...], tuple[float, str]] = OrderedDict()

    def get(self, key: tuple[object, ...]) -> str | None:
        kept = self._kept.get(key)
        if kept is None or time.monotonic() - kept[0] > self._seconds:
            return None
        self._kept.move_to_end(key)
        return kept[1]

    def put(self, key: tuple[object, ...], correction: str) -> None:
        self._kept[key] = (time.monotonic(), correction)
        self._kept.move_to_end(key)
        while len(self._kept) > self._size:
            self._kept.popitem(last=False)


async def search_counts(hot_words: HotWords, site_code: str) -> dict[str, int]:
    """How often each word was searched at the site lately, by its compact form; {} if unknown."""
    try:
        top = await hot_words.top(site_code, COUNTED)
    except Exception:
        # A ranking nicety: suggestions still come, shortest first.
        log.warning("search counts of %s unavailable", site_code, exc_info=True)
        return {}
    counts: dict[str, int] = {}
    for word, count in top:
        key = compact(word)
        counts[key] = counts.get(key, 0) + count
    return counts


def rank(found: list[Suggestion], counts: dict[str, int], size: int) -> list[Suggestion]:
    """The names searched most first; the back end's order (shorter first) among equals."""
    return sorted(found, key=lambda s: -counts.get(compact(s.text), 0))[:size]


def _one_edit(a: str, b: str) -> bool:
    """a and b differ by exactly one character replaced, added or removed."""
    if a == b or abs(len(a) - len(b)) > 1:
        return False
    if len(a) == len(b):
        return sum(x != y for x, y in zip(a, b, strict=True)) == 1
    short, long = (a, b) if len(a) < len(b) else (b, a)
    return any(long[:i] + long[i + 1 :] == short for i in range(len(long)))


def _spans(name: str, q: str, q_pinyin: str) -> Iterable[tuple[str, int]]:
    """The parts of a compact name that sound like q, or are spelt by q's initials, or are one
    edit from q; with how close they are."""
    spelt = syllables(name)
    latin = q.isascii()
    for i in range(len(name)):
        sound = ""
        for j in range(i + 1, len(name) + 1):
            sound += spelt[j - 1]
            span = name[i:j]
            if len(sound) > len(q_pinyin) and j - i > len(q) + 1:
                break
            if sound == q_pinyin:
                yield span, _HOMOPHONE
            elif latin and "".join(s[0] for s in spelt[i:j]) == q:
                yield span, _INITIALS
            elif not latin and len(q) >= 3 and _one_edit(span, q):
                yield span, _ONE_EDIT


@dataclass
class _Term:
    closeness: int = 0
    names: int = 0


class Corrector:
    """Finds the closest known term to a word, over one site's scope."""

    def __init__(self, backend: SearchBackend, site_codes: tuple[str, ...], lexicon: Lexicon) -> None:
        self._backend = backend
        self._sites = site_codes
        self._lexicon = lexicon

    def _words(self) -> list[str]:
        words = [*self._lexicon.synonyms, *(t for terms in self._lexicon.synonyms.values() for t in terms)]
        return list(dict.fromkeys(compact(w) for w in words if w))

    async def closest(self, word: str, counts: dict[str, int]) -> str:
        """The closest known term to word, '' if word is known or nothing is close."""
        q = compact(word)
        if len(q) < 2 or not (has_cjk(q) or q.isalpha()):
            return ""
        q_pinyin = pinyin(q)
        lookups = [q_pinyin]
        if has_cjk(q) and len(q) >= 3:
            lookups += [half for half in (q[: len(q) // 2], q[len(q) // 2 :]) if len(half) >= 2]
        names: dict[str, None] = {}
        for key in dict.fromkeys(lookups):
            for found in await self._backend.suggest(self._sites, key, POOL):
                names[compact(found.text)] = None
        known = [*names, *self._words()]
        if any(q in name for name in known):
            return ""
        terms: dict[str, _Term] = {}
        for name in known:
            for span, closeness in dict(_spans(name, q, q_pinyin)).items():
                term = terms.setdefault(span, _Term())
                term.closeness = max(term.closeness, closeness)
                term.names += 1
        if not terms:
            return ""
        best = min(
            terms.items(),
            key=lambda t: (-t[1].closeness, -counts.get(t[0], 0), -t[1].names, abs(len(t[0]) - len(q)), t[0]),
        )
        return best[0]

    async def did_you_mean(self, text: str, counts: dict[str, int]) -> str:
        """The query with its unknown words replaced by the closest known terms; '' if none."""
        whole = await self.closest(text, counts)
        if whole:
            return whole
        # Word by word, question and function words dropped: 我的身分证换领怎么办 → 身份证 换领.
        words = list(dict.fromkeys(understand(text, self._lexicon).tokens))
        if len(words) > MAX_WORDS:  # a pasted paragraph: each word costs up to three lookups
            return ""
        corrected = [await self.closest(word, counts) or word for word in words]
        return " ".join(corrected) if corrected != words else ""
