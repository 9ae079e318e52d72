"""The application itself: situation answers (情形), the form (the matter's JSON Schema) and which
materials it needs. No I/O here.

Every problem is reported at once, each naming its field the way the applicant sees it: by the
Chinese titles of the form schema (“经营者信息 › 联系电话：格式不正确”).
"""

from __future__ import annotations

import functools
import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Final, cast

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from govhall.kit.errors import DomainError, FieldError, invalid_fields
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat

Answers = Sequence[tuple[str, Sequence[str]]]
MAX_FORM_BYTES: Final = 256 * 1024
NECESSITY: Final = {
    cat.MATERIAL_NECESSITY_REQUIRED: "required",
    cat.MATERIAL_NECESSITY_CONDITIONAL: "conditional",
    cat.MATERIAL_NECESSITY_OPTIONAL: "optional",
}
NOT_UPLOADED: Final = frozenset({cat.MATERIAL_SOURCE_GOVERNMENT, cat.MATERIAL_SOURCE_LICENCE})


# Situations -----------------------------------------------------------------------------------


def check_answers(situations: Sequence[cat.Situation], answers: Answers) -> dict[str, tuple[str, ...]]:
    by_code = {s.code: s for s in situations}
    problems: list[FieldError] = []
    out: dict[str, tuple[str, ...]] = {}
    for i, (code, options) in enumerate(answers):
        situation = by_code.get(code)
        if situation is None:
            problems.append(
                FieldError(
                    f"situation_answers[{i}].situation_code",
                    f"unknown situation {code}",
                    f"未知的情形“{code}”",
                )
            )
            continue
        if code in out:
            problems.append(
                FieldError(
                    f"situation_answers[{i}].situation_code",
                    "answered twice",
                    f"“{situation.question}”重复作答",
                )
            )
            continue
        known = {o.code for o in situation.options}
        chosen = tuple(options)
        field = f"situation_answers[{i}].option_codes"
        if any(o not in known for o in chosen):
            problems.append(FieldError(field, "unknown option", f"“{situation.question}”的选项不存在"))
        elif len(set(chosen)) != len(chosen):
            problems.append(
                FieldError(field, "an option is chosen twice", f"“{situation.question}”的选项重复")
            )
        elif not chosen:
            problems.append(FieldError(field, "choose an option", f"请回答：{situation.question}"))
        elif not situation.multiple and len(chosen) > 1:
            problems.append(FieldError(field, "choose one option", f"“{situation.question}”只能选择一项"))
        out[code] = chosen
    if problems:
        raise invalid_fields("CASE_ANSWERS_INVALID", problems)
    return out


def missing_answers(situations: Sequence[cat.Situation], answers: Answers) -> list[FieldError]:
    answered = {code for code, options in answers if options}
    return [
        FieldError(f"situation_answers.{s.code}", f"answer: {s.question}", f"请回答：{s.question}")
        for s in situations
        if s.code not in answered
    ]


def _chosen(situations: Sequence[cat.Situation], answers: Answers) -> list[cat.SituationOption]:
    picked = {(code, o) for code, options in answers for o in options}
    return [o for s in situations for o in s.options if (s.code, o.code) in picked]


def hidden_sections(
    schema_text: str, situations: Sequence[cat.Situation], answers: Answers
) -> frozenset[str]:
    """Form sections that some answer would show but no chosen answer does."""
    switchable = {section for s in situations for o in s.options for section in o.form_sections}
    shown = {section for o in _chosen(situations, answers) for section in o.form_sections}
    return frozenset(switchable - shown)


# The form -------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _validator(schema_text: str) -> tuple[Draft202012Validator, dict[str, Any]]:
    schema = json.loads(schema_text)
    return Draft202012Validator(schema), schema


def _titles(schema: dict[str, Any], path: Sequence[Any]) -> list[str]:
    """The Chinese titles along a path into the instance."""
    titles: list[str] = []
    node: Any = schema
    for part in path:
        if not isinstance(node, dict):
            break
        if isinstance(part, int):
            node = node.get("items", {})
            titles.append(f"第{part + 1}项")
            continue
        node = node.get("properties", {}).get(part, {})
        titles.append(node.get("title", str(part)) if isinstance(node, dict) else str(part))
    return titles


