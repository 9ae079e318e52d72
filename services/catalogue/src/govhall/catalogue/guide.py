"""The rules of a service guide (办事指南): what an administrator's MatterDraft must satisfy.

`check_draft` reports every problem at once, each with the field's path as the contract names it
("draft.materials[2].name") and an English and a Chinese message, and returns the draft
normalised (trimmed, deduplicated, defaults filled in). It runs for every matter written,
including imports of thousands, so it stays plain Python without I/O, and the one costly check,
the form's JSON Schema, is cached by its text (imported lists repeat the same forms).
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Sequence
from functools import lru_cache
from typing import Any

from jsonschema import Draft202012Validator
from jsonschema.exceptions import SchemaError

from govhall.catalogue import taxonomy
from govhall.kit.errors import DomainError, FieldError, invalid_fields
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb
from govhall.protos.common.v1 import common_pb2

DEPARTMENT_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]{0,39}$")
BASE_CODE = re.compile(r"^[0-9A-Za-z]{12}$")
# Codes of materials, situations, options and steps: short, stable, safe in URLs and file names.
ITEM_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z_-]{0,31}$")
LICENCE_TYPE_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z.-]{0,63}$")
CJK = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff]")

MAX_NAME = 200
MAX_GUIDE_FIELD = 20_000
MAX_LIMIT_DAYS = 365
MAX_SHORT_TEXT = 200
MAX_LONG_TEXT = 2_000
MAX_FORM_SCHEMA_BYTES = 64 * 1024
MAX_COPIES = 20
MAX_VISITS = 2
MAX_ITEMS = {
    "materials": 100,
    "situations": 30,
    "steps": 20,
    "places": 50,
    "fees.items": 50,
    "themes": 10,
    "life_events": 10,
    "sub_audiences": 10,
}
MIN_OPTIONS, MAX_OPTIONS = 2, 20

ROLES = ("window_clerk", "reviewer", "approver")
ROLE_ZH = {"window_clerk": "窗口受理人员", "reviewer": "审核人员", "approver": "审批人员"}
UPLOAD_TYPES = ("pdf", "jpg", "png", "ofd")
CURRENCY = "CNY"
ONLINE_APPLICATION_DEPTH = 3  # 在线申办 and 全程网办 take applications online

_VOCABULARY_ZH = {
    taxonomy.THEMES: "主题分类",
    taxonomy.LIFE_EVENTS: "生命周期",
    taxonomy.SUB_AUDIENCES: "细分服务对象",
}


def default_steps(handling_type: int) -> list[pb.ProcessStep]:
    """The review chain a matter follows when its guide names none (the cases service walks it)."""
    if handling_type == pb.HANDLING_TYPE_INSTANT:
        return [pb.ProcessStep(code="accept_decide", name="受理并决定", role="window_clerk")]
    return [
        pb.ProcessStep(code="accept", name="受理", role="window_clerk"),
        pb.ProcessStep(code="review", name="审核", role="reviewer"),
        pb.ProcessStep(code="decide", name="决定", role="approver"),
    ]


class _Report:
    """Problems found so far, in the order the fields appear."""

    def __init__(self) -> None:
        self.problems: list[FieldError] = []

    def bad(self, field: str, en: str, zh: str) -> None:
        self.problems.append(FieldError(field, en, zh))

    def text(self, field: str, value: str, limit: int, label_zh: str, *, required: bool = False) -> str:
        value = value.strip()
        if required and not value:
            self.bad(field, "is required", f"请填写{label_zh}")
        elif len(value) > limit:
            self.bad(field, f"must be at most {limit} characters", f"{label_zh}不能超过{limit}个字")
        return value

    def count(self, field: str, items: Any, label_zh: str) -> bool:
        limit = MAX_ITEMS[field.removeprefix("draft.")]
        if len(items) > limit:
            self.bad(field, f"at most {limit} entries", f"{label_zh}不能超过{limit}项")
            return False
        return True

    def code(self, field: str, value: str, seen: dict[str, str], label_zh: str) -> None:
        if not ITEM_CODE.match(value):
            self.bad(
                field,
                "code must be 1-32 letters, digits, hyphens or underscores",
                f"{label_zh}编码应为1至32位字母、数字、连字符或下划线",
            )
        elif value in seen:
            self.bad(
                field, f"code {value} is also used by {seen[value]}", f"编码“{value}”重复（{seen[value]}）"
            )
        else:
            seen[value] = field.removeprefix("draft.").removesuffix(".code")


def check_draft(draft: pb.MatterDraft) -> tuple[pb.MatterDraft, list[FieldError]]:
    """The draft normalised, and every problem with it (empty when it is valid)."""
    r = _Report()
    clean = pb.MatterDraft()
    clean.CopyFrom(draft)

    clean.name = r.text("draft.name", draft.name, MAX_NAME, "事项名称", required=True)
    if not DEPARTMENT_CODE.match(draft.department_code):
        r.bad("draft.department_code", "department code is required", "请填写实施部门编码")
    clean.base_code = draft.base_code.strip()
    if clean.base_code and not BASE_CODE.match(clean.base_code):
        r.bad("draft.base_code", "base code must be 12 letters or digits", "基本编码应为12位字母或数字")
    if draft.type == pb.MATTER_TYPE_UNSPECIFIED or draft.type not in pb.MatterType.values():
        r.bad("draft.type", "matter type is required", "请选择事项类型")
    clean.result_name = r.text("draft.result_name", draft.result_name, MAX_SHORT_TEXT, "审批结果名称")

    audiences = sorted(set(draft.audiences))
    if not audiences or any(a not in (pb.AUDIENCE_PERSON, pb.AUDIENCE_LEGAL_PERSON) for a in audiences):
        r.bad("draft.audiences", "audience must be person and/or legal person", "服务对象应为自然人和/或法人")
    del clean.audiences[:]
    clean.audiences.extend(audiences)
    for kind in taxonomy.KINDS:
        _vocabulary(r, clean, kind, getattr(draft, kind), audiences)

    _limits(r, draft, clean)
    _fees(r, draft, clean)
    _steps(r, draft, clean)
    sections = _form_schema(r, clean)
    selected = _situations(r, draft, clean, sections)
    _materials(r, draft, clean, selected)
    _places(r, draft, clean)
    _online(r, draft, clean)
    for field in pb.Guide.DESCRIPTOR.fields:
        value = getattr(draft.guide, field.name)
        if len(value) > MAX_GUIDE_FIELD:
            r.bad(
                f"draft.guide.{field.name}",
                f"guide text must be at most {MAX_GUIDE_FIELD} characters",
                f"办事指南内容过长（不超过{MAX_GUIDE_FIELD}字）",
            )
    return clean, r.problems


def validate_draft(draft: pb.MatterDraft) -> pb.MatterDraft:
    """The draft normalised; raises MATTER_INVALID naming every bad field when it is not valid."""
    clean, problems = check_draft(draft)
    if problems:
        raise invalid_draft(problems)
    return clean


def invalid_draft(problems: list[FieldError]) -> DomainError:
    return invalid_fields("MATTER_INVALID", problems)


def _vocabulary(
    r: _Report, clean: pb.MatterDraft, kind: str, values: Iterable[str], audiences: Sequence[int]
) -> None:
    allowed = taxonomy.allowed(kind, audiences)
    label = _VOCABULARY_ZH[kind]
    kept: list[str] = []
    for i, raw in enumerate(values):
        value = raw.strip()
        if value not in allowed:
            r.bad(
                f"draft.{kind}[{i}]",
                f"{value!r} is not in the {kind.replace('_', ' ')} of the matter's audiences (see GetTaxonomy)",
                f"“{value}”不在服务对象适用的{label}中",
            )
        elif value not in kept:
            kept.append(value)
    r.count(f"draft.{kind}", kept, label)
    target = getattr(clean, kind)
    del target[:]
    target.extend(kept)


def _limits(r: _Report, draft: pb.MatterDraft, clean: pb.MatterDraft) -> None:
    if draft.handling_type not in (pb.HANDLING_TYPE_INSTANT, pb.HANDLING_TYPE_PROMISED):
        r.bad("draft.handling_type", "handling type (instant or promised) is required", "请选择办件类型")
    for name, zh in (("legal_limit", "法定办结时限"), ("promised_limit", "承诺办结时限")):
        limit: common_pb2.TimeLimit = getattr(draft, name)
        if limit.unit == common_pb2.TIME_LIMIT_UNIT_UNSPECIFIED:
            getattr(clean, name).unit = common_pb2.TIME_LIMIT_UNIT_WORKING_DAY
        elif limit.unit not in common_pb2.TimeLimitUnit.values():
            r.bad(f"draft.{name}.unit", "unknown time limit unit", f"{zh}单位无效")
        if limit.value > MAX_LIMIT_DAYS:
            r.bad(
                f"draft.{name}", f"must be at most {MAX_LIMIT_DAYS} days", f"{zh}不能超过{MAX_LIMIT_DAYS}天"
            )
    if draft.handling_type == pb.HANDLING_TYPE_PROMISED and draft.promised_limit.value == 0:
        r.bad(
            "draft.promised_limit",
            "a promised matter (承诺件) needs a promised time limit",
            "承诺件须填写承诺办结时限",
        )
    if draft.legal_limit.value and draft.promised_limit.value > draft.legal_limit.value:
        r.bad(
            "draft.promised_limit",
            "the promised time limit cannot exceed the legal one",
            "承诺办结时限不能超过法定办结时限",
        )


def _fees(r: _Report, draft: pb.MatterDraft, clean: pb.MatterDraft) -> None:
    fees = draft.fees
    if fees.charged and not fees.items:
        r.bad("draft.fees.items", "a charged matter lists its fee items", "收费事项须列明收费项目")
    if not fees.charged and fees.items:
        r.bad(
            "draft.fees.charged",
            "fee items are listed but the matter is not charged",
            "已列收费项目，请勾选收费",
        )
    if not r.count("draft.fees.items", fees.items, "收费项目"):
        return
    for i, item in enumerate(fees.items):
        at = f"draft.fees.items[{i}]"
        out = clean.fees.items[i]
        out.name = r.text(f"{at}.name", item.name, MAX_SHORT_TEXT, "收费项目名称", required=True)
        out.basis = r.text(f"{at}.basis", item.basis, MAX_LONG_TEXT, "收费依据")
        out.note = r.text(f"{at}.note", item.note, MAX_SHORT_TEXT, "收费说明")
        if item.amount.amount_fen < 0:
            r.bad(f"{at}.amount", "amount cannot be negative", "收费金额不能为负数")
        currency = item.amount.currency.strip().upper() or CURRENCY
        if currency != CURRENCY:
            r.bad(f"{at}.amount.currency", "fees are in CNY", "收费币种应为人民币（CNY）")
        out.amount.currency = currency


def _steps(r: _Report, draft: pb.MatterDraft, clean: pb.MatterDraft) -> None:
    if not draft.steps:
        if draft.handling_type in (pb.HANDLING_TYPE_INSTANT, pb.HANDLING_TYPE_PROMISED):
            clean.steps.extend(default_steps(draft.handling_type))
        return
    if not r.count("draft.steps", draft.steps, "办理环节"):
        return
    seen: dict[str, str] = {}
    for i, step in enumerate(draft.steps):
        at = f"draft.steps[{i}]"
        out = clean.steps[i]
        out.code = step.code.strip()
        r.code(f"{at}.code", out.code, seen, "环节")
        out.name = r.text(f"{at}.name", step.name, 50, "环节名称", required=True)
        out.description = r.text(f"{at}.description", step.description, MAX_LONG_TEXT, "环节说明")
        if step.role not in ROLES:
            r.bad(
                f"{at}.role",
                f"role must be one of {', '.join(ROLES)}",
                "办理角色应为窗口受理人员、审核人员或审批人员",
            )
    total = sum(s.time_limit_days for s in draft.steps)
    promised = draft.promised_limit.value
    if promised and total > promised:
        r.bad(
            "draft.steps",
            f"the steps take {total} days, more than the promised limit of {promised}",
            f"各环节时限合计{total}天，超过承诺办结时限{promised}天",
        )


@lru_cache(maxsize=512)
def _schema_report(text: str) -> tuple[tuple[tuple[str, str], ...], frozenset[str]]:
    """Problems with a form schema (English, Chinese) and its top-level properties; cached by text."""
    if len(text.encode()) > MAX_FORM_SCHEMA_BYTES:
        limit = MAX_FORM_SCHEMA_BYTES // 1024
        return ((f"form schema must be at most {limit} KB", f"申请表单定义不能超过{limit}KB"),), frozenset()
    try:
        schema = json.loads(text)
    except ValueError as exc:
        return ((f"form schema is not valid JSON: {exc}", "申请表单定义不是有效的JSON"),), frozenset()
    if not isinstance(schema, dict) or schema.get("type") != "object":
        return (
            (
                'form schema must be a JSON Schema with "type": "object"',
                "申请表单定义应为对象类型的JSON Schema",
            ),
        ), frozenset()
    try:
        Draft202012Validator.check_schema(schema)
    except SchemaError as exc:
        where = "/".join(str(p) for p in exc.path) or "(root)"
        return (
            (
                f"form schema is not a valid JSON Schema at {where}: {exc.message}",
                "申请表单定义不符合JSON Schema规范",
            ),
        ), frozenset()
    problems: list[tuple[str, str]] = []
    _titles(schema, "", problems)
    properties = schema.get("properties")
    return tuple(problems), frozenset(properties) if isinstance(properties, dict) else frozenset()


def _titles(schema: dict[str, Any], prefix: str, problems: list[tuple[str, str]]) -> None:
    """Every property shows a Chinese label on the application form."""
    properties = schema.get("properties")
    if isinstance(properties, dict):
        for name, sub in properties.items():
            path = f"{prefix}{name}"
            if not isinstance(sub, dict):
                continue
            title = sub.get("title")
            if not isinstance(title, str) or not CJK.search(title):
                problems.append(
                    (f"form property {path} needs a Chinese title", f"表单字段“{path}”须有中文标题（title）")
                )
            _titles(sub, f"{path}.", problems)
    items = schema.get("items")
    if isinstance(items, dict):
        _titles(items, f"{prefix}[].", problems)


def _form_schema(r: _Report, clean: pb.MatterDraft) -> frozenset[str]:
    clean.form_schema = clean.form_schema.strip()
    if not clean.form_schema:
        return frozenset()
    problems, sections = _schema_report(clean.form_schema)
    for en, zh in problems:
        r.bad("draft.form_schema", en, zh)
    return sections


def _situations(
    r: _Report, draft: pb.MatterDraft, clean: pb.MatterDraft, sections: frozenset[str]
) -> set[str]:
    """Check the situations; returns the material codes their options select."""
    selected: set[str] = set()
    if not r.count("draft.situations", draft.situations, "情形"):
        return selected
    materials = {m.code.strip() for m in draft.materials}
    seen: dict[str, str] = {}
    for i, situation in enumerate(draft.situations):
        at = f"draft.situations[{i}]"
        out = clean.situations[i]
        out.code = situation.code.strip()
        r.code(f"{at}.code", out.code, seen, "情形")
        out.question = r.text(f"{at}.question", situation.question, MAX_SHORT_TEXT, "情形问题", required=True)
        if not MIN_OPTIONS <= len(situation.options) <= MAX_OPTIONS:
            r.bad(
                f"{at}.options",
                f"a situation has {MIN_OPTIONS} to {MAX_OPTIONS} options",
                f"每个情形应有{MIN_OPTIONS}至{MAX_OPTIONS}个选项",
            )
        for j, option in enumerate(situation.options):
            oat = f"{at}.options[{j}]"
            oout = out.options[j]
            oout.code = option.code.strip()
            r.code(f"{oat}.code", oout.code, seen, "选项")
            oout.label = r.text(f"{oat}.label", option.label, 100, "选项内容", required=True)
            for k, code in enumerate(option.material_codes):
                if code not in materials:
                    r.bad(f"{oat}.material_codes[{k}]", f"no material {code}", f"申请材料“{code}”不存在")
                selected.add(code)
            for k, section in enumerate(option.form_sections):
                if section not in sections:
                    r.bad(
                        f"{oat}.form_sections[{k}]",
                        f"the form schema has no top-level property {section}",
                        f"申请表单中没有“{section}”部分",
                    )
    return selected


def _materials(r: _Report, draft: pb.MatterDraft, clean: pb.MatterDraft, selected: set[str]) -> None:
    if not r.count("draft.materials", draft.materials, "申请材料"):
        return
    seen: dict[str, str] = {}
    for i, material in enumerate(draft.materials):
        at = f"draft.materials[{i}]"
        out = clean.materials[i]
        out.code = material.code.strip()
        r.code(f"{at}.code", out.code, seen, "材料")
        out.name = r.text(f"{at}.name", material.name, MAX_NAME, "材料名称", required=True)
        out.condition = r.text(f"{at}.condition", material.condition, MAX_LONG_TEXT, "材料适用情形")
        out.acceptance_standard = r.text(
            f"{at}.acceptance_standard", material.acceptance_standard, MAX_LONG_TEXT, "受理标准"
        )
        out.template_file = r.text(f"{at}.template_file", material.template_file, MAX_SHORT_TEXT, "空白表格")
        out.sample_file = r.text(f"{at}.sample_file", material.sample_file, MAX_SHORT_TEXT, "示例样表")
        if material.form not in pb.MaterialForm.values() or material.form == pb.MATERIAL_FORM_UNSPECIFIED:
            r.bad(f"{at}.form", "material form is required", "请选择材料形式")
        if material.necessity not in pb.MaterialNecessity.values() or not material.necessity:
            r.bad(f"{at}.necessity", "necessity is required", "请选择材料必要性")
        if material.source not in pb.MaterialSource.values() or not material.source:
            r.bad(f"{at}.source", "material source is required", "请选择材料来源渠道")
        if not 0 <= material.copies <= MAX_COPIES:
            r.bad(f"{at}.copies", f"copies must be 0-{MAX_COPIES}", f"纸质份数应为0至{MAX_COPIES}份")
        out.licence_type_code = material.licence_type_code.strip()
        if material.source == pb.MATERIAL_SOURCE_LICENCE and not LICENCE_TYPE_CODE.match(
            out.licence_type_code
        ):
            r.bad(
                f"{at}.licence_type_code",
                "a material reused from an electronic licence names the licence type",
                "复用电子证照的材料须填写证照类型编码",
            )
        if (
            material.necessity == pb.MATERIAL_NECESSITY_CONDITIONAL
            and not out.condition
            and out.code not in selected
        ):
            r.bad(
                f"{at}.condition",
                "a conditional material says when it is needed, or a situation option selects it",
                "情形必要的材料须说明适用情形，或由情形选项选择",
            )
        types: list[str] = []
        for k, raw in enumerate(material.accepted_types):
            kind = raw.strip().lower().lstrip(".")
            kind = "jpg" if kind == "jpeg" else kind
            if kind not in UPLOAD_TYPES:
                r.bad(
                    f"{at}.accepted_types[{k}]",
                    f"upload type must be one of {', '.join(UPLOAD_TYPES)}",
                    "上传格式应为pdf、jpg、png或ofd",
                )
            elif kind not in types:
                types.append(kind)
        del out.accepted_types[:]
        out.accepted_types.extend(types)


def _places(r: _Report, draft: pb.MatterDraft, clean: pb.MatterDraft) -> None:
    if not r.count("draft.places", draft.places, "办理地点"):
        return
    for i, place in enumerate(draft.places):
        at = f"draft.places[{i}]"
        out = clean.places[i]
        out.name = r.text(f"{at}.name", place.name, MAX_SHORT_TEXT, "办理地点名称", required=True)
        out.address = r.text(f"{at}.address", place.address, MAX_SHORT_TEXT, "地址")
        out.window = r.text(f"{at}.window", place.window, MAX_SHORT_TEXT, "窗口")
        out.hours = r.text(f"{at}.hours", place.hours, MAX_SHORT_TEXT, "办理时间")
        out.phone = r.text(f"{at}.phone", place.phone, 50, "联系电话")


def _online(r: _Report, draft: pb.MatterDraft, clean: pb.MatterDraft) -> None:
    clean.online_depth = draft.online_depth or 1
    if not 1 <= clean.online_depth <= 4:
        r.bad(
            "draft.online_depth",
            "online depth must be 1-4 (1 public, 2 pre-review, 3 online application, 4 fully online)",
            "网上办理深度应为1至4级",
        )
    if draft.visits > MAX_VISITS:
        r.bad("draft.visits", f"visits must be 0-{MAX_VISITS}", f"到办事现场次数应为0至{MAX_VISITS}次")
    if draft.online_application and clean.online_depth < ONLINE_APPLICATION_DEPTH:
        r.bad(
            "draft.online_application",
            "online application needs online depth 3 (online application) or 4 (fully online)",
            "可网上申报的事项，网上办理深度应为3级（在线申办）或4级（全程网办）",
        )
