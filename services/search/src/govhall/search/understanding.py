"""Query understanding, the same Python for both back ends: normalise, segment, rewrite.

`normalise` makes text comparable (full/half width, traditional → simplified, punctuation,
latin case). `index_tokens` is what the index keeps besides the text: the words of the normalised
text (jieba), each long word followed by the dictionary words inside it, so a query's word finds
it whether or not the index knew the longer one. `understand` segments a query the same way,
drops question and function words (data/stopwords.json), and rewrites intent phrases (丢了 → 补领)
and everyday words (身份证 → 居民身份证) from the lexicon: at query time only, so an admin's change
applies to the next query without a reindex.

jieba's dictionary takes about a second to load, and a few MB of memory in a trie
(dictionary.py; jieba's own dict of it took ~70 MB): `warm_up` does it at service start;
otherwise the first segmentation does
(the all-in-one defers it so it starts in seconds and idles small). The dictionary learns the
lexicon's words and the matter names as they are indexed (`learn`), so names and words are
segmented whole; names learned before the dictionary is loaded wait for it.
"""

from __future__ import annotations

import logging
import threading
import unicodedata
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from itertools import product
from typing import TYPE_CHECKING

import zhconv

from govhall.search.lexicon import Lexicon, builtin, load_data

if TYPE_CHECKING:
    import jieba

log = logging.getLogger(__name__)

# The original text, the words, plus at most this many rewrites: each variant is another clause
# of the query, and a query of several everyday words would otherwise multiply them.
MAX_REWRITES = 4
# A query of this many words or more also tries only the words names and the lexicon use.
KEY_WORDS_FROM = 3
MAX_KEY_REWRITES = 2
# a+b intent phrases: b within this many words after a (开 一家 小 店).
INTENT_GAP = 3
# Longest dictionary word looked for inside an indexed word.
_MAX_INNER = 8
CACHE_SIZE = 2048
# Remembered pieces of indexed text (lines, chunks: short) are bounded to some megabytes.
_CHUNKS_REMEMBERED = 65_536
# A remembered chunk's cut is checked against at most this many words added since; more, and
# it is cut again (checking would cost more).
_RECHECK_AT_MOST = 512

STOPWORDS = frozenset(load_data("stopwords.json"))


@dataclass(frozen=True)
class Understood:
    text: str  # normalised query
    tokens: tuple[str, ...]  # jieba tokens, question/function words dropped
    variants: tuple[str, ...]  # synonym/intent rewrites, original first
    synonyms_used: tuple[str, ...]
    intents_used: tuple[str, ...]


def normalise(text: str) -> str:
    """NFKC (full-width → half-width), traditional → simplified, punctuation and symbols → a
    space, latin lower-cased, spaces collapsed and trimmed."""
    text = unicodedata.normalize("NFKC", text or "")
    text = zhconv.convert(text, "zh-hans")
    chars = [" " if unicodedata.category(c)[0] in "PSZC" else c for c in text]
    return " ".join("".join(chars).lower().split())


