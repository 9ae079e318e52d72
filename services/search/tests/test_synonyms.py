"""Everyday words widen a query with the official terms matter names use."""

from __future__ import annotations

import pytest

from govhall.search.synonyms import MAX_EXTRA_VARIANTS, SYNONYMS, expand


@pytest.mark.parametrize(
    ("text", "variants", "words"),
    [
        ("身份证", ("身份证", "居民身份证"), ("身份证",)),
        ("办身份证", ("办身份证", "办居民身份证"), ("身份证",)),
        ("户口", ("户口", "户籍", "户口登记"), ("户口",)),
        ("驾照", ("驾照", "机动车驾驶证"), ("驾照",)),
        ("驾驶证换证", ("驾驶证换证", "机动车驾驶证换证"), ("驾驶证",)),
        ("结婚", ("结婚", "结婚登记", "婚姻登记"), ("结婚",)),
        ("生孩子", ("生孩子", "生育登记"), ("生孩子",)),
        ("开公司", ("开公司", "设立登记"), ("开公司",)),
        ("医保", ("医保", "医疗保障", "基本医疗保险"), ("医保",)),
        ("退休", ("退休", "基本养老金"), ("退休",)),
        ("房产证", ("房产证", "不动产权证书"), ("房产证",)),
        ("失业金申领", ("失业金申领", "失业保险金申领"), ("失业金",)),
    ],
)
def test_everyday_words_become_official_terms(
    text: str, variants: tuple[str, ...], words: tuple[str, ...]
) -> None:
    assert expand(text) == (variants, words)


def test_a_query_without_everyday_words_is_unchanged() -> None:
    assert expand("食品经营许可") == (("食品经营许可",), ())
    assert expand("a") == (("a",), ())


@pytest.mark.parametrize(
    "text", ["居民身份证", "机动车驾驶证", "户口登记", "结婚登记", "住房公积金提取", "居民户口簿"]
)
def test_official_terms_already_in_the_query_are_not_widened_again(text: str) -> None:
    assert expand(text) == ((text,), ())


def test_the_longest_word_wins_and_words_never_overlap() -> None:
    # 营业执照注销 is a word of its own; 执照 inside it is not widened separately.
    assert expand("营业执照注销") == (("营业执照注销", "注销登记"), ("营业执照注销",))
    # The term's own ending is not repeated (注销登记, not 注销登记登记).
    assert expand("营业执照注销登记") == (("营业执照注销登记", "注销登记"), ("营业执照注销",))
    # 社保卡 is a word, not 社保 + 卡.
    assert expand("社保卡") == (("社保卡", "社会保障卡"), ("社保卡",))
    # 营业执照 is official: 执照 inside it stays.
    assert expand("营业执照") == (("营业执照",), ())
    assert expand("执照") == (("执照", "营业执照"), ("执照",))


def test_several_words_in_one_query() -> None:
    variants, words = expand("驾照 社保")
    assert variants == ("驾照 社保", "机动车驾驶证 社会保险")
    assert words == ("驾照", "社保")
    variants, words = expand("开公司 执照")
    assert variants == ("开公司 执照", "设立登记 营业执照")
    assert words == ("开公司", "执照")


def test_variants_are_capped() -> None:
    variants, words = expand("结婚 医保 户口")
    assert variants[0] == "结婚 医保 户口"
    assert len(variants) == 1 + MAX_EXTRA_VARIANTS
    assert len(set(variants)) == len(variants)
    assert words == ("结婚", "医保", "户口")


def test_a_word_repeated_is_reported_once() -> None:
    variants, words = expand("护照 护照加急")
    assert variants == ("护照 护照加急", "普通护照 普通护照加急")
    assert words == ("护照",)


def test_the_table() -> None:
    assert len(SYNONYMS) >= 30
    for word, terms in SYNONYMS.items():
        assert word and terms, word
        assert all(term for term in terms), word
        assert len(set(terms)) == len(terms), word
