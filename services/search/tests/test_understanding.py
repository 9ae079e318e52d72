"""Query understanding: normalisation, segmentation, question words, intents and synonyms (no I/O)."""

from __future__ import annotations

import pytest

from govhall.search.lexicon import INTENT, SYNONYM, LexiconEntry, builtin, with_site_entries
from govhall.search.understanding import _Segmenter, index_tokens, learn, normalise, understand


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("營業執照", "营业执照"),
        ("身份证丢了怎么办？", "身份证丢了怎么办"),
        ("  ＡＢＣ，护照！ ", "abc 护照"),
        ("社保卡，在哪里办。", "社保卡 在哪里办"),
        ("【居民身份证】换领", "居民身份证 换领"),
        ("", ""),
    ],
)
def test_normalise(raw: str, expected: str) -> None:
    assert normalise(raw) == expected


def test_a_lost_id_card_is_a_reissue_of_the_official_term() -> None:
    u = understand("身份证丢了怎么办？", builtin())
    assert u.text == "身份证丢了怎么办"
    assert u.tokens == ("身份证", "丢了")
    assert u.variants[0] == "身份证丢了怎么办"
    assert u.variants[1] == "居民身份证 补领"
    assert "身份证 补领" in u.variants  # the word itself, with the intent rewritten
    assert u.intents_used == ("丢了",)
    assert u.synonyms_used == ("身份证",)


def test_question_and_function_words_are_dropped() -> None:
    u = understand("我想问一下社保卡在哪里办呢", builtin())
    assert "在哪里办" not in u.tokens and "呢" not in u.tokens and "我" not in u.tokens
    assert "社保卡" in u.tokens
    assert "社会保障卡" in u.variants
    assert understand("怎么办", builtin()).tokens == ()


@pytest.mark.parametrize("query", ["我想开店", "开一家饭店", "开个店需要什么", "開店", "我想开个店"])
def test_opening_a_shop_means_establishment_registration(query: str) -> None:
    u = understand(query, builtin())
    assert u.intents_used
    assert u.variants[1] == "设立登记"
    assert "营业执照" in u.variants


def test_expired_means_renewal() -> None:
    u = understand("营业执照过期了怎么办", builtin())
    assert u.variants[1] == "营业执照 换领"
    assert u.intents_used == ("过期",)


def test_traditional_query_is_understood_in_simplified() -> None:
    u = understand("營業執照", builtin())
    assert u.variants == ("营业执照",)
    assert u.synonyms_used == () and u.intents_used == ()


def test_rewrites_are_capped_and_never_repeat_a_word() -> None:
    u = understand("结婚 医保 户口", builtin())
    assert u.variants[:2] == ("结婚 医保 户口", "结婚登记 医疗保障 户籍")
    assert len(u.variants) <= 6
    assert "营业执照 执照" not in understand("开公司 执照", builtin()).variants


def test_a_sites_entries_apply_at_query_time() -> None:
    base = builtin()
    site = with_site_entries(
        base,
        [
            LexiconEntry(SYNONYM, "身份证", (), removed=True),
            LexiconEntry(INTENT, "找不到了", ("补领",)),
            LexiconEntry(SYNONYM, "摩托车驾照", ("机动车驾驶证",)),
        ],
    )
    assert site.version != base.version
    assert "身份证" not in site.synonyms and "身份证" in base.synonyms
    u = understand("身份证找不到了", site)
    assert u.intents_used == ("找不到了",)
    assert u.variants[1] == "身份证 补领"
    assert understand("摩托车驾照", site).synonyms_used == ("摩托车驾照",)
    assert with_site_entries(base, []).version == base.version


def test_index_tokens_hold_the_words_and_the_words_inside_them() -> None:
    tokens = index_tokens("居民身份证补领").split()
    assert {"居民身份证", "身份证", "补领"} <= set(tokens)
    assert "营业执照" in index_tokens("個體工商戶營業執照變更登記").split()
    assert index_tokens("？！") == ""


def test_a_long_question_also_tries_the_words_names_use() -> None:
    learn(["住房公积金提取"])
    u = understand("租房子住可以提取公积金吗？", builtin())
    assert u.tokens[-2:] == ("提取", "公积金")
    # Not every word is in a name: 租房子 and 住 are left out of one variant.
    assert "提取 公积金" in u.variants and "提取 住房公积金" in u.variants
    # A short query is left as it is.
    assert understand("提取公积金", builtin()).variants[:2] == ("提取公积金", "提取 公积金")