class _Segmenter:
    """One jieba tokenizer for the process, loaded once, with the words it has learned."""

    def __init__(self) -> None:
        # Re-entrant: loading the dictionary learns the names that waited for it.
        self._lock = threading.RLock()
        self._tokenizer: jieba.Tokenizer | None = None
        # Matter names learned before the dictionary was loaded (see `learn`).
        self._waiting: list[str] = []
        self._known: set[str] = set()
        self._lexicons: set[str] = set()
        # Words of the matter names learned (the names and the dictionary words inside them).
        self.name_words: set[str] = set()
        # Bumped when the dictionary learns a word: cached understandings made before are stale.
        self.generation = 0
        # Every word added to the tokenizer, in order: a chunk's remembered cut (below) is stale
        # only if a word added since is in it.
        self.added: list[str] = []
        # chunk of normalised text -> (len(added) when cut, its index words); see chunk_words.
        self._chunks: dict[str, tuple[int, tuple[str, ...]]] = {}
        # chunk of a matter name -> (len(added) when looked through, its dictionary words); see
        # _inner_of_name.
        self._inner_chunks: dict[str, tuple[int, tuple[str, ...]]] = {}

    def tokenizer(self) -> jieba.Tokenizer:
        if self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    import jieba  # here: its import alone costs a second and its HMM tables

                    from govhall.search.dictionary import CompactTokenizer

                    jieba.setLogLevel(logging.WARNING)
                    # jieba's Tokenizer with its dictionary in a trie: a few MB, not ~70 (the
                    # same cuts: dictionary.py).
                    tokenizer = CompactTokenizer()
                    tokenizer.initialize()
                    self._tokenizer = tokenizer
                    # The built-in words from the start: the index and the queries cut alike.
                    self._add([*STOPWORDS, *(normalise(w) for w in builtin().words())])
                    self._lexicons.add(builtin().version)
                    waiting, self._waiting = self._waiting, []
                    self._learn(waiting, names=True)
        return self._tokenizer

    def _add(self, words: Iterable[str]) -> None:
        tokenizer = self._tokenizer
        assert tokenizer is not None
        added = False
        for word in words:
            if len(word) > 1 and word not in self._known and " " not in word:
                self._known.add(word)
                if not tokenizer.FREQ.get(word):
                    tokenizer.add_word(word)
                    self.added.append(word)
                    added = True
        if added:
            self.generation += 1

    def learn(self, words: Iterable[str], *, names: bool = False) -> None:
        if names and self._tokenizer is None:
            with self._lock:
                if self._tokenizer is None:
                    # No dictionary loaded yet (nothing was cut): the names wait for it rather
                    # than load it at start-up; every cut loads it first, so none misses them.
                    self._waiting.extend(words)
                    return
        self._learn(words, names=names)

    def _learn(self, words: Iterable[str], *, names: bool) -> None:
        self.tokenizer()
        # Names are normalised a line at a time, remembered (a reindex meets each name at every site).
        fresh = [w for w in (_normalise_line(w) for w in words) if w not in self._known]
        if fresh:
            with self._lock:
                self._add(fresh)
                if names:
                    for name in fresh:
                        self.name_words.add(name)
                        self.name_words.update(self._inner_of_name(name))
                    self.generation += 1

    def learn_lexicon(self, lexicon: Lexicon) -> None:
        if lexicon.version not in self._lexicons:
            self.learn(lexicon.words())
            self._lexicons.add(lexicon.version)

    def cut(self, text: str) -> list[str]:
        """Words of normalised text, spaces dropped (no HMM: the same text always cuts the same)."""
        return [t for t in self.tokenizer().lcut(text, HMM=False) if t.strip()]

    def _still_good(self, then: int, chunk: str) -> bool:
        """Whether what was remembered of ``chunk`` when ``then`` words had been added still
        holds: none of the words added since is inside it. Many added since: checking each costs
        more than looking through the chunk again, so it is not."""
        now = len(self.added)
        if then == now:
            return True
        return now - then <= _RECHECK_AT_MOST and not any(w in chunk for w in self.added[then:now])

    def chunk_words(self, chunk: str) -> tuple[str, ...]:
        """The index words of one chunk of normalised text (no spaces), remembered.

        A full reindex learns each new matter name as it goes (a new name almost every document
        in a province), so remembering cuts by the dictionary's generation never hit. The cut of a
        chunk changes only when a word inside it is added, so a remembered cut is kept unless one
        of the words added since is in the chunk. (jieba also scores a cut against the total of
        all word frequencies, which grows a little with each word added; a cut that tie-breaks
        on that would differ, as cuts made earlier in the same reindex already did.)"""
        self.tokenizer()
        now = len(self.added)
        remembered = self._chunks.get(chunk)
        if remembered is not None and self._still_good(remembered[0], chunk):
            then, words = remembered
            if then != now:
                self._chunks[chunk] = (now, words)
            return words
        out: list[str] = []
        for token in self.cut(chunk):
            if token in STOPWORDS:
                continue
            out.append(token)
            if len(token) > 2:
                out.extend(self.inner(token))
        if len(self._chunks) >= _CHUNKS_REMEMBERED:
            self._chunks.clear()  # a bound on memory; the common chunks come back at once
        self._chunks[chunk] = (now, tuple(out))
        return tuple(out)

    def _inner_of_name(self, name: str) -> list[str]:
        """The words of `inner(name)`, in another order, from the remembered words of each of the
        name's space-separated chunks (no dictionary word holds a space, so none spans two).

        A province has 173,000 distinct names at 302,000 matters, mostly a matter's name and where
        it is handled (营业执照核发 太平镇便民服务中心): a few thousand chunks, each looked through
        once instead of once a name. A chunk's words are looked for again when a word added to the
        dictionary since is in the chunk (as `chunk_words` does)."""
        longest = min(len(name) - 1, _MAX_INNER)
        now = len(self.added)
        out: list[str] = []
        for chunk in name.split(" "):
            remembered = self._inner_chunks.get(chunk)
            if remembered is not None and self._still_good(remembered[0], chunk):
                words = remembered[1]
            else:
                # All the chunk's dictionary words of 2 to 8 characters, itself included.
                freq = self.tokenizer().FREQ
                words = tuple(
                    chunk[start : start + size]
                    for size in range(2, min(len(chunk), _MAX_INNER) + 1)
                    for start in range(len(chunk) - size + 1)
                    if freq.get(chunk[start : start + size])
                )
                if len(self._inner_chunks) >= _CHUNKS_REMEMBERED:
                    self._inner_chunks.clear()  # a bound on memory, as for _chunks
            self._inner_chunks[chunk] = (now, words)
            out.extend(w for w in words if len(w) <= longest)
        return out

    def inner(self, word: str) -> list[str]:
        """Dictionary words inside a longer word (居民身份证补领 → 居民, 身份, 身份证, 居民身份证, 补领)."""
        freq = self.tokenizer().FREQ
        found: list[str] = []
        for size in range(2, min(len(word), _MAX_INNER + 1)):
            for start in range(len(word) - size + 1):
                part = word[start : start + size]
                if freq.get(part) and part not in found:
                    found.append(part)
        return found


