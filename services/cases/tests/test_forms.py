"""The application itself: situation answers, the form named in Chinese, the materials it needs."""

from __future__ import annotations

import json
from typing import Any

import pytest

from govhall.cases import forms
from govhall.kit.errors import DomainError
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat

SCHEMA = json.dumps(
    {
        "type": "object",
        "title": "个体工商户登记申请表",
        "properties": {
            "operator": {
                "type": "object",
                "title": "经营者信息",
                "properties": {
                    "name": {"type": "string", "title": "姓名", "minLength": 2},
                    "mobile": {"type": "string", "title": "联系电话", "pattern": "^1[3-9]\\d{9}$"},
                },
                "required": ["name", "mobile"],
            },
            "kind": {"type": "string", "title": "经营类型", "enum": ["餐饮", "零售"]},
            "capital": {"type": "number", "title": "资金数额（万元）", "minimum": 0},
            "agent": {
                "type": "object",
                "title": "代办人信息",
                "properties": {"name": {"type": "string", "title": "代办人姓名"}},
                "required": ["name"],
            },
        },
        "required": ["operator", "kind", "agent"],
    },
    ensure_ascii=False,
)
SITUATIONS = [
    cat.Situation(
        code="S1",
        question="是否委托他人代办？",
        options=[
            cat.SituationOption(code="S1A", label="否"),
            cat.SituationOption(code="S1B", label="是", material_codes=["M03"], form_sections=["agent"]),
        ],
    ),
    cat.Situation(
        code="S2",
        question="经营项目（可多选）",
        multiple=True,
        options=[
            cat.SituationOption(code="S2A", label="热食"),
            cat.SituationOption(code="S2B", label="冷食"),
        ],
    ),
]
MATERIALS = [
    cat.Material(
        code="M01",
        name="申请书",
        necessity=cat.MATERIAL_NECESSITY_REQUIRED,
        source=cat.MATERIAL_SOURCE_APPLICANT,
    ),
    cat.Material(
        code="M02",
        name="居民身份证",
        necessity=cat.MATERIAL_NECESSITY_REQUIRED,
        source=cat.MATERIAL_SOURCE_LICENCE,
    ),
    cat.Material(
        code="M03",
        name="授权委托书",
        necessity=cat.MATERIAL_NECESSITY_CONDITIONAL,
        source=cat.MATERIAL_SOURCE_APPLICANT,
    ),
    cat.Material(
        code="M04",
        name="其他材料",
        necessity=cat.MATERIAL_NECESSITY_OPTIONAL,
        source=cat.MATERIAL_SOURCE_APPLICANT,
        accepted_types=["pdf"],
    ),
]
GOOD = {"operator": {"name": "张三", "mobile": "13912345678"}, "kind": "餐饮", "capital": 5}


def problems(err: pytest.ExceptionInfo[DomainError]) -> dict[str, str]:
    return {f.field: f.message_zh for f in err.value.fields}


def test_a_complete_form_without_the_hidden_section() -> None:
    hidden = forms.hidden_sections(SCHEMA, SITUATIONS, [("S1", ("S1A",))])
    assert hidden == {"agent"}
    form = forms.validate_form(SCHEMA, json.dumps({**GOOD, "agent": {"x": 1}}), hidden=hidden, complete=True)
    assert form == GOOD  # the hidden section is dropped, and not required


def test_every_problem_named_in_chinese() -> None:
    bad = {"operator": {"name": "张", "mobile": "12345"}, "kind": "批发", "capital": -1}
    with pytest.raises(DomainError) as err:
        forms.validate_form(SCHEMA, json.dumps(bad, ensure_ascii=False), complete=True)
    assert err.value.code == "CASE_FORM_INVALID"
    assert problems(err) == {
        "form.agent": "“代办人信息”为必填项",
        "form.capital": "资金数额（万元）：不能小于0",
        "form.kind": "经营类型：应为以下之一：餐饮、零售",
        "form.operator.mobile": "经营者信息 › 联系电话：格式不正确",
        "form.operator.name": "经营者信息 › 姓名：至少2个字符",
    }


def test_a_draft_may_be_incomplete_but_not_wrong() -> None:
    assert forms.validate_form(SCHEMA, json.dumps({"operator": {}}), complete=False) == {"operator": {}}
    with pytest.raises(DomainError) as err:
        forms.validate_form(SCHEMA, json.dumps({"operator": {"mobile": "1"}}), complete=False)
    assert list(problems(err)) == ["form.operator.mobile"]
    with pytest.raises(DomainError) as err:
        forms.validate_form(SCHEMA, json.dumps({"operator": {}}), complete=True)
    assert problems(err)["form.operator.name"] == "“经营者信息 › 姓名”为必填项"


