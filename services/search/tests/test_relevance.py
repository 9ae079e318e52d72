"""The relevance set (services/search/relevance) holds its floors on both back ends.

The evaluation (bench/eval_search.py) loads the demo province into the catalogue, reindexes the
search service from it and sends every query of the set through the service's Search; the
floors (floors.yaml) are the lowest hit@1, hit@3 and MRR, and the highest zero-result rate,
accepted per back end for the tuning and the held-out part. Raise them when search improves;
never lower them to make a change pass.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

ROOT = Path(__file__).resolve().parents[3]
sys.path.insert(0, str(ROOT / "bench"))

import eval_search  # noqa: E402  (bench/ is a directory of scripts, not a package)
from eval_search import Case, Outcome  # noqa: E402

INTENT_WORDS = ("丢了", "补办", "过期", "到期", "怎么办", "需要什么", "在哪里办")
CATEGORIES = {"official", "everyday", "intent", "typo", "pinyin", "traditional", "punctuation", "question"}


def test_the_set_covers_the_issue_and_names_matters_that_exist_at_each_site() -> None:
    from govhall.catalogue import demo

    cases = eval_search.load_cases()
    assert len(cases) >= 150
    assert {c.category for c in cases} == CATEGORIES
    assert {c.audience for c in cases} == {"person", "enterprise"}
    held_out = sum(c.holdout for c in cases) / len(cases)
    assert 0.28 <= held_out <= 0.4, held_out
    for category in CATEGORIES:
        assert any(c.holdout for c in cases if c.category == category), category
    for word in INTENT_WORDS:
        assert any(word in c.query for c in cases), word
    sites = {s.code: s for s in demo.SITES}
    for case in cases:
        seen, code = set(), case.site
        while code:
            seen.add(code)
            code = sites[code].parent_code
        assert case.expect, case.id
        for matter in case.expect:
            assert demo.MATTERS_BY_CODE[matter].site_code in seen, (case.id, matter)


def _outcome(rank: int, total: int = 5, holdout: bool = False, category: str = "official") -> Outcome:
    case = Case("q", "营业执照", "420502", ("M",), category, "person", holdout)
    ranked = tuple("M" if i + 1 == rank else f"x{i}" for i in range(max(rank, min(total, 3))))
    return Outcome(case, ranked if total else (), total)


def test_metrics_count_ranks_and_empty_answers() -> None:
    outcomes = [_outcome(1), _outcome(2), _outcome(4), _outcome(0, total=0)]
    assert eval_search.summarise(outcomes) == {
        "n": 4,
        "hit@1": 0.25,
        "hit@3": 0.5,
        "mrr": 0.4375,
        "zero": 0.25,
    }
    result = eval_search.report([*outcomes, _outcome(1, holdout=True, category="typo")])
    assert (result["tuning"]["n"], result["holdout"]["n"], result["holdout"]["hit@1"]) == (4, 1, 1.0)
    assert result["categories"]["typo"]["holdout"]["mrr"] == 1.0
    assert [m["got"] for m in result["misses"]] == [["x0", "x1", "x2"], []]


def test_a_metric_below_its_floor_or_too_many_empty_answers_fail() -> None:
    result = {"tuning": {"hit@1": 0.5, "hit@3": 0.6, "mrr": 0.55, "zero": 0.3}}
    assert eval_search.below_floors(result, {"tuning": {"hit@1": 0.5, "zero": 0.3}}) == []
    assert eval_search.below_floors(result, {"tuning": {"hit@3": 0.61, "zero": 0.29}}) == [
        "tuning hit@3 = 0.6 (floor 0.61)",
        "tuning zero = 0.3 (floor 0.29)",
    ]


@pytest.mark.parametrize("backend", ["embedded", "elasticsearch"])
async def test_search_holds_the_relevance_floor(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    # The Elasticsearch run is marked integration by the parameter; without the servers the
    # cluster fixture fails it loudly (never a skip).
    cluster: Any = request.getfixturevalue("cluster") if backend == "elasticsearch" else None
    result = await eval_search.evaluate(backend, tmp_path, cluster=cluster)
    floors = eval_search.load_floors()[backend]
    assert set(floors) == {"tuning", "holdout"}
    assert eval_search.below_floors(result, floors) == [], {
        part: result[part] for part in ("tuning", "holdout")
    }