def _cut_whole(text: str) -> str:
    """index_tokens as it was before it cut a chunk at a time: the whole normalised text at once."""
    from govhall.search.understanding import STOPWORDS, _segmenter

    out: list[str] = []
    for token in _segmenter.cut(normalise(text)):
        if token in STOPWORDS:
            continue
        out.append(token)
        if len(token) > 2:
            out.extend(_segmenter.inner(token))
    return " ".join(out)


GUIDE = (
    "申請人為年滿18周歲的中國公民；持有效居民身份證原件。\n"
    "個體工商戶營業執照變更登記申请表、居民身份证\n"
    "\n"
    "１．受理：窗口收件（当场）２．审查→决定；３．ＡＰＰ在线办理 https://gov.example/a?b=1\n"
    "  《中华人民共和国行政许可法》第二十九条  \n"
    "营业执照"
)


@pytest.mark.parametrize(
    "text",
    [
        GUIDE,
        GUIDE + "\n" + GUIDE,
        "居民身份证补领\r\n户口迁移",
        "  ",
        "",
        "？！\n\n。",
        "Ａｂｃ１２３ 營業\t執照",
    ],
)
def test_index_tokens_cut_a_chunk_at_a_time_as_the_whole_text_cuts(text: str) -> None:
    # Twice: the second answer comes from the remembered lines and chunks.
    assert index_tokens(text) == _cut_whole(text)
    assert index_tokens(text) == _cut_whole(text)


def test_a_word_learned_after_a_chunk_was_cut_cuts_it_anew() -> None:
    text = "申请犇骉猋登记\n犇骉猋"
    before = index_tokens(text).split()
    assert "犇骉猋" not in before  # unknown: cut character by character
    learn(["犇骉猋"])
    after = index_tokens(text).split()
    assert after.count("犇骉猋") == 2
    assert index_tokens(text) == _cut_whole(text)


def test_a_word_learned_elsewhere_keeps_the_remembered_cuts(monkeypatch: pytest.MonkeyPatch) -> None:
    from govhall.search import understanding

    text = "办理鑫淼焱垚备案\n携带鑫淼焱垚材料"
    index_tokens(text)
    cuts: list[str] = []
    cut = understanding._segmenter.cut
    monkeypatch.setattr(understanding._segmenter, "cut", lambda chunk: cuts.append(chunk) or cut(chunk))
    learn(["犇犇鑫鑫许可"])  # a new name somewhere else: the chunks above stay as they were cut
    tokens = index_tokens(text)
    assert cuts == []
    assert tokens == _cut_whole(text)
    cuts.clear()
    learn(["鑫淼焱垚"])  # inside both chunks: both are cut again, the name whole
    assert index_tokens(text).split().count("鑫淼焱垚") == 2
    assert sorted(cuts) == ["办理鑫淼焱垚备案", "携带鑫淼焱垚材料"]


def test_names_learned_before_the_dictionary_is_loaded_wait_for_it_and_are_cut_whole() -> None:
    # The all-in-one starts without loading jieba: the names already indexed are learned then.
    segmenter = _Segmenter()
    segmenter.learn(["湖北省西陵区老年优待证办理"], names=True)
    assert segmenter._tokenizer is None  # nothing loaded at start-up

    assert segmenter.cut("湖北省西陵区老年优待证办理") == ["湖北省西陵区老年优待证办理"]
    assert "湖北省西陵区老年优待证办理" in segmenter.name_words
    assert "老年" in segmenter.name_words  # and the words inside it, as when learned loaded


def test_names_learned_after_the_dictionary_is_loaded_are_learned_at_once() -> None:
    segmenter = _Segmenter()
    segmenter.tokenizer()
    before = segmenter.generation
    segmenter.learn(["西陵区特色小吃摊位登记"], names=True)
    assert "西陵区特色小吃摊位登记" in segmenter.name_words
    assert segmenter.generation > before


def test_the_words_inside_names_are_those_of_the_whole_name_and_follow_words_learned_since() -> None:
    # A name's inner words come from its chunks' remembered words (a province repeats the chunks).
    segmenter = _Segmenter()
    segmenter.tokenizer()
    for name in ("居民身份证补领 委托武汉市实施", "营业执照核发 太平镇便民服务中心", "出生落户"):
        assert set(segmenter._inner_of_name(name)) == set(segmenter.inner(name))
    segmenter.learn(["垚鑫备案（太平镇便民服务中心）"], names=True)
    assert "垚鑫" not in segmenter.name_words
    segmenter.learn(["垚鑫"])  # a lexicon word, inside a chunk already looked through
    segmenter.learn(["垚鑫备案（李家镇便民服务中心）"], names=True)
    assert "垚鑫" in segmenter.name_words
    assert set(segmenter._inner_of_name("垚鑫备案 李家镇便民服务中心")) == set(
        segmenter.inner("垚鑫备案 李家镇便民服务中心")
    )
