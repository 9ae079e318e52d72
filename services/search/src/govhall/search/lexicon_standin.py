"""A stand-in for Q2's lexicon.py (the contract in SEARCH19.md), until that module lands.

Same names and signatures, so switching is one import in site_lexicons.py and deleting this
file. The built-in synonyms come from synonyms.SYNONYMS; there are no built-in intent words yet.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass

from govhall.search import synonyms


@dataclass(frozen=True)
class LexiconEntry:
    kind: str  # "synonym" | "intent"
    word: str
    terms: tuple[str, ...]
    removed: bool = False


@dataclass(frozen=True)
class Lexicon:
    synonyms: Mapping[str, tuple[str, ...]]
    intents: Mapping[str, tuple[str, ...]]
    version: str


def _make(syn: Mapping[str, tuple[str, ...]], intents: Mapping[str, tuple[str, ...]]) -> Lexicon:
    content = json.dumps([sorted(syn.items()), sorted(intents.items())], ensure_ascii=False)
    return Lexicon(dict(syn), dict(intents), hashlib.sha256(content.encode()).hexdigest()[:16])


def builtin() -> Lexicon:
    return _make(synonyms.SYNONYMS, {})


def with_site_entries(base: Lexicon, entries: Iterable[LexiconEntry]) -> Lexicon:
    syn, intents = dict(base.synonyms), dict(base.intents)
    for entry in entries:
        table = syn if entry.kind == "synonym" else intents
        if entry.removed:
            table.pop(entry.word, None)
        else:
            table[entry.word] = tuple(entry.terms)
    return _make(syn, intents)
