"""你是不是要找 and the ranking of suggestions, over the embedded index (the corrector asks the back
end only for suggestions, which behave the same on both: see test_backends)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from govhall.search import lexicon
from govhall.search.correction import Corrector, rank
from govhall.search.fts import EmbeddedBackend
from govhall.search.model import MATTER, SearchDoc, Suggestion
from govhall.search.spelling import key_of, suggest_keys

PROVINCE = "420000"
NAMES = [
    "营业执照设立登记",
    "营业执照变更登记",
    "居民身份证换领",
    "居民身份证首次申领",
    "普通护照签发",
    "结婚登记",
]


async def _corrector(path: Path, names: list[str]) -> Corrector:
    backend = EmbeddedBackend(path)
    await backend.ensure()
    for i, name in enumerate(names):
        doc = SearchDoc(MATTER, f"M{i}", 1, True, PROVINCE, "湖北省", 1, (PROVINCE,), name, "")
        await backend.put(doc)
    return Corrector(backend, (PROVINCE,), lexicon.builtin())


@pytest.fixture
async def corrector(tmp_path: Path) -> AsyncIterator[Corrector]:
    made = await _corrector(tmp_path / "index.db", NAMES)
    yield made
    await made._backend.close()


@pytest.mark.parametrize(
    ("typed", "meant"),
    [
        ("营业执找", "营业执照"),  # a homophone
        ("身分证", "身份证"),  # a homophone, also a lexicon word
        ("护找", "护照"),
        ("结昏登记", "结婚登记"),
        ("居民身份正换领", "居民身份证换领"),
        ("普通护找签发", "普通护照签发"),
        ("yingyezhizhao", "营业执照"),  # pinyin typed as a query
        ("yyzz", "营业执照"),  # initials
        ("营业执照", ""),  # known: never corrected
        ("身份证", ""),
        ("登记", ""),
        ("天气预报", ""),  # nothing close
        ("x", ""),
        ("我的身分证换领怎么办", "身份证 换领"),  # word by word, question words dropped
    ],
)
async def test_did_you_mean(corrector: Corrector, typed: str, meant: str) -> None:
    assert await corrector.did_you_mean(typed, {}) == meant


async def test_of_equally_close_terms_the_more_searched_wins(tmp_path: Path) -> None:
    # 排污许案 is one character off both names.
    corrector = await _corrector(tmp_path / "two.db", ["排污许可", "排污备案"])
    try:
        assert await corrector.closest("排污许案", {}) == "排污备案"  # equals: by text
        assert await corrector.closest("排污许案", {"排污许可": 2}) == "排污许可"
    finally:
        await corrector._backend.close()


def test_rank_puts_the_most_searched_first_and_keeps_the_order_among_equals() -> None:
    found = [Suggestion(n, n, PROVINCE) for n in ("营业执照变更登记", "营业执照设立登记", "营业执照注销登记")]
    ranked = rank(found, {"营业执照注销登记": 5, "营业执照设立登记": 2}, 3)
    assert [s.text for s in ranked] == ["营业执照注销登记", "营业执照设立登记", "营业执照变更登记"]
    assert [s.text for s in rank(found, {}, 2)] == ["营业执照变更登记", "营业执照设立登记"]


def test_keys_spell_a_name_in_characters_pinyin_and_initials_from_every_position() -> None:
    keys = suggest_keys("營業執照（個體）")  # traditional and full-width: normalised first
    assert keys[:3] == ["营业执照个体", "yingyezhizhaogeti", "yyzzgt"]
    assert {"执照个体", "zhizhaogeti", "zzgt", "体", "ti", "t"} <= set(keys)
    assert key_of(" ＹＹ-zz ") == "yyzz" and key_of("？！") == ""


def test_recent_corrections_are_kept_a_while_and_only_so_many(monkeypatch: pytest.MonkeyPatch) -> None:
    from govhall.search import correction as module

    now = [1000.0]
    monkeypatch.setattr(module.time, "monotonic", lambda: now[0])
    kept = module.RecentCorrections(seconds=30, size=2)
    assert kept.get(("420502", "营业执找", "v1")) is None
    kept.put(("420502", "营业执找", "v1"), "营业执照")
    kept.put(("420502", "天气预报", "v1"), "")  # nothing close is kept too
    assert kept.get(("420502", "天气预报", "v1")) == ""
    assert kept.get(("420502", "营业执找", "v1")) == "营业执照"  # now the most recently used
    assert kept.get(("420502", "营业执找", "v2")) is None  # another lexicon version: worked out anew
    kept.put(("420502", "身分证", "v1"), "身份证")  # the least recently used goes
    assert kept.get(("420502", "天气预报", "v1")) is None
    assert kept.get(("420502", "营业执找", "v1")) == "营业执照"
    now[0] += 31
    assert kept.get(("420502", "营业执找", "v1")) is None


def test_a_name_is_spelt_from_its_pieces_only_where_no_phrase_spans_the_joint() -> None:
    from govhall.search.spelling import name_syllables, syllables

    # 重庆 is one phrase (chongqing); spelt alone, 重 would be zhong.
    assert name_syllables(["重", "庆"]) == syllables("重庆") == ("chong", "qing")
    pieces = ["营业执照核发", "太平镇便民服务中心"]
    assert name_syllables(pieces) == syllables("".join(pieces))
    assert suggest_keys("重（庆）")[:3] == ["重庆", "chongqing", "cq"]