@pytest.mark.parametrize(
    ("text", "code", "zh"),
    [
        ("{not json", "CASE_FORM_INVALID", "表单内容不是有效的JSON"),
        ("[1, 2]", "CASE_FORM_INVALID", "表单内容格式不正确"),
        (json.dumps({"x": "长" * 100_000}), "CASE_FORM_TOO_LARGE", "表单内容过大（不能超过256KB）"),
    ],
)
def test_bad_form_text(text: str, code: str, zh: str) -> None:
    with pytest.raises(DomainError) as err:
        forms.validate_form(SCHEMA, text, complete=False)
    assert err.value.code == code and err.value.fields[0].message_zh == zh


def test_a_matter_without_a_form() -> None:
    assert forms.validate_form("", "", complete=True) == {}
    with pytest.raises(DomainError):
        forms.validate_form("", '{"a": 1}', complete=True)


def test_answers_are_checked() -> None:
    assert forms.check_answers(SITUATIONS, [("S1", ("S1B",)), ("S2", ("S2A", "S2B"))]) == {
        "S1": ("S1B",),
        "S2": ("S2A", "S2B"),
    }
    with pytest.raises(DomainError) as err:
        forms.check_answers(SITUATIONS, [("S1", ("S1A", "S1B")), ("S9", ("X",)), ("S2", ("S2Z",))])
    assert err.value.code == "CASE_ANSWERS_INVALID"
    assert problems(err) == {
        "situation_answers[0].option_codes": "“是否委托他人代办？”只能选择一项",
        "situation_answers[1].situation_code": "未知的情形“S9”",
        "situation_answers[2].option_codes": "“经营项目（可多选）”的选项不存在",
    }
    missing = forms.missing_answers(SITUATIONS, [("S1", ("S1A",))])
    assert [(m.field, m.message_zh) for m in missing] == [
        ("situation_answers.S2", "请回答：经营项目（可多选）")
    ]


@pytest.mark.parametrize(("answer", "needed"), [("S1A", {"M01"}), ("S1B", {"M01", "M03"})])
def test_materials_needed_follow_the_answers(answer: str, needed: set[str]) -> None:
    needs = forms.material_needs(MATERIALS, SITUATIONS, [("S1", (answer,))])
    assert {n.code for n in needs if n.needed} == needed
    licence = next(n for n in needs if n.code == "M02")
    assert not licence.uploaded_by_applicant and not licence.needed  # reused from the e-licence
    assert next(n for n in needs if n.code == "M04").accepted_types == ("pdf",)
    missing = forms.missing_materials(needs, {"M01"})
    assert [(m.field, m.message_zh) for m in missing] == (
        [("materials.M03", "请上传：授权委托书")] if answer == "S1B" else []
    )


def test_each_missing_field_is_named_once() -> None:
    # jsonschema reports every missing property as an error of its own; reading the whole
    # "required" list from each of them named each missing field n times.
    with pytest.raises(DomainError) as err:
        forms.validate_form(SCHEMA, json.dumps({"operator": {}}), complete=True)
    fields = [f.field for f in err.value.fields]
    assert sorted(fields) == ["form.agent", "form.kind", "form.operator.mobile", "form.operator.name"]
    assert err.value.message_zh.count("姓名") == 1


def test_a_section_a_chosen_answer_shows_is_required_to_submit() -> None:
    answers = [("S1", ("S1B",))]
    schema = json.loads(SCHEMA)
    schema["required"] = ["operator", "kind"]  # "agent" required only by the answer
    text = json.dumps(schema, ensure_ascii=False)
    hidden = forms.hidden_sections(text, SITUATIONS, answers)
    shown = forms.shown_sections(SITUATIONS, answers)
    assert shown == {"agent"} and hidden == set()
    with pytest.raises(DomainError) as err:
        forms.validate_form(text, json.dumps(GOOD), hidden=hidden, shown=shown, complete=True)
    assert problems(err) == {"form.agent": "“代办人信息”为必填项"}
    # A draft may still leave it empty; an empty section names what it lacks.
    assert forms.validate_form(text, json.dumps(GOOD), hidden=hidden, shown=shown, complete=False) == GOOD
    with pytest.raises(DomainError) as err:
        forms.validate_form(text, json.dumps({**GOOD, "agent": {}}), shown=shown, complete=True)
    assert problems(err) == {"form.agent.name": "“代办人信息 › 代办人姓名”为必填项"}
    done = {**GOOD, "agent": {"name": "李四"}}
    assert forms.validate_form(text, json.dumps(done, ensure_ascii=False), shown=shown, complete=True) == done


