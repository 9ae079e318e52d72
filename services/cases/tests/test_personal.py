"""Personal numbers in forms: marked by the schema, checked with the kit's validators, stored
encrypted and shown masked."""

from __future__ import annotations

import json
from typing import Any

import pytest

from govhall.cases import forms, personal
from govhall.kit.errors import DomainError
from govhall.kit.fieldcipher import FieldCipher

ID = "420502199003070127"  # a valid check digit
WRONG = "420502199003070128"
SCHEMA: dict[str, Any] = {
    "type": "object",
    "properties": {
        "operator": {
            "type": "object",
            "title": "经营者信息",
            "properties": {
                "name": {"type": "string", "title": "姓名"},
                "id_number": {
                    "type": "string",
                    "title": "公民身份号码",
                    "pattern": "^\\d{17}[\\dX]$",
                    "x-govhall-kind": "id_number",
                },
                "mobile": {"type": "string", "title": "联系电话", "x-govhall-kind": "mobile"},
            },
            "required": ["name", "id_number"],
        },
        "family": {
            "type": "array",
            "title": "家庭成员",
            "items": {
                "type": "object",
                "properties": {
                    "id_number": {"type": "string", "title": "公民身份号码", "x-govhall-kind": "id_number"}
                },
            },
        },
        "note": {"type": "string", "title": "备注"},
    },
}
TEXT = json.dumps(SCHEMA, ensure_ascii=False)
CIPHER = FieldCipher(bytes(32), "cases")


def check(form: dict[str, Any], **kw: Any) -> dict[str, Any]:
    return forms.validate_form(TEXT, json.dumps(form, ensure_ascii=False), complete=True, **kw)


def test_a_wrong_check_digit_is_refused_by_field_once() -> None:
    form = {
        "operator": {"name": "张三", "id_number": WRONG, "mobile": "12345678901"},
        "family": [{"id_number": "1"}],
    }
    with pytest.raises(DomainError) as err:
        check(form)
    named = {f.field: f.message_zh for f in err.value.fields}
    assert list(named) == ["form.operator.id_number", "form.operator.mobile", "form.family.0.id_number"]
    assert named["form.operator.id_number"].startswith("经营者信息 › 公民身份号码：")
    assert "校验" in named["form.operator.id_number"]  # the kit's message, not "格式不正确"
    assert named["form.family.0.id_number"].startswith("家庭成员 › 第1项 › 公民身份号码：")
    # Unmarked text is left alone, however it looks.
    assert check({"operator": {"name": "张三", "id_number": ID}, "note": WRONG})["note"] == WRONG


def test_numbers_are_normalised() -> None:
    form = check(
        {"operator": {"name": "张三", "id_number": "11010519491231002x", "mobile": "+86 138-1234-0012"}}
    )
    assert form["operator"] == {"name": "张三", "id_number": "11010519491231002X", "mobile": "13812340012"}


def test_sealed_masked_and_restored() -> None:
    form = check(
        {
            "operator": {"name": "张三", "id_number": ID, "mobile": "13812340012"},
            "family": [{"id_number": "11010519491231002X"}, {}],
        }
    )
    masked, sealed = personal.seal(SCHEMA, form, CIPHER)
    assert masked["operator"] == {"name": "张三", "id_number": "4205**********0127", "mobile": "138****0012"}
    assert masked["family"] == [{"id_number": "1101**********002X"}, {}]
    assert form["operator"]["id_number"] == ID  # the cleaned form itself is not changed
    text = json.dumps([masked, sealed])
    assert ID not in text and "13812340012" not in text and "11010519491231002X" not in text
    assert set(sealed) == {"operator/id_number", "operator/mobile", "family/0/id_number"}
    known = personal.unseal(sealed, CIPHER)
    assert known["operator/id_number"] == ("id_number", ID)
    # The masked form sent back as it was shown keeps every number, even with items reordered.
    back = {**masked, "family": [{}, masked["family"][0]]}
    again = check(back, known=known)
    assert again["operator"]["id_number"] == ID and again["family"][1]["id_number"] == "11010519491231002X"
    # A changed number is checked as new; a mask that matches nothing stored is refused.
    changed = check({**masked, "operator": {**masked["operator"], "mobile": "13912345678"}}, known=known)
    assert changed["operator"]["mobile"] == "13912345678"
    with pytest.raises(DomainError) as err:
        check({**masked, "operator": {**masked["operator"], "mobile": "139****5678"}}, known=known)
    assert [f.field for f in err.value.fields] == ["form.operator.mobile"]


def test_a_number_sealed_under_another_key_is_asked_for_again() -> None:
    _, sealed = personal.seal(SCHEMA, {"operator": {"id_number": ID}}, FieldCipher(bytes(range(32)), "cases"))
    assert personal.unseal(sealed, CIPHER) == {}


def test_a_form_stored_before_numbers_were_sealed_is_shown_masked() -> None:
    old = json.dumps({"operator": {"name": "张三", "id_number": ID, "mobile": "13812340012"}, "note": ID})
    shown = json.loads(personal.masked_json(SCHEMA, old))
    assert shown == {
        "operator": {"name": "张三", "id_number": "4205**********0127", "mobile": "138****0012"},
        "note": ID,
    }
    masked = json.dumps(shown, ensure_ascii=False, separators=(",", ":"))
    assert personal.masked_json(SCHEMA, masked) == masked  # already masked: unchanged
    assert personal.masked_json({}, old) == old


def test_a_change_the_mask_hides_is_still_a_change() -> None:
    def stored(number: str) -> tuple[str, personal.Sealed]:
        masked, sealed = personal.seal(
            SCHEMA, check({"operator": {"name": "张三", "id_number": number}}), CIPHER
        )
        return json.dumps(masked, ensure_ascii=False), sealed

    before = personal.comparable(*stored(ID))
    assert personal.comparable(*stored(ID)) == before  # sealed again (a fresh nonce): the same
    corrected = "420502199003150127"  # the birth date corrected: the same first and last four
    text, sealed = stored(corrected)
    assert json.loads(text) == json.loads(stored(ID)[0])  # masks alike
    assert personal.comparable(text, sealed) != before  # fingerprints not
    assert ID not in before and "#" in json.loads(before)["operator"]["id_number"]
    assert personal.comparable('{"a":1}', {}) == '{"a":1}'
