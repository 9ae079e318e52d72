"""The words search understands: everyday words → official terms, intent phrases → what matters do.

The built-in lexicon is data (data/synonyms.json, data/intents.json); a site's admins add, change
or hide words on top of it (`with_site_entries`). Both apply at query time only, so the index never
depends on a site's words and a change takes effect on the next query. `version` is a hash of the
content: caches of understood queries are keyed by it.

Intent phrases are words as a citizen says them (丢了, 过期); a phrase written `a+b` (开+店)
matches the word a followed within a few words by a word ending in b (开一家店, 开个饭店).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from types import MappingProxyType
from typing import Any

SYNONYM = "synonym"
INTENT = "intent"


@dataclass(frozen=True)
class LexiconEntry:
    kind: str  # SYNONYM | INTENT
    word: str  # the everyday word / intent phrase (丢了, 身份证)
    terms: tuple[str, ...]  # official terms / what matters do (补领, 居民身份证); () with removed
    removed: bool = False  # hides a built-in word at this site


@dataclass(frozen=True)
class Lexicon:
    synonyms: Mapping[str, tuple[str, ...]]
    intents: Mapping[str, tuple[str, ...]]
    version: str  # a content hash

    def __hash__(self) -> int:
        # The mappings are not hashable; the content hash stands for them.
        return hash(self.version)

    def words(self) -> set[str]:
        """Every word and term, for the segmenter's dictionary (the parts of a+b phrases)."""
        out: set[str] = set()
        for table in (self.synonyms, self.intents):
            for word, terms in table.items():
                out.update(p for p in word.split("+") if p)
                out.update(terms)
        return out


def _make(synonyms: Mapping[str, tuple[str, ...]], intents: Mapping[str, tuple[str, ...]]) -> Lexicon:
    content = json.dumps(
        [sorted(synonyms.items()), sorted(intents.items())], ensure_ascii=False, separators=(",", ":")
    )
    return Lexicon(
        synonyms=MappingProxyType(dict(synonyms)),
        intents=MappingProxyType(dict(intents)),
        version=hashlib.sha256(content.encode()).hexdigest()[:16],
    )


def load_data(name: str) -> Any:
    """A JSON file of the package's data directory."""
    return json.loads(resources.files("govhall.search").joinpath("data", name).read_text(encoding="utf-8"))


def _table(name: str) -> dict[str, tuple[str, ...]]:
    return {str(word): tuple(str(t) for t in terms) for word, terms in load_data(name).items()}


@cache
def builtin() -> Lexicon:
    """The default lexicon every site starts from (read once)."""
    return _make(_table("synonyms.json"), _table("intents.json"))


def with_site_entries(base: Lexicon, entries: Iterable[LexiconEntry]) -> Lexicon:
    """base with a site's entries applied in order: an entry replaces the word's terms, a removed
    entry hides the word (built-in or not). Entries of an unknown kind are ignored."""
    tables = {SYNONYM: dict(base.synonyms), INTENT: dict(base.intents)}
    for entry in entries:
        table = tables.get(entry.kind)
        if table is None:
            continue
        if entry.removed or not entry.terms:
            table.pop(entry.word, None)
        else:
            table[entry.word] = tuple(entry.terms)
    return _make(tables[SYNONYM], tables[INTENT])
