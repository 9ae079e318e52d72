"""The application itself: situation answers (情形), the form (the matter's JSON Schema) and which
materials it needs. No I/O here.

Every problem is reported at once, each naming its field the way the applicant sees it: by the
Chinese titles of the form schema (“经营者信息 › 联系电话：格式不正确”).
"""

from __future__ import annotations

import functools
import json
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, cast

from jsonschema import Draft202012Validator
from jsonschema.exceptions import ValidationError

from govhall.cases import personal
from govhall.kit.errors import DomainError, FieldError, invalid_fields
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat

Answers = Sequence[tuple[str, Sequence[str]]]
MAX_FORM_BYTES: Final = 256 * 1024
# Real forms nest a section, a list and its items (3 or 4 levels); far deeper is an attack on the
# recursion of the JSON parser, the schema validator and the serialiser.
MAX_FORM_DEPTH: Final = 16
# Control characters (C0 and C1) other than tab and newline, and the halves of a UTF-16 surrogate
# pair: an escaped lone surrogate ("\\ud800") parses but cannot be encoded as UTF-8 again.
_BAD_CHARS: Final = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
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
    return frozenset(switchable - shown_sections(situations, answers))


def shown_sections(situations: Sequence[cat.Situation], answers: Answers) -> frozenset[str]:
    """Form sections a chosen answer shows: the applicant must fill them in to submit."""
    return frozenset(section for o in _chosen(situations, answers) for section in o.form_sections)


# The form -------------------------------------------------------------------------------------


@functools.lru_cache(maxsize=256)
def _validator(schema_text: str) -> tuple[Draft202012Validator, dict[str, Any]]:
    schema = json.loads(schema_text)
    return Draft202012Validator(schema), schema


def schema_of(schema_text: str) -> dict[str, Any]:
    """The form schema as a dict (parsed once per schema); {} for a matter without a form."""
    return _validator(schema_text)[1] if schema_text.strip() else {}


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


class _NotFinite:
    """Where the text had NaN, Infinity or a number too large for a float (1e400): JSON has no
    such numbers, and stored they would come back as null."""

    def __init__(self, text: str) -> None:
        self.text = text


def _float(text: str) -> float | _NotFinite:
    value = float(text)
    return value if math.isfinite(value) else _NotFinite(text)


def _walk(value: Any) -> Iterator[tuple[list[Any], Any, int]]:
    """Every value in the parsed form with its path and depth, without recursion; does not go
    below MAX_FORM_DEPTH + 1."""
    stack: list[tuple[list[Any], Any, int]] = [([], value, 0)]
    while stack:
        path, node, depth = stack.pop()
        yield path, node, depth
        if depth > MAX_FORM_DEPTH:
            continue
        if isinstance(node, dict):
            stack.extend(([*path, k], v, depth + 1) for k, v in reversed(node.items()))
        elif isinstance(node, list):
            stack.extend(([*path, i], v, depth + 1) for i, v in reversed(list(enumerate(node))))


def _unsafe_values(schema: dict[str, Any], form: Any) -> list[FieldError]:
    """Values no schema keyword catches: non-finite numbers, control characters and lone
    surrogates in text (keys too), nesting deeper than MAX_FORM_DEPTH."""
    problems: list[FieldError] = []
    for path, node, depth in _walk(form):
        field = ".".join(["form", *(str(p) for p in path)])
        where = " › ".join(_titles(schema, path)) or "申请表"
        if depth > MAX_FORM_DEPTH:
            problems.append(
                FieldError(
                    field,
                    f"nested more than {MAX_FORM_DEPTH} levels deep",
                    f"{where}：嵌套层级过深（不能超过{MAX_FORM_DEPTH}层）",
                )
            )
        elif isinstance(node, _NotFinite):
            problems.append(
                FieldError(field, f"{node.text} is not a finite number", f"{where}：应为有效的数字")
            )
        elif isinstance(node, str) and _BAD_CHARS.search(node):
            problems.append(_bad_text(field, where))
        elif isinstance(node, dict):
            for key in node:
                if _BAD_CHARS.search(key):
                    problems.append(_bad_text(f"{field}.{_BAD_CHARS.sub('?', key)}", where))
    return problems