def _message(error: ValidationError) -> tuple[str, str]:
    v, value = error.validator, cast(Any, error.validator_value)
    if v == "required":
        return error.message, "为必填项"
    if v == "type":
        kinds = {
            "string": "文字",
            "number": "数字",
            "integer": "整数",
            "boolean": "是/否",
            "array": "列表",
            "object": "对象",
        }
        wanted = value if isinstance(value, list) else [value]
        return error.message, "应为" + "或".join(kinds.get(str(k), str(k)) for k in wanted)
    if v == "minLength":
        return error.message, f"至少{value}个字符"
    if v == "maxLength":
        return error.message, f"至多{value}个字符"
    if v == "pattern":
        return error.message, "格式不正确"
    if v == "format":
        return error.message, "格式不正确"
    if v == "enum":
        return error.message, "应为以下之一：" + "、".join(str(x) for x in value)
    if v in ("minimum", "exclusiveMinimum"):
        return error.message, f"不能小于{value}"
    if v in ("maximum", "exclusiveMaximum"):
        return error.message, f"不能大于{value}"
    if v == "minItems":
        return error.message, f"至少填写{value}项"
    if v == "maxItems":
        return error.message, f"至多填写{value}项"
    if v == "additionalProperties":
        return error.message, "包含不允许的字段"
    return error.message, "填写不正确"


def validate_form(
    schema_text: str, form_json: str, *, hidden: frozenset[str] = frozenset(), complete: bool
) -> dict[str, Any]:
    """The form as a dict, with hidden sections dropped; raises CASE_FORM_INVALID naming every bad
    field. A draft (complete=False) may leave required fields empty."""
    text = form_json.strip() or "{}"
    if len(text.encode()) > MAX_FORM_BYTES:
        raise invalid_fields(
            "CASE_FORM_TOO_LARGE",
            [FieldError("form", "the form is too large", "表单内容过大（不能超过256KB）")],
        )
    try:
        form = json.loads(text)
    except ValueError:
        raise invalid_fields(
            "CASE_FORM_INVALID", [FieldError("form", "the form is not valid JSON", "表单内容不是有效的JSON")]
        ) from None
    if not isinstance(form, dict):
        raise invalid_fields(
            "CASE_FORM_INVALID", [FieldError("form", "the form must be an object", "表单内容格式不正确")]
        )
    form = {k: v for k, v in form.items() if k not in hidden}
    if not schema_text.strip():
        if form:
            raise invalid_fields(
                "CASE_FORM_INVALID", [FieldError("form", "this matter has no form", "该事项无需填写申请表")]
            )
        return form
    validator, schema = _validator(schema_text)
    problems: list[FieldError] = []
    for error in sorted(validator.iter_errors(form), key=lambda e: [str(p) for p in e.absolute_path]):
        path = list(error.absolute_path)
        if error.validator == "required":
            if not complete:
                continue
            present = error.instance if isinstance(error.instance, dict) else {}
            missing = [m for m in error.validator_value if m not in present]  # type: ignore[union-attr]
            for name in missing:
                if not path and name in hidden:
                    continue
                titles = _titles(schema, [*path, name])
                problems.append(
                    FieldError(
                        ".".join(["form", *[str(p) for p in path], name]),
                        f"{name} is required",
                        f"“{' › '.join(titles)}”为必填项",
                    )
                )
            continue
        en, zh = _message(error)
        titles = _titles(schema, path) or ["申请表"]
        problems.append(
            FieldError(".".join(["form", *[str(p) for p in path]]), en, f"{' › '.join(titles)}：{zh}")
        )
    if problems:
        raise invalid_fields("CASE_FORM_INVALID", problems)
    return form


# Materials ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class MaterialNeed:
    code: str
    name: str
    necessity: str  # required / conditional / optional
    needed: bool
    accepted_types: tuple[str, ...]
    uploaded_by_applicant: bool


def material_needs(
    materials: Sequence[cat.Material], situations: Sequence[cat.Situation], answers: Answers
) -> list[MaterialNeed]:
    selected = {code for o in _chosen(situations, answers) for code in o.material_codes}
    out = []
    for m in materials:
        necessity = NECESSITY.get(m.necessity, "required")
        uploads = m.source not in NOT_UPLOADED
        needed = uploads and (necessity == "required" or (necessity == "conditional" and m.code in selected))
        out.append(MaterialNeed(m.code, m.name, necessity, needed, tuple(m.accepted_types), uploads))
    return out


def missing_materials(needs: Sequence[MaterialNeed], attached_codes: set[str]) -> list[FieldError]:
    return [
        FieldError(f"materials.{n.code}", f"upload {n.name}", f"请上传：{n.name}")
        for n in needs
        if n.needed and n.code not in attached_codes
    ]


__all__ = [
    "DomainError",
    "MaterialNeed",
    "check_answers",
    "hidden_sections",
    "material_needs",
    "missing_answers",
    "missing_materials",
    "validate_form",
]