@pytest.mark.parametrize("number", ["NaN", "Infinity", "-Infinity", "1e400", "-1E+999"])
def test_non_finite_numbers_are_refused_by_field(number: str) -> None:
    text = '{"operator": {"name": "张三", "mobile": "13912345678"}, "kind": "餐饮", "capital": NUMBER}'
    text = text.replace("NUMBER", number)
    for complete in (False, True):
        with pytest.raises(DomainError) as err:
            forms.validate_form(SCHEMA, text, complete=complete)
        assert err.value.code == "CASE_FORM_INVALID"
        assert problems(err) == {"form.capital": "资金数额（万元）：应为有效的数字"}
    assert forms.validate_form(SCHEMA, text.replace(number, "1e300"), complete=False)["capital"] == 1e300


@pytest.mark.parametrize(
    ("text", "field"),
    [
        ('{"kind": "餐\\u0000饮"}', "form.kind"),
        ('{"operator": {"name": "张\\u001b[31m三"}}', "form.operator.name"),
        ('{"kind": "\\u0085"}', "form.kind"),
        ('{"kind": "\\ud800"}', "form.kind"),
        ('{"operator": {"name": "\\udfff张"}}', "form.operator.name"),
        ('{"kind": "\\ud83d\\ude00\\ud800"}', "form.kind"),
        ('{"x\\u0000y": 1}', "form.x?y"),
        ('{"kind": "\ud800"}', "form.kind"),  # a raw lone surrogate, not escaped
    ],
)
def test_control_characters_and_lone_surrogates_are_refused(text: str, field: str) -> None:
    with pytest.raises(DomainError) as err:
        forms.validate_form(SCHEMA, text, complete=False)
    assert err.value.code == "CASE_FORM_INVALID"
    assert [f.field for f in err.value.fields] == [field]
    assert "控制字符或无效字符" in err.value.fields[0].message_zh


def test_tab_newline_and_paired_surrogates_are_text() -> None:
    text = '{"operator": {"name": "张三\\n\\t（店长）😀", "mobile": "13912345678"}}'
    assert forms.validate_form(SCHEMA, text, complete=False)["operator"]["name"] == "张三\n\t（店长）😀"


@pytest.mark.parametrize("depth", [forms.MAX_FORM_DEPTH + 1, 900, 100_000])
def test_deep_nesting_is_refused(depth: int) -> None:
    text = '{"extra": ' + "[" * depth + "]" * depth + "}"
    with pytest.raises(DomainError) as err:
        forms.validate_form(SCHEMA, text, complete=False)
    assert err.value.code in ("CASE_FORM_INVALID", "CASE_FORM_TOO_LARGE")
    assert len(err.value.fields) == 1 and err.value.fields[0].field.startswith("form")
    if depth < 1000:
        assert "嵌套层级过深" in err.value.fields[0].message_zh
    nested: Any = []
    for _ in range(forms.MAX_FORM_DEPTH - 1):
        nested = [nested]
    assert forms.validate_form(SCHEMA, json.dumps({"extra": nested}), complete=False)["extra"] == nested


def _demo_problems(kind: str, answers: list[tuple[str, tuple[str, ...]]], form: dict[str, Any]) -> set[str]:
    from govhall.catalogue import demo

    matter = demo.KINDS[kind]
    situations = [cat.Situation.FromString(s.SerializeToString()) for s in matter.situations]
    with pytest.raises(DomainError) as err:
        forms.validate_form(
            matter.form,
            json.dumps(form, ensure_ascii=False),
            hidden=forms.hidden_sections(matter.form, situations, answers),
            shown=forms.shown_sections(situations, answers),
            complete=True,
        )
    return {f.field for f in err.value.fields}


def test_the_demo_matters_require_what_their_answers_show() -> None:
    # 420502-SCJGJ-0001 (食品经营许可): 餐饮服务 and 单位食堂, through an agent, with the base fields only.
    base = {
        "operator_name": "西陵区老张面馆",
        "premises": "宜昌市西陵区夷陵大道1号",
        "main_business": "餐饮服务经营者",
        "items": ["热食类食品制售"],
        "safety_manager": {"name": "张三", "mobile": "13812340012"},
    }
    answers = [("S1", ("S1B", "S1C")), ("S2", ("S2B",))]
    assert _demo_problems("food_licence", answers, base) == {"form.catering", "form.canteen", "form.agent"}
    # 420502-SCJGJ-0002 (个体工商户): 家庭经营 without the family members.
    base = {"business_scope": "餐饮服务", "premises": "宜昌市西陵区夷陵大道1号", "capital": 5}
    assert _demo_problems("biz_individual", [("S1", ("S1B",))], base) == {"form.family_members"}
    members = {
        **base,
        "family_members": [{"name": "李四", "relationship": "配偶", "id_number": "420502199003070128"}],
    }
    # ... and a family member's ID number is checked to its check digit.
    assert _demo_problems("biz_individual", [("S1", ("S1B",))], members) == {
        "form.family_members.0.id_number"
    }