_segmenter = _Segmenter()


def warm_up() -> None:
    """Load jieba's dictionary now (about a second), e.g. at service start, not on a first query."""
    _segmenter.tokenizer()


def learn(words: Iterable[str]) -> None:
    """Teach the segmenter words (matter names as they are indexed) so they are cut whole."""
    _segmenter.learn(words, names=True)


def index_tokens(text: str) -> str:
    """The space-joined words of the normalised text for the index: each word, then the dictionary
    words inside it; question and function words dropped.

    Cut a space-separated chunk at a time, each chunk's words remembered (`_Segmenter.chunk_words`):
    jieba cuts the runs of characters between spaces independently, so this is the same as
    cutting the whole text, and a province's guides repeat their sentences from site to site (a
    full reindex spent most of its time in jieba cutting them again). Normalising a line at a
    time is exact too (NFKC and the traditional→simplified phrases never span a line break) and
    is remembered the same way."""
    out: list[str] = []
    for line in (text or "").split("\n"):
        for chunk in _normalise_line(line).split():
            out.extend(_segmenter.chunk_words(chunk))
    return " ".join(out)


@lru_cache(maxsize=_CHUNKS_REMEMBERED)
def _normalise_line(line: str) -> str:
    return normalise(line)


def _intent_spans(tokens: list[str], intents: dict[str, tuple[str, ...]]) -> list[tuple[int, int, str]]:
    """(first, last, phrase) of the intent phrases among the tokens, not overlapping, in order."""
    spans: list[tuple[int, int, str]] = []
    taken: set[int] = set()
    for i, token in enumerate(tokens):
        if i in taken:
            continue
        if token in intents:
            spans.append((i, i, token))
            taken.add(i)
            continue
        for phrase in intents:
            head, sep, tail = phrase.partition("+")
            # The head may end a word jieba made of it (我想开个店: 想开 个 店).
            if not sep or not token.endswith(head):
                continue
            end = next(
                (j for j in range(i + 1, min(len(tokens), i + 1 + INTENT_GAP)) if tokens[j].endswith(tail)),
                None,
            )
            if end is not None and not taken.intersection(range(i, end + 1)):
                spans.append((i, end, phrase))
                taken.update(range(i, end + 1))
                break
    return spans