def _bad_text(field: str, where: str) -> FieldError:
    return FieldError(
        field,
        "contains a control character or an unpaired surrogate (only tab and newline are allowed)",
        f"{where}：含有不可见的控制字符或无效字符",
    )


def _parse(text: str) -> Any:
    # surrogatepass: a lone surrogate is measured here and refused, with its field, after parsing.
    if len(text.encode("utf-8", "surrogatepass")) > MAX_FORM_BYTES:
        raise invalid_fields(
            "CASE_FORM_TOO_LARGE",
            [FieldError("form", "the form is too large", "表单内容过大（不能超过256KB）")],
        )
    try:
        return json.loads(text, parse_constant=_NotFinite, parse_float=_float)
    except RecursionError:
        raise invalid_fields(
            "CASE_FORM_INVALID",
            [
                FieldError(
                    "form",
                    f"the form is nested more than {MAX_FORM_DEPTH} levels deep",
                    f"表单内容嵌套层级过深（不能超过{MAX_FORM_DEPTH}层）",
                )
            ],
        ) from None
    except ValueError:
        raise invalid_fields(
            "CASE_FORM_INVALID", [FieldError("form", "the form is not valid JSON", "表单内容不是有效的JSON")]
        ) from None


def validate_form(
    schema_text: str,
    form_json: str,
    *,
    hidden: frozenset[str] = frozenset(),
    shown: frozenset[str] = frozenset(),
    complete: bool,
    known: Mapping[str, tuple[str, str]] | None = None,
) -> dict[str, Any]:
    """The form as a dict, with hidden sections dropped and personal numbers normalised (in clear:
    personal.seal masks them for storage); raises CASE_FORM_INVALID naming every bad field, each
    once. A draft (complete=False) may leave required fields and the sections its answers show
    (``shown``) empty; a submission may not. ``known``: the numbers stored before, by place, for
    the masked values a client sends back."""
    form = _parse(form_json.strip() or "{}")
    if not isinstance(form, dict):
        raise invalid_fields(
            "CASE_FORM_INVALID", [FieldError("form", "the form must be an object", "表单内容格式不正确")]
        )
    form = {k: v for k, v in form.items() if k not in hidden}
    if unsafe := _unsafe_values(schema_of(schema_text), form):
        # Before the schema: its validator recurses and compares, and none of these can be stored.
        raise invalid_fields("CASE_FORM_INVALID", unsafe)
    if not schema_text.strip():
        if form:
            raise invalid_fields(
                "CASE_FORM_INVALID", [FieldError("form", "this matter has no form", "该事项无需填写申请表")]
            )
        return form
    validator, schema = _validator(schema_text)
    problems = personal.normalise(schema, form, known or {}, lambda path: " › ".join(_titles(schema, path)))
    checked = {p.field for p in problems}  # not also "格式不正确" from the same field's pattern
    if complete:
        sections = schema.get("properties", {})
        problems.extend(
            _required(schema, [], name) for name in sorted(shown) if name in sections and name not in form
        )
    for error in sorted(validator.iter_errors(form), key=lambda e: [str(p) for p in e.absolute_path]):
        path = list(error.absolute_path)
        if error.validator == "required":
            if not complete:
                continue
            # jsonschema reports each missing property as its own error: name only the ones not
            # yet named (reading them all from every error reported each one n times).
            present = error.instance if isinstance(error.instance, dict) else {}
            missing = [m for m in error.validator_value if m not in present]  # type: ignore[union-attr]
            problems.extend(_required(schema, path, name) for name in missing if path or name not in hidden)
            continue
        field = ".".join(["form", *[str(p) for p in path]])
        if field in checked:
            continue
        en, zh = _message(error)
        titles = _titles(schema, path) or ["申请表"]
        problems.append(FieldError(field, en, f"{' › '.join(titles)}：{zh}"))
    if problems:
        raise invalid_fields("CASE_FORM_INVALID", list(dict.fromkeys(problems)))
    return form


def _required(schema: dict[str, Any], path: list[Any], name: str) -> FieldError:
    titles = _titles(schema, [*path, name])
    return FieldError(
        ".".join(["form", *[str(p) for p in path], name]),
        f"{name} is required",
        f"“{' › '.join(titles)}”为必填项",
    )


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
    "schema_of",
    "shown_sections",
    "validate_form",
]
