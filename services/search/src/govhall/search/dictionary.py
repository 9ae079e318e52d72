"""jieba's dictionary in a few megabytes: its words in a marisa trie, their frequencies in an array.

jieba.Tokenizer keeps its dictionary as one Python dict (``FREQ``): 349,046 words with their
frequencies, plus every prefix of every word with 0, 498,113 str keys and their ints, about
71 MB of the search service's memory once loaded (tracemalloc; the service idled at 248 MB).
`CompactTokenizer` is the same Tokenizer over a static trie of the words (about 4 MB, built from
the same dict.txt at load) and an array of their frequencies; the words learned while running
(the lexicon's, the matter names: `add_word`) go in a small dict in front of it.

Cuts are those of jieba's own Tokenizer, word for word (tests/test_dictionary.py compares
both over the demo's texts, random texts and learned words): jieba's DAG at a position is every
word of non-zero frequency that the text continues with, which the trie lists in one call
(`iter_prefixes_with_ids`), and its route scores each with the same ``log(freq or 1)`` of the
same frequencies and the same total, so the same floats choose the same route.
"""

from __future__ import annotations

from array import array
from collections.abc import Iterator
from math import log
from typing import Any

import jieba
import marisa_trie


class CompactFreq:
    """What jieba's code reads and writes as ``Tokenizer.FREQ``: ``get``, ``in``, ``[]`` and
    ``[] =``, with jieba's meaning (a word's frequency; 0 for a prefix of a word that is no word
    itself; absent otherwise). Writes (add_word) go to ``added``, which shadows the trie."""

    __slots__ = ("added", "freqs", "longest", "trie")

    def __init__(self, trie: marisa_trie.Trie, freqs: array[int], longest: int) -> None:
        self.trie = trie
        self.freqs = freqs
        self.longest = longest  # characters of the trie's longest word
        # Words added since, and every prefix of theirs (add_word below): prefix-closed.
        self.added: dict[str, int] = {}

    def get(self, key: str, default: int | None = None) -> int | None:
        value = self.added.get(key)
        if value is not None:
            return value
        index = self.trie.get(key)
        if index is not None:
            return self.freqs[index]
        if key and next(iter(self.trie.iterkeys(key)), None) is not None:
            return 0  # a prefix of a word, as jieba's dict keeps it
        return default

    def __contains__(self, key: object) -> bool:
        return isinstance(key, str) and self.get(key) is not None

    def __getitem__(self, key: str) -> int:
        value = self.get(key)
        if value is None:
            raise KeyError(key)
        return value

    def __setitem__(self, key: str, value: int) -> None:
        self.added[key] = value


class _Dag(dict[int, list[int]]):
    """jieba's DAG (position -> ends of the words starting there) with each word's frequency
    beside it, so that `calc` scores them without looking each up again."""

    __slots__ = ("freqs",)

    def __init__(self) -> None:
        super().__init__()
        self.freqs: dict[int, list[tuple[int, int]]] = {}


def read_dictionary(path: str | None = None) -> Iterator[tuple[str, int]]:
    """(word, frequency) of each line of a jieba dictionary file (the default: jieba's own), as
    jieba.Tokenizer.gen_pfdict reads them."""
    f = open(path, "rb") if path else jieba.get_dict_file()
    try:
        for lineno, raw in enumerate(f, 1):
            line = raw.strip().decode("utf-8")
            try:
                word, freq = line.split(" ")[:2]
                yield word, int(freq)
            except ValueError:
                raise ValueError(f"invalid dictionary entry at line {lineno}: {line}") from None
    finally:
        f.close()


def load_freq(path: str | None = None) -> tuple[CompactFreq, int]:
    """The dictionary as a CompactFreq and the total of its frequencies (jieba's ``total``: every
    line counted, as gen_pfdict does; a word given twice keeps its last frequency)."""
    # Two passes over the file rather than a list of its 349,046 words: the peak stays small.
    trie = marisa_trie.Trie(word for word, _ in read_dictionary(path))
    freqs = array("L", bytes(array("L").itemsize * len(trie)))
    total = longest = 0
    for word, freq in read_dictionary(path):
        freqs[trie.key_id(word)] = freq
        total += freq
        longest = max(longest, len(word))
    return CompactFreq(trie, freqs, longest), total


class CompactTokenizer(jieba.Tokenizer):  # type: ignore[misc]
    """jieba.Tokenizer over a CompactFreq (see the module's docstring); cuts as it does."""

    initialized: bool

    def __init__(self, dictionary: str | None = None) -> None:
        super().__init__()
        self._dictionary_file = dictionary

    def initialize(self, dictionary: Any = None) -> None:
        with self.lock:
            if self.initialized:
                return
            self.FREQ, self.total = load_freq(self._dictionary_file)
            self.initialized = True

    def add_word(self, word: str, freq: int | None = None, tag: str | None = None) -> None:
        """jieba's add_word, keeping ``added`` prefix-closed: each prefix of the word that it
        lacks is entered with what the dictionary says of it (jieba enters only those the whole
        dictionary lacks, with 0; the values read are the same)."""
        self.check_initialized()
        frequencies: CompactFreq = self.FREQ
        value = int(freq) if freq is not None else self.suggest_freq(word, False)
        frequencies.added[word] = value
        self.total += value
        if tag:
            self.user_word_tag_tab[word] = tag
        for end in range(1, len(word)):
            prefix = word[:end]
            if prefix not in frequencies.added:
                frequencies.added[prefix] = frequencies.get(prefix) or 0
        if value == 0:
            jieba.finalseg.add_force_split(word)

    def get_DAG(self, sentence: str) -> dict[int, list[int]]:
        self.check_initialized()
        frequencies: CompactFreq = self.FREQ
        prefixes = frequencies.trie.iter_prefixes_with_ids
        base, added, longest = frequencies.freqs, frequencies.added, frequencies.longest
        dag = _Dag()
        n = len(sentence)
        for k in range(n):
            # The trie's words the text continues with, shortest first (so ends come sorted),
            # each with its frequency (a learned one in ``added`` shadows the trie's).
            pairs = [
                (k + len(word) - 1, freq)
                for word, index in prefixes(sentence[k : k + longest])
                if (freq := added.get(word, base[index]))
            ]
            i, fragment = k, sentence[k]
            learned: list[tuple[int, int]] = []
            while i < n and fragment in added:  # learned words (prefix-closed, as jieba walks)
                if freq := added[fragment]:
                    learned.append((i, freq))
                i += 1
                fragment = sentence[k : i + 1]
            if learned:
                pairs = sorted(dict([*pairs, *learned]).items())
            if not pairs:
                pairs = [(k, 0)]  # scored as jieba does an unknown character: 1
            dag[k] = [end for end, _ in pairs]
            dag.freqs[k] = pairs
        return dag

    def calc(self, sentence: str, DAG: dict[int, list[int]], route: dict[int, Any]) -> None:
        if not isinstance(DAG, _Dag):
            super().calc(sentence, DAG, route)
            return
        n = len(sentence)
        route[n] = (0, 0)
        logtotal = log(self.total)
        freqs = DAG.freqs
        for idx in range(n - 1, -1, -1):
            route[idx] = max((log(freq or 1) - logtotal + route[x + 1][0], x) for x, freq in freqs[idx])