def _rewrite(tokens: list[str], lexicon: Lexicon, limit: int) -> tuple[list[str], list[str], list[str]]:
    """(variants, synonyms used, intents used) of the tokens: the words themselves (unless an
    intent phrase is among them: it finds nothing itself), then up to limit rewrites."""
    intents = dict(lexicon.intents)
    spans = _intent_spans(tokens, intents)
    # Slots: each a list of choices, the first the most likely; a plain word has only itself.
    slots: list[tuple[str, ...]] = []
    synonyms_used: list[str] = []
    i = 0
    starts = {s: (e, phrase) for s, e, phrase in spans}
    while i < len(tokens):
        if i in starts:
            end, phrase = starts[i]
            slots.append(intents[phrase])
            i = end + 1
            continue
        token = tokens[i]
        terms = lexicon.synonyms.get(token)
        if terms:
            synonyms_used.append(token)
            # With an intent also rewritten, the word itself is worth a try with it (身份证 补领).
            slots.append(tuple(dict.fromkeys([*terms, token])) if spans else terms)
        else:
            slots.append((token,))
        i += 1
    variants = [" ".join(tokens)] if tokens and not spans else []
    if spans or synonyms_used:
        for choice in product(*slots):
            words = list(dict.fromkeys(choice))
            # A word inside another of the same variant adds nothing (营业执照 执照).
            variant = " ".join(w for w in words if not any(w != o and w in o for o in words))
            if variant not in variants:
                variants.append(variant)
                if len(variants) > limit:
                    break
    return variants, synonyms_used, [phrase for _, _, phrase in spans]


def _understand(query: str, lexicon: Lexicon) -> Understood:
    text = normalise(query)
    _segmenter.learn_lexicon(lexicon)
    tokens = [t for t in _segmenter.cut(text) if t not in STOPWORDS]
    variants, synonyms_used, intents_used = _rewrite(tokens, lexicon, MAX_REWRITES)
    # Single characters are what jieba leaves of a word it does not know (营业执找 → 营业 执 找: a
    # typo, for 你是不是要找), not words of a question: only words of two or more count.
    if sum(len(t) > 1 for t in tokens) >= KEY_WORDS_FROM:
        # A long question rarely has every word in a name: also try only its words that matter
        # names or the lexicon use (想开一家小饭馆 需要 许可证 → 饭馆 许可证 …).
        known = _segmenter.name_words | lexicon.words()
        key = [t for t in tokens if t in known]
        if key and key != tokens:
            more, synonyms, intents = _rewrite(key, lexicon, MAX_KEY_REWRITES)
            variants += more
            synonyms_used += synonyms
            intents_used += intents
    return Understood(
        text=text,
        tokens=tuple(tokens),
        variants=tuple(dict.fromkeys(v for v in [text, *variants] if v)),
        synonyms_used=tuple(dict.fromkeys(synonyms_used)),
        intents_used=tuple(dict.fromkeys(intents_used)),
    )


_cache: OrderedDict[tuple[str, str, int], Understood] = OrderedDict()
_cache_lock = threading.Lock()


def understand(query: str, lexicon: Lexicon) -> Understood:
    """The query normalised, segmented and rewritten (see the module's docstring); cached per
    (query, lexicon version, dictionary generation) in a small LRU."""
    key = (query, lexicon.version, _segmenter.generation)
    with _cache_lock:
        hit = _cache.get(key)
        if hit is not None:
            _cache.move_to_end(key)
            return hit
    result = _understand(query, lexicon)
    key = (query, lexicon.version, _segmenter.generation)
    with _cache_lock:
        _cache[key] = result
        while len(_cache) > CACHE_SIZE:
            _cache.popitem(last=False)
    return result
