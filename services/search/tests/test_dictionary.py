"""jieba's dictionary in a trie (dictionary.py) cuts every text exactly as jieba's own Tokenizer.

Search relevance depends on it: the index and the queries are cut with it, so a cut that
differed would change what a search finds. Compared over the demo province's texts (every
string of the catalogue's seed and consult's Q&As), texts made of random dictionary words and
random characters, before and after both learn the same words (the lexicon's, the matter names,
unknown ones, one forgotten with frequency 0), and every frequency jieba's code reads.
"""

from __future__ import annotations

import json
import logging
import random
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import jieba
import pytest

from govhall.search.dictionary import CompactTokenizer
from govhall.search.lexicon import builtin
from govhall.search.understanding import normalise

ROOT = Path(__file__).resolve().parents[3]
HAN = re.compile("[\u4e00-\u9fff]")


def strings(value: Any) -> Iterator[str]:
    if isinstance(value, str):
        if HAN.search(value):
            yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings(v)


def demo_texts() -> list[str]:
    files = [
        *sorted((ROOT / "services/catalogue/src/govhall/catalogue/seed").rglob("*.json")),
        ROOT / "services/consult/src/govhall/consult/demo/qa.json",
    ]
    out = [normalise(s) for f in files for s in strings(json.loads(f.read_text(encoding="utf-8")))]
    assert len(out) > 1000, "the demo's texts were not found"
    return out


@pytest.fixture(scope="module")
def tokenizers() -> tuple[jieba.Tokenizer, CompactTokenizer]:
    jieba.setLogLevel(logging.WARNING)
    original = jieba.Tokenizer()
    original.initialize()
    compact = CompactTokenizer()
    compact.initialize()
    return original, compact


def random_texts(original: jieba.Tokenizer, rng: random.Random, count: int) -> list[str]:
    words = sorted(w for w, f in original.FREQ.items() if f)
    chars = [chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(500)] + [" ", "a", "1", "x", "-", "。"]
    texts = ["".join(rng.choice(words) for _ in range(rng.randint(1, 8))) for _ in range(count)]
    texts += ["".join(rng.choice(chars) for _ in range(rng.randint(1, 40))) for _ in range(count)]
    return texts


def assert_same_cuts(original: jieba.Tokenizer, compact: CompactTokenizer, texts: list[str]) -> None:
    differ = [t for t in texts if compact.lcut(t, HMM=False) != original.lcut(t, HMM=False)]
    assert not differ, f"{len(differ)} of {len(texts)} cut differently, e.g. {differ[:3]}"


def test_the_frequencies_are_jiebas(tokenizers: tuple[jieba.Tokenizer, CompactTokenizer]) -> None:
    original, compact = tokenizers
    assert compact.total == original.total
    rng = random.Random(20)
    keys = rng.sample(sorted(original.FREQ), 20_000)  # words and prefixes (0)
    for key in [*keys, "不在词典里的词", "zzzz", "营业执照办理流程"]:
        assert compact.FREQ.get(key) == original.FREQ.get(key), key
        assert (key in compact.FREQ) == (key in original.FREQ), key


def test_cuts_are_jiebas_before_and_after_learning_words(
    tokenizers: tuple[jieba.Tokenizer, CompactTokenizer],
) -> None:
    original, compact = tokenizers
    rng = random.Random(7)
    texts = demo_texts() + random_texts(original, rng, 3000)
    assert_same_cuts(original, compact, texts)

    # What the search service teaches it: the lexicon's words, the matter names, plus unknown
    # words, words already known (a new frequency) and one forgotten (frequency 0).
    names = [normalise(t) for t in demo_texts() if len(t) <= 30]
    known = rng.sample(sorted(w for w, f in original.FREQ.items() if f), 50)
    unknown = [
        "".join(chr(rng.randint(0x4E00, 0x9FA5)) for _ in range(rng.randint(2, 12))) for _ in range(300)
    ]
    for word in [*(normalise(w) for w in builtin().words()), *names, *unknown]:
        if len(word) > 1 and " " not in word and not original.FREQ.get(word):
            original.add_word(word)
            compact.add_word(word)
    for word in known:
        original.add_word(word, 5)
        compact.add_word(word, 5)
    original.add_word("营业执照", 0)
    compact.add_word("营业执照", 0)
    assert compact.total == original.total
    mixed = [rng.choice(unknown) + rng.choice(known) + rng.choice(unknown)[:3] for _ in range(2000)]
    assert_same_cuts(original, compact, texts + mixed + ["申请营业执照", "营业执照补办"])
    for key in [*unknown, *known, "营业执照", *(w[:2] for w in unknown)]:
        assert compact.FREQ.get(key) == original.FREQ.get(key), key


def test_the_trie_is_a_fraction_of_jiebas_dict(tokenizers: tuple[jieba.Tokenizer, CompactTokenizer]) -> None:
    """What the change is for: the dictionary no longer one Python str and int per word."""
    import sys

    original, compact = tokenizers
    held = len(compact.FREQ.trie.tobytes()) + compact.FREQ.freqs.itemsize * len(compact.FREQ.freqs)
    jiebas = sys.getsizeof(original.FREQ) + sum(sys.getsizeof(k) for k in original.FREQ)
    assert held * 5 < jiebas, (held, jiebas)
