"""Reading a matter implementation list (实施清单) from Excel (.xlsx) or CSV.

The catalogue CLI (`python -m govhall.catalogue.cli import-matters`) turns each row of the file
into a CreateMatterRequest for one site. This module only reads and checks the file: it does no
I/O beyond reading it and knows nothing of the database. Every problem is reported as
(row, column, reason): the row number as a spreadsheet shows it (the header is usually row 1),
the column header as the file spells it, and the reason in Chinese and English. The catalogue
itself then validates the parsed matters (ImportMatters); the problems it finds come back by
item index and field path, and `locate_problems` maps them onto the same rows and columns.

The file
========

- ``.xlsx``: the first worksheet. ``.xls`` (the old binary format) is not read: save it as .xlsx.
- ``.csv``: comma-separated, UTF-8 with or without a byte-order mark; files saved as GB18030/GBK
  (what Excel on a Chinese Windows writes for "CSV") are accepted too. Cells holding line
  breaks or commas are quoted, as Excel does.
- The header row is the first row (within the first 10) that has a 事项名称 column, so a title
  row above it (e.g. "宜昌市政务服务事项实施清单") is allowed. Rows above it are ignored, and
  so are rows below it whose cells are all empty.
- Headers may carry a required-marker asterisk ("*事项名称") and surrounding spaces. A header
  that is not in the list below is an error (so a misspelt column never silently loses data);
  a header that appears twice is an error; a column without a header must be empty.
- Text cells are taken as they are (leading and trailing spaces dropped). Numbers in Excel
  cells are read as numbers; a numeric 基本编码 shorter than 12 digits gets its leading zeros
  back (Excel drops them).

Columns (required ones marked *)
--------------------------------

=============== ====================================================================================
实施编码 *        the matter's code, unique in the catalogue: 1-36 letters, digits or hyphens
                 (aliases: 事项编码, 实施清单编码)
事项名称 *        the matter's name
基本编码          the directory code (12 characters) it implements
事项类型 *        行政许可, 行政给付, 行政确认, 行政裁决, 行政奖励, 其他行政权力 (其他权力) or 公共服务
服务对象 *        自然人 and/or 法人 (个人 = 自然人; 企业, 法人或其他组织 = 法人), e.g. "自然人、法人"
服务对象细分      sub-audiences from the catalogue's taxonomy (个体工商户, 老年人…), a list
实施部门编码 *    the code of one of the site's departments (alias: 部门编码)
办件类型 *        即办件 or 承诺件 (即办, 承诺)
法定办结时限      "20", "20个工作日" or "20工作日" (working days), "30个自然日", "30自然日" or "30天"
                 (natural days); empty: none. "即办" means 0.
承诺办结时限      as 法定办结时限
受理条件          text (line breaks kept)
设定依据          text
办理流程          text: the narrative; the review steps are in 办理环节
特别程序          text
申报须知          text
咨询电话          text
监督投诉电话      text
是否收费          是 or 否; empty: 是 when 收费项目 lists items, otherwise 否
收费项目          entries ``名称|金额|收费依据|说明``; 金额 in yuan ("20", "20元", "12.5元")
申请材料          entries ``名称|形式|份数|必要性|来源|适用情形|受理标准`` (see below)
办理情形          entries ``问题|选项|选项…`` (see below)
办理环节          entries ``名称|角色|时限|说明`` (see below)
办理地点          entries ``名称|地址|窗口|办理时间|电话``
办理时间          the hours for every place of 办理地点 that gives none of its own
网办深度          1-4, or 公开, 在线预审, 在线申办, 全程网办 (alias: 网上办理深度)
到现场次数        0, 1 or 2 ("1次" too) (alias: 到办事现场次数)
是否可预约        是 or 否 (also Y/N, 1/0, true/false); empty: 否
是否网上申报      是 or 否 (alias: 是否网办)
是否快递送达      是 or 否 (alias: 是否支持物流快递)
主题分类          themes from the catalogue's taxonomy, a list
生命周期          life events from the catalogue's taxonomy, a list
审批结果          the name of the result, e.g. 营业执照 (alias: 审批结果名称)
申请表单          the application form as JSON Schema (an object whose properties have Chinese titles)
序号, 实施部门, 备注  read and ignored (实施部门 is the department's name, for readers: the code
                 is what counts)
=============== ====================================================================================

A *list* cell (服务对象, 服务对象细分, 主题分类, 生命周期) separates its values with 、 , ，
; ； / or line breaks: "出生、教育".

An *entries* cell holds one entry per line (Alt+Enter in Excel). A cell without line breaks
may instead separate its entries with ；or ;. Inside an entry the fields are separated by |
(or the full-width ｜); trailing fields may be left out and take their defaults.

申请材料: ``名称|形式|份数|必要性|来源|适用情形|受理标准``

- 形式: 原件 (the default), 复印件, 原件和复印件 (原件及复印件), 电子 (电子材料, 电子版);
- 份数: paper copies, 0-99; default 1, or 0 for an electronic material;
- 必要性: 必要 (the default; 必需, 必须), 情形必要 (a situation's answer or 适用情形 decides),
  非必要 (可选);
- 来源: 申请人自备 (the default; 自备), 政府部门核发 (部门核发), or ``电子证照:<证照类型编码>`` to
  reuse the applicant's electronic licence of that type;
- 适用情形: when a 情形必要 material is needed, in words; 受理标准: what the window checks.

The materials get the codes M01, M02… in the order listed; 办理情形 refers to them by that number
(3) or by the code (M03).

办理情形: ``问题|选项|选项…`` where each option is ``标签`` or ``标签=引用,引用…``. A reference
is a material's number or code (it then becomes required for that answer) or ``#属性`` for a
top-level property of 申请表单 that the answer shows. A question starting with "[多选]" allows
several answers. Situations are coded S1, S2…, their options S1A, S1B…. Example::

    是否委托他人代办？|否|是=5,6,#agent

办理环节: ``名称|角色|时限|说明``; 角色 is 窗口受理人员 (受理人员, window_clerk), 审核人员
(审查人员, reviewer) or 审批人员 (决定人员, approver); 时限 is this step's share of the promised
limit in working days (empty: not set). Steps are coded step1, step2…. An empty cell means the
default chain for the handling type.

Template and sample files of materials, and accepted upload types, are not part of the file:
attach them through the administration API after the import (re-importing with
--update-existing replaces the whole guide, so it clears them).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import json
import re
import unicodedata
import zipfile
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from govhall.contracts.labels import AUDIENCE_LABELS, MATTER_TYPE_LABELS
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb
from govhall.protos.common.v1 import common_pb2

# ---------------------------------------------------------------------------------------------
# Problems


@dataclass(frozen=True, order=True)
class Problem:
    """One thing wrong with the file. row 0 means the file as a whole; column "" the whole row."""

    row: int
    column: str
    message_zh: str
    message: str


class FileUnreadable(Exception):
    """The file cannot be read at all (missing, wrong kind, corrupt): no row-level report."""

    def __init__(self, message_zh: str, message: str) -> None:
        super().__init__(message)
        self.message_zh = message_zh
        self.message = message


class _CellError(Exception):
    def __init__(self, message_zh: str, message: str) -> None:
        super().__init__(message)
        self.message_zh = message_zh
        self.message = message


# ---------------------------------------------------------------------------------------------
# Columns


@dataclass(frozen=True)
class Column:
    header: str
    # The request field it fills ("code", "draft.name", ...); server problems on this field or
    # below it are reported in this column. "" for columns that are read and ignored.
    field: str
    required: bool = False
    aliases: tuple[str, ...] = ()


CODE = "实施编码"
NAME = "事项名称"
BASE_CODE = "基本编码"
TYPE = "事项类型"
AUDIENCES = "服务对象"
SUB_AUDIENCES = "服务对象细分"
DEPARTMENT = "实施部门编码"
HANDLING = "办件类型"
LEGAL_LIMIT = "法定办结时限"
PROMISED_LIMIT = "承诺办结时限"
CONDITIONS = "受理条件"
LEGAL_BASIS = "设定依据"
PROCESS = "办理流程"
SPECIAL = "特别程序"
NOTICE = "申报须知"
CONSULT_PHONE = "咨询电话"
COMPLAINT_PHONE = "监督投诉电话"
CHARGED = "是否收费"
FEE_ITEMS = "收费项目"
MATERIALS = "申请材料"
SITUATIONS = "办理情形"
STEPS = "办理环节"
PLACES = "办理地点"
HOURS = "办理时间"
ONLINE_DEPTH = "网办深度"
VISITS = "到现场次数"
APPOINTMENT = "是否可预约"
ONLINE = "是否网上申报"
EXPRESS = "是否快递送达"
THEMES = "主题分类"
LIFE_EVENTS = "生命周期"
RESULT = "审批结果"
FORM = "申请表单"

COLUMNS: tuple[Column, ...] = (
    Column(CODE, "code", True, ("事项编码", "实施清单编码")),
    Column(NAME, "draft.name", True),
    Column(BASE_CODE, "draft.base_code"),
    Column(TYPE, "draft.type", True),
    Column(AUDIENCES, "draft.audiences", True),
    Column(SUB_AUDIENCES, "draft.sub_audiences"),
    Column(DEPARTMENT, "draft.department_code", True, ("部门编码",)),
    Column(HANDLING, "draft.handling_type", True),
    Column(LEGAL_LIMIT, "draft.legal_limit"),
    Column(PROMISED_LIMIT, "draft.promised_limit"),
    Column(CONDITIONS, "draft.guide.acceptance_conditions"),
    Column(LEGAL_BASIS, "draft.guide.legal_basis"),
    Column(PROCESS, "draft.guide.process"),
    Column(SPECIAL, "draft.guide.special_procedure"),
    Column(NOTICE, "draft.guide.notice"),
    Column(CONSULT_PHONE, "draft.guide.consult_phone"),
    Column(COMPLAINT_PHONE, "draft.guide.complaint_phone"),
    Column(CHARGED, "draft.fees"),
    Column(FEE_ITEMS, "draft.fees.items"),
    Column(MATERIALS, "draft.materials"),
    Column(SITUATIONS, "draft.situations"),
    Column(STEPS, "draft.steps"),
    Column(PLACES, "draft.places"),
    Column(HOURS, ""),
    Column(ONLINE_DEPTH, "draft.online_depth", aliases=("网上办理深度",)),
    Column(VISITS, "draft.visits", aliases=("到办事现场次数",)),
    Column(APPOINTMENT, "draft.appointment"),
    Column(ONLINE, "draft.online_application", aliases=("是否网办",)),
    Column(EXPRESS, "draft.express_delivery", aliases=("是否支持物流快递",)),
    Column(THEMES, "draft.themes"),
    Column(LIFE_EVENTS, "draft.life_events"),
    Column(RESULT, "draft.result_name", aliases=("审批结果名称",)),
    Column(FORM, "draft.form_schema"),
    Column("序号", ""),
    Column("实施部门", ""),
    Column("备注", ""),
)

COLUMNS_BY_HEADER = {c.header: c for c in COLUMNS}
REQUIRED = tuple(c.header for c in COLUMNS if c.required)
# What a written file holds: every column that carries data, in the order above.
WRITTEN_COLUMNS = tuple(c.header for c in COLUMNS if c.field or c.header == HOURS)
_HEADER_LOOKUP = {name: c.header for c in COLUMNS for name in (c.header, *c.aliases)}
_HEADER_SCAN_ROWS = 10


def canonical_header(text: str) -> str | None:
    """The column a header names, or None when it is not one of ours."""
    cleaned = re.sub(r"\s+", "", unicodedata.normalize("NFKC", text)).strip("*")
    cleaned = re.sub(r"\((必填|选填)\)$", "", cleaned)
    return _HEADER_LOOKUP.get(cleaned)


# ---------------------------------------------------------------------------------------------
# Vocabularies

MATTER_TYPES: dict[str, pb.MatterType.ValueType] = {
    label: pb.MatterType.ValueType(number) for number, label in MATTER_TYPE_LABELS.items()
}
_MATTER_TYPE_ALIASES = {"其他权力": pb.MATTER_TYPE_OTHER_POWER}

AUDIENCE_NAMES: dict[pb.Audience.ValueType, str] = {
    pb.Audience.ValueType(number): label for number, label in AUDIENCE_LABELS.items()
}
_AUDIENCES = {
    "自然人": pb.AUDIENCE_PERSON,
    "个人": pb.AUDIENCE_PERSON,
    "法人": pb.AUDIENCE_LEGAL_PERSON,
    "企业": pb.AUDIENCE_LEGAL_PERSON,
    "法人或其他组织": pb.AUDIENCE_LEGAL_PERSON,
}

HANDLING_NAMES: dict[pb.HandlingType.ValueType, str] = {
    pb.HANDLING_TYPE_INSTANT: "即办件",
    pb.HANDLING_TYPE_PROMISED: "承诺件",
}
_HANDLING = {
    "即办件": pb.HANDLING_TYPE_INSTANT,
    "即办": pb.HANDLING_TYPE_INSTANT,
    "承诺件": pb.HANDLING_TYPE_PROMISED,
    "承诺": pb.HANDLING_TYPE_PROMISED,
}

FORM_NAMES: dict[pb.MaterialForm.ValueType, str] = {
    pb.MATERIAL_FORM_ORIGINAL: "原件",
    pb.MATERIAL_FORM_COPY: "复印件",
    pb.MATERIAL_FORM_ORIGINAL_AND_COPY: "原件和复印件",
    pb.MATERIAL_FORM_ELECTRONIC: "电子",
}
_FORMS = {
    **{name: form for form, name in FORM_NAMES.items()},
    "原件及复印件": pb.MATERIAL_FORM_ORIGINAL_AND_COPY,
    "电子材料": pb.MATERIAL_FORM_ELECTRONIC,
    "电子版": pb.MATERIAL_FORM_ELECTRONIC,
}

NECESSITY_NAMES: dict[pb.MaterialNecessity.ValueType, str] = {
    pb.MATERIAL_NECESSITY_REQUIRED: "必要",
    pb.MATERIAL_NECESSITY_CONDITIONAL: "情形必要",
    pb.MATERIAL_NECESSITY_OPTIONAL: "非必要",
}
_NECESSITY = {
    **{name: value for value, name in NECESSITY_NAMES.items()},
    "必需": pb.MATERIAL_NECESSITY_REQUIRED,
    "必须": pb.MATERIAL_NECESSITY_REQUIRED,
    "可选": pb.MATERIAL_NECESSITY_OPTIONAL,
}

SOURCE_NAMES: dict[pb.MaterialSource.ValueType, str] = {
    pb.MATERIAL_SOURCE_APPLICANT: "申请人自备",
    pb.MATERIAL_SOURCE_GOVERNMENT: "政府部门核发",
    pb.MATERIAL_SOURCE_LICENCE: "电子证照",
}
_SOURCES = {
    "申请人自备": pb.MATERIAL_SOURCE_APPLICANT,
    "自备": pb.MATERIAL_SOURCE_APPLICANT,
    "政府部门核发": pb.MATERIAL_SOURCE_GOVERNMENT,
    "部门核发": pb.MATERIAL_SOURCE_GOVERNMENT,
}

ROLE_NAMES = {"window_clerk": "窗口受理人员", "reviewer": "审核人员", "approver": "审批人员"}
_ROLES = {
    **{name: role for role, name in ROLE_NAMES.items()},
    **{role: role for role in ROLE_NAMES},
    "受理人员": "window_clerk",
    "审查人员": "reviewer",
    "决定人员": "approver",
}

ONLINE_DEPTH_NAMES = {1: "公开", 2: "在线预审", 3: "在线申办", 4: "全程网办"}
_ONLINE_DEPTHS = {name: depth for depth, name in ONLINE_DEPTH_NAMES.items()}

_TRUE = {"是", "y", "yes", "true", "1", "√"}
_FALSE = {"否", "n", "no", "false", "0", "×"}

_LIST_SPLIT = re.compile(r"[、,，;；/\n]+")
_ENTRY_SPLIT = re.compile(r"[;；]")
_FIELD_SPLIT = re.compile(r"[|｜]")
_REF_SPLIT = re.compile(r"[,，、]")
_LIMIT = re.compile(r"^(\d+)\s*(个?工作日|个?自然日|天)?$")
_MONEY = re.compile(r"^(\d+)(?:\.(\d{1,2}))?\s*元?$")
_MATERIAL_REF = re.compile(r"^(?:M)?(\d{1,2})$", re.IGNORECASE)
_MULTIPLE_MARK = re.compile(r"^\s*[\[【]多选[\]】]\s*")


def _names(values: Iterable[str]) -> str:
    return "、".join(values)


# ---------------------------------------------------------------------------------------------
# Cells → draft fields


def _split_list(text: str) -> list[str]:
    return [part.strip() for part in _LIST_SPLIT.split(text) if part.strip()]


def split_entries(text: str) -> list[str]:
    """The entries of an entries cell: one per line, or separated by ；when on one line."""
    parts = text.split("\n") if "\n" in text else _ENTRY_SPLIT.split(text)
    return [p.strip() for p in parts if p.strip()]


def _fields(entry: str, most: int, what_zh: str, what: str) -> list[str]:
    parts = [p.strip() for p in _FIELD_SPLIT.split(entry)]
    if len(parts) > most:
        raise _CellError(
            f"有{len(parts)}个字段，{what_zh}最多{most}个字段（以“|”分隔）",
            f"{len(parts)} fields, but a {what} has at most {most} (separated by |)",
        )
    return parts + [""] * (most - len(parts))


def _entry_error(number: int, err: _CellError) -> _CellError:
    return _CellError(f"第{number}项：{err.message_zh}", f"entry {number}: {err.message}")


def parse_bool(text: str) -> bool:
    value = text.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise _CellError(f"“{text}”不是“是”或“否”", f"{text!r} is not 是 (yes) or 否 (no)")


def parse_int(text: str, low: int, high: int, *, unit: str = "") -> int:
    value = text.strip().removesuffix(unit) if unit else text.strip()
    if not value.isdigit() or not low <= int(value) <= high:
        raise _CellError(
            f"“{text}”应为{low}至{high}之间的整数", f"{text!r} must be a whole number from {low} to {high}"
        )
    return int(value)


def parse_time_limit(text: str) -> common_pb2.TimeLimit:
    value = text.strip().replace(" ", "")
    if value == "即办":
        return common_pb2.TimeLimit(value=0, unit=common_pb2.TIME_LIMIT_UNIT_WORKING_DAY)
    match = _LIMIT.match(value)
    if not match:
        raise _CellError(
            f"时限“{text}”无法识别，应写作“20”“20个工作日”或“30个自然日”",
            f"time limit {text!r} not understood; write 20, 20个工作日 (working days) or 30个自然日 (natural days)",
        )
    unit = common_pb2.TIME_LIMIT_UNIT_WORKING_DAY
    if match.group(2) and ("自然日" in match.group(2) or match.group(2) == "天"):
        unit = common_pb2.TIME_LIMIT_UNIT_NATURAL_DAY
    return common_pb2.TimeLimit(value=int(match.group(1)), unit=unit)


def format_time_limit(limit: common_pb2.TimeLimit) -> str:
    if limit.unit == common_pb2.TIME_LIMIT_UNIT_UNSPECIFIED and limit.value == 0:
        return ""
    if limit.unit == common_pb2.TIME_LIMIT_UNIT_NATURAL_DAY:
        return f"{limit.value}个自然日"
    return f"{limit.value}个工作日"


def parse_money(text: str) -> int:
    match = _MONEY.match(text.strip().replace(",", ""))
    if not match:
        raise _CellError(
            f"金额“{text}”无法识别，应写作“20”或“12.5元”", f"amount {text!r} is not a sum in yuan"
        )
    return int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))


def format_money(fen: int) -> str:
    yuan, cents = divmod(fen, 100)
    return f"{yuan}元" if cents == 0 else f"{yuan}.{cents:02d}".rstrip("0") + "元"


def _choice(text: str, table: dict[str, Any], what_zh: str, what: str, allowed: Iterable[str]) -> Any:
    value = text.strip()
    if value in table:
        return table[value]
    raise _CellError(
        f"{what_zh}“{text}”无效，应为{_names(allowed)}",
        f"{what} {text!r} is not one of {', '.join(allowed)}",
    )


def parse_materials(text: str) -> list[pb.Material]:
    materials: list[pb.Material] = []
    errors: list[_CellError] = []
    for number, entry in enumerate(split_entries(text), start=1):
        try:
            materials.append(_parse_material(number, entry))
        except _CellError as err:
            errors.append(_entry_error(number, err))
    _raise_all(errors)
    return materials


def _parse_material(number: int, entry: str) -> pb.Material:
    name, form, copies, necessity, source, condition, standard = _fields(entry, 7, "材料", "material")
    if not name:
        raise _CellError("材料名称不能为空", "the material's name is missing")
    material = pb.Material(
        code=f"M{number:02d}", name=name, condition=condition, acceptance_standard=standard
    )
    material.form = (
        _choice(form, _FORMS, "材料形式", "form", FORM_NAMES.values()) if form else pb.MATERIAL_FORM_ORIGINAL
    )
    if copies:
        material.copies = parse_int(copies, 0, 99, unit="份")
    else:
        material.copies = 0 if material.form == pb.MATERIAL_FORM_ELECTRONIC else 1
    material.necessity = (
        _choice(necessity, _NECESSITY, "必要性", "necessity", NECESSITY_NAMES.values())
        if necessity
        else pb.MATERIAL_NECESSITY_REQUIRED
    )
    licence = re.match(r"^电子证照\s*[:：]\s*(\S+)$", source)
    if licence:
        material.source = pb.MATERIAL_SOURCE_LICENCE
        material.licence_type_code = licence.group(1)
    elif source:
        material.source = _choice(
            source, _SOURCES, "材料来源", "source", ["申请人自备", "政府部门核发", "电子证照:<证照类型编码>"]
        )
    else:
        material.source = pb.MATERIAL_SOURCE_APPLICANT
    return material


def format_material(material: pb.Material) -> str:
    source = SOURCE_NAMES.get(material.source, "")
    if material.source == pb.MATERIAL_SOURCE_LICENCE:
        source = f"电子证照:{material.licence_type_code}"
    fields = [
        material.name,
        FORM_NAMES.get(material.form, ""),
        str(material.copies),
        NECESSITY_NAMES.get(material.necessity, ""),
        source,
        material.condition,
        material.acceptance_standard,
    ]
    return _join_fields(fields)


def _join_fields(fields: list[str]) -> str:
    while fields and not fields[-1]:
        fields.pop()
    return "|".join(f.replace("\n", " ") for f in fields)


def parse_situations(text: str, materials: Sequence[pb.Material]) -> list[pb.Situation]:
    situations: list[pb.Situation] = []
    errors: list[_CellError] = []
    for number, entry in enumerate(split_entries(text), start=1):
        try:
            situations.append(_parse_situation(number, entry, materials))
        except _CellError as err:
            errors.append(_entry_error(number, err))
    _raise_all(errors)
    return situations


def _parse_situation(number: int, entry: str, materials: Sequence[pb.Material]) -> pb.Situation:
    multiple = bool(_MULTIPLE_MARK.match(entry))
    parts = [p.strip() for p in _FIELD_SPLIT.split(_MULTIPLE_MARK.sub("", entry))]
    question, options = parts[0], parts[1:]
    if not question:
        raise _CellError("情形的问题不能为空", "the situation's question is missing")
    if len(options) < 2 or any(not o for o in options):
        raise _CellError(
            "情形应至少有两个选项，写作“问题|选项|选项=材料序号”",
            "a situation needs at least two options: question|option|option=material numbers",
        )
    situation = pb.Situation(code=f"S{number}", question=question, multiple=multiple)
    codes = {m.code for m in materials}
    for index, option in enumerate(options):
        label, _, refs = option.replace("＝", "=").partition("=")
        if not label.strip():
            raise _CellError(f"第{index + 1}个选项没有名称", f"option {index + 1} has no label")
        parsed = pb.SituationOption(code=f"S{number}{_letter(index)}", label=label.strip())
        for ref in (r.strip() for r in _REF_SPLIT.split(refs) if r.strip()):
            if ref.startswith("#"):
                if not ref[1:]:
                    raise _CellError("表单属性引用“#”后缺少名称", "a form reference # needs a property name")
                parsed.form_sections.append(ref[1:])
                continue
            match = _MATERIAL_REF.match(ref)
            code = f"M{int(match.group(1)):02d}" if match else ""
            if code not in codes:
                raise _CellError(
                    f"选项“{parsed.label}”引用的材料“{ref}”不在申请材料中（共{len(materials)}项）",
                    f"option {parsed.label!r} refers to material {ref!r}, which 申请材料 does not list "
                    f"({len(materials)} materials)",
                )
            parsed.material_codes.append(code)
        situation.options.append(parsed)
    return situation


def _letter(index: int) -> str:
    letters = "ABCDEFGHIJKLMNOPQRSTUVWXYZ"
    return letters[index] if index < len(letters) else f"{letters[index // 26 - 1]}{letters[index % 26]}"


def format_situation(situation: pb.Situation) -> str:
    options = []
    for option in situation.options:
        refs = [str(int(code[1:])) if re.fullmatch(r"M\d+", code) else code for code in option.material_codes]
        refs += [f"#{section}" for section in option.form_sections]
        options.append(option.label + (f"={','.join(refs)}" if refs else ""))
    prefix = "[多选]" if situation.multiple else ""
    return prefix + "|".join([situation.question, *options])


def parse_steps(text: str) -> list[pb.ProcessStep]:
    steps: list[pb.ProcessStep] = []
    errors: list[_CellError] = []
    for number, entry in enumerate(split_entries(text), start=1):
        try:
            name, role, limit, description = _fields(entry, 4, "办理环节", "step")
            if not name:
                raise _CellError("环节名称不能为空", "the step's name is missing")
            if not role:
                raise _CellError("请填写办理角色", "the step's role is missing")
            step = pb.ProcessStep(
                code=f"step{number}",
                name=name,
                role=_choice(role, _ROLES, "办理角色", "role", ROLE_NAMES.values()),
                description=description,
            )
            if limit:
                step.time_limit_days = parse_int(re.sub(r"个?工作日$", "", limit), 0, 365)
            steps.append(step)
        except _CellError as err:
            errors.append(_entry_error(number, err))
    _raise_all(errors)
    return steps


def format_step(step: pb.ProcessStep) -> str:
    limit = str(step.time_limit_days) if step.time_limit_days else ""
    return _join_fields([step.name, ROLE_NAMES.get(step.role, step.role), limit, step.description])


def parse_places(text: str, default_hours: str) -> list[pb.ServicePlace]:
    places: list[pb.ServicePlace] = []
    errors: list[_CellError] = []
    for number, entry in enumerate(split_entries(text), start=1):
        try:
            name, address, window, hours, phone = _fields(entry, 5, "办理地点", "place")
            if not name:
                raise _CellError("地点名称不能为空", "the place's name is missing")
            places.append(
                pb.ServicePlace(
                    name=name, address=address, window=window, hours=hours or default_hours, phone=phone
                )
            )
        except _CellError as err:
            errors.append(_entry_error(number, err))
    _raise_all(errors)
    return places


def format_place(place: pb.ServicePlace, default_hours: str) -> str:
    hours = "" if place.hours == default_hours else place.hours
    return _join_fields([place.name, place.address, place.window, hours, place.phone])


def parse_fee_items(text: str) -> list[pb.FeeItem]:
    items: list[pb.FeeItem] = []
    errors: list[_CellError] = []
    for number, entry in enumerate(split_entries(text), start=1):
        try:
            name, amount, basis, note = _fields(entry, 4, "收费项目", "fee item")
            if not name:
                raise _CellError("收费项目名称不能为空", "the fee item's name is missing")
            if not amount:
                raise _CellError("请填写收费金额", "the fee item's amount is missing")
            item = pb.FeeItem(name=name, basis=basis, note=note)
            item.amount.currency = "CNY"
            item.amount.amount_fen = parse_money(amount)
            items.append(item)
        except _CellError as err:
            errors.append(_entry_error(number, err))
    _raise_all(errors)
    return items


def format_fee_item(item: pb.FeeItem) -> str:
    return _join_fields([item.name, format_money(item.amount.amount_fen), item.basis, item.note])


def _raise_all(errors: list[_CellError]) -> None:
    if errors:
        raise _CellError("；".join(e.message_zh for e in errors), "; ".join(e.message for e in errors))


def _check_json_schema(text: str) -> str:
    try:
        value = json.loads(text)
    except ValueError as err:
        raise _CellError(f"申请表单不是有效的JSON：{err}", f"the form is not valid JSON: {err}") from None
    if not isinstance(value, dict):
        raise _CellError(
            "申请表单应为JSON对象（JSON Schema）", "the form must be a JSON object (JSON Schema)"
        )
    return text


# ---------------------------------------------------------------------------------------------
# A row → a CreateMatterRequest


_GUIDE_TEXT = {
    CONDITIONS: "acceptance_conditions",
    LEGAL_BASIS: "legal_basis",
    PROCESS: "process",
    SPECIAL: "special_procedure",
    NOTICE: "notice",
    CONSULT_PHONE: "consult_phone",
    COMPLAINT_PHONE: "complaint_phone",
}
_DRAFT_TEXT = {NAME: "name", BASE_CODE: "base_code", DEPARTMENT: "department_code", RESULT: "result_name"}
_DRAFT_BOOL = {APPOINTMENT: "appointment", ONLINE: "online_application", EXPRESS: "express_delivery"}
_DRAFT_LIST = {SUB_AUDIENCES: "sub_audiences", THEMES: "themes", LIFE_EVENTS: "life_events"}


def parse_row(
    cells: dict[str, str], site_code: str, required: Sequence[str] = REQUIRED
) -> tuple[pb.CreateMatterRequest, list[tuple[str, str, str]]]:
    """One row's matter, and its problems as (column, reason zh, reason en) by canonical header.

    `required` are the required columns the file has (a missing column is reported once, not per row)."""
    request = pb.CreateMatterRequest(code=cells.get(CODE, ""), site_code=site_code)
    draft = request.draft
    problems: list[tuple[str, str, str]] = []

    def cell(header: str, apply: Callable[[str], None]) -> None:
        text = cells.get(header, "")
        if not text:
            return
        try:
            apply(text)
        except _CellError as err:
            problems.append((header, err.message_zh, err.message))

    for header in required:
        if not cells.get(header):
            problems.append((header, f"{header}不能为空", f"{header} is required"))

    # Only cells with text touch a sub-message, so an empty guide or fee schedule stays unset.
    for header, attr in _DRAFT_TEXT.items():
        setattr(draft, attr, cells.get(header, ""))
    for header, attr in _GUIDE_TEXT.items():
        if cells.get(header):
            setattr(draft.guide, attr, cells[header])
    for header, attr in _DRAFT_LIST.items():
        getattr(draft, attr).extend(_split_list(cells.get(header, "")))

    def set_bool(attr: str) -> Callable[[str], None]:
        return lambda text: setattr(draft, attr, parse_bool(text))

    for header, attr in _DRAFT_BOOL.items():
        cell(header, set_bool(attr))

    def set_type(text: str) -> None:
        draft.type = _choice(
            text, {**MATTER_TYPES, **_MATTER_TYPE_ALIASES}, "事项类型", "matter type", MATTER_TYPES
        )

    def set_audiences(text: str) -> None:
        names = _split_list(text)
        values = [_choice(n, _AUDIENCES, "服务对象", "audience", AUDIENCE_NAMES.values()) for n in names]
        draft.audiences.extend(sorted(set(values)))

    def set_handling(text: str) -> None:
        draft.handling_type = _choice(text, _HANDLING, "办件类型", "handling type", HANDLING_NAMES.values())

    def set_depth(text: str) -> None:
        draft.online_depth = (
            _ONLINE_DEPTHS[text.strip()] if text.strip() in _ONLINE_DEPTHS else parse_int(text, 1, 4)
        )

    def set_fees(text: str) -> None:
        draft.fees.items.extend(parse_fee_items(text))

    def set_materials(text: str) -> None:
        draft.materials.extend(parse_materials(text))

    def set_situations(text: str) -> None:
        # Refer to materials by position even when one of them could not be read.
        listed = draft.materials or [
            pb.Material(code=f"M{n:02d}") for n in range(1, len(split_entries(cells.get(MATERIALS, ""))) + 1)
        ]
        draft.situations.extend(parse_situations(text, listed))

    cell(TYPE, set_type)
    cell(AUDIENCES, set_audiences)
    cell(HANDLING, set_handling)
    cell(LEGAL_LIMIT, lambda text: draft.legal_limit.CopyFrom(parse_time_limit(text)))
    cell(PROMISED_LIMIT, lambda text: draft.promised_limit.CopyFrom(parse_time_limit(text)))
    cell(FEE_ITEMS, set_fees)
    charged = bool(draft.fees.items)

    def set_charged(text: str) -> None:
        nonlocal charged
        charged = parse_bool(text)

    cell(CHARGED, set_charged)
    # "否" with fee items listed is left for the catalogue to judge; an unset schedule stays unset.
    if charged or draft.fees.items:
        draft.fees.charged = charged
    cell(MATERIALS, set_materials)
    cell(SITUATIONS, set_situations)
    cell(STEPS, lambda text: draft.steps.extend(parse_steps(text)))
    cell(PLACES, lambda text: draft.places.extend(parse_places(text, cells.get(HOURS, ""))))
    cell(ONLINE_DEPTH, set_depth)
    cell(VISITS, lambda text: setattr(draft, "visits", parse_int(text, 0, 2, unit="次")))
    cell(FORM, lambda text: setattr(draft, "form_schema", _check_json_schema(text)))
    return request, problems


def format_row(request: pb.CreateMatterRequest, *, hours: str = "") -> dict[str, str]:
    """The cells of one row for a matter (the inverse of parse_row); hours fills 办理时间."""
    draft = request.draft
    row = {
        CODE: request.code,
        TYPE: {v: k for k, v in MATTER_TYPES.items()}.get(draft.type, ""),
        AUDIENCES: _names(AUDIENCE_NAMES[a] for a in draft.audiences if a in AUDIENCE_NAMES),
        HANDLING: HANDLING_NAMES.get(draft.handling_type, ""),
        LEGAL_LIMIT: format_time_limit(draft.legal_limit),
        PROMISED_LIMIT: format_time_limit(draft.promised_limit),
        CHARGED: "是" if draft.fees.charged else "否",
        FEE_ITEMS: "\n".join(format_fee_item(i) for i in draft.fees.items),
        MATERIALS: "\n".join(format_material(m) for m in draft.materials),
        SITUATIONS: "\n".join(format_situation(s) for s in draft.situations),
        STEPS: "\n".join(format_step(s) for s in draft.steps),
        PLACES: "\n".join(format_place(p, hours) for p in draft.places),
        HOURS: hours,
        ONLINE_DEPTH: str(draft.online_depth) if draft.online_depth else "",
        VISITS: str(draft.visits),
        FORM: draft.form_schema,
    }
    for header, attr in _DRAFT_TEXT.items():
        row[header] = getattr(draft, attr)
    for header, attr in _GUIDE_TEXT.items():
        row[header] = getattr(draft.guide, attr)
    for header, attr in _DRAFT_LIST.items():
        row[header] = _names(getattr(draft, attr))
    for header, attr in _DRAFT_BOOL.items():
        row[header] = "是" if getattr(draft, attr) else "否"
    return row


# ---------------------------------------------------------------------------------------------
# Reading the file


RawRow = tuple[int, list[Any]]  # (row number as the file shows it, raw cell values)


def read_rows(path: Path) -> list[RawRow]:
    """Every row of the file with its row number; raises FileUnreadable when it cannot be read."""
    if not path.exists():
        raise FileUnreadable(f"文件“{path}”不存在", f"file {path} does not exist")
    if path.is_dir():
        raise FileUnreadable(f"“{path}”是目录，不是文件", f"{path} is a directory, not a file")
    suffix = path.suffix.lower()
    if suffix == ".xlsx":
        return _read_xlsx(path)
    if suffix == ".csv":
        return _read_csv(path)
    if suffix == ".xls":
        raise FileUnreadable(
            "不支持旧版Excel（.xls）文件，请在Excel中另存为.xlsx后再导入",
            "old Excel files (.xls) are not supported; save the file as .xlsx",
        )
    raise FileUnreadable(
        f"不支持的文件类型“{path.suffix or '（无扩展名）'}”，请使用.xlsx或.csv文件",
        f"unsupported file type {path.suffix or '(none)'!r}; use .xlsx or .csv",
    )


def _read_xlsx(path: Path) -> list[RawRow]:
    from openpyxl import load_workbook

    try:
        workbook = load_workbook(path, read_only=True, data_only=True)
    except (zipfile.BadZipFile, KeyError, OSError, ValueError) as err:
        raise FileUnreadable(
            f"无法读取Excel文件“{path.name}”：文件已损坏或不是.xlsx格式",
            f"cannot read {path.name}: the file is damaged or not an .xlsx workbook ({type(err).__name__})",
        ) from None
    except Exception as err:  # openpyxl raises assorted errors on malformed parts of a workbook
        raise FileUnreadable(
            f"无法读取Excel文件“{path.name}”：文件已损坏或不是.xlsx格式",
            f"cannot read {path.name}: {type(err).__name__}: {err}",
        ) from None
    try:
        if not workbook.worksheets:
            raise FileUnreadable(f"Excel文件“{path.name}”中没有工作表", f"{path.name} has no worksheet")
        sheet = workbook.worksheets[0]
        rows: list[RawRow] = []
        try:
            for number, values in enumerate(sheet.iter_rows(values_only=True), start=1):
                rows.append((number, list(values)))
        except FileUnreadable:
            raise
        except Exception as err:  # a damaged sheet part surfaces only while iterating
            raise FileUnreadable(
                f"无法读取Excel文件“{path.name}”的第一个工作表：文件已损坏",
                f"cannot read the first sheet of {path.name}: {type(err).__name__}: {err}",
            ) from None
        return rows
    finally:
        workbook.close()


def _read_csv(path: Path) -> list[RawRow]:
    data = path.read_bytes()
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            text = data.decode(encoding)
            break
        except UnicodeDecodeError:
            continue
    else:
        raise FileUnreadable(
            f"无法识别文件“{path.name}”的编码，请保存为UTF-8或GB18030编码的CSV",
            f"cannot decode {path.name}; save the CSV as UTF-8 or GB18030",
        )
    if "\0" in text:
        raise FileUnreadable(
            f"文件“{path.name}”不是文本CSV文件（UTF-16等编码请另存为UTF-8）",
            f"{path.name} is not a text CSV file (save UTF-16 files as UTF-8)",
        )
    try:
        records = list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error as err:
        raise FileUnreadable(
            f"CSV文件“{path.name}”格式有误：{err}", f"malformed CSV {path.name}: {err}"
        ) from None
    return [(number, list(record)) for number, record in enumerate(records, start=1)]


def cell_text(value: Any, header: str = "") -> str:
    """A cell's text: numbers as written, line breaks as \\n, surrounding spaces dropped."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "是" if value else "否"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, int):
        text = str(value)
        # Excel shows 000115101000 as 115101000 when the cell is a number.
        return text.zfill(12) if header == BASE_CODE and len(text) < 12 else text
    if isinstance(value, dt.datetime):
        return value.date().isoformat() if value.time() == dt.time() else value.isoformat(sep=" ")
    if isinstance(value, dt.date | dt.time):
        return value.isoformat()
    return str(value).replace("\r\n", "\n").replace("\r", "\n").strip()


# ---------------------------------------------------------------------------------------------
# The whole file


@dataclass
class ParsedRow:
    row: int
    request: pb.CreateMatterRequest


@dataclass
class ParsedFile:
    header_row: int
    # Canonical header → the header as the file spells it.
    headers: dict[str, str] = field(default_factory=dict)
    rows: list[ParsedRow] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)
    # Rows that had problems (their matters are not in `rows`).
    rejected_rows: int = 0

    @property
    def ok(self) -> bool:
        return not self.problems

    def header(self, canonical: str) -> str:
        return self.headers.get(canonical, canonical)


def _find_header_row(rows: Sequence[RawRow]) -> int:
    for index, (_, values) in enumerate(rows[:_HEADER_SCAN_ROWS]):
        if any(canonical_header(cell_text(v)) == NAME for v in values):
            return index
    for index, (_, values) in enumerate(rows):
        if any(cell_text(v) for v in values):
            return index
    return 0


def parse_rows(
    rows: Sequence[RawRow], site_code: str, progress: Callable[[int], None] | None = None
) -> ParsedFile:
    """Check the header and every row; collect each row's matter and every problem."""
    if not any(cell_text(v) for _, values in rows for v in values):
        return ParsedFile(0, problems=[Problem(0, "", "文件是空的", "the file is empty")])
    header_index = _find_header_row(rows)
    header_number, header_values = rows[header_index]
    parsed = ParsedFile(header_number)
    problems = parsed.problems
    positions: dict[int, str] = {}  # cell position → canonical header
    for position, value in enumerate(header_values):
        text = cell_text(value)
        if not text:
            continue
        canonical = canonical_header(text)
        if canonical is None:
            problems.append(Problem(header_number, text, f"未知的列“{text}”", f"unknown column {text!r}"))
        elif canonical in parsed.headers:
            problems.append(
                Problem(
                    header_number,
                    text,
                    f"列“{text}”与“{parsed.headers[canonical]}”重复",
                    f"column {text!r} repeats {parsed.headers[canonical]!r}",
                )
            )
        else:
            parsed.headers[canonical] = text
            positions[position] = canonical
    for header in REQUIRED:
        if header not in parsed.headers:
            problems.append(
                Problem(
                    header_number, header, f"缺少必填列“{header}”", f"required column {header!r} is missing"
                )
            )
    present_required = [h for h in REQUIRED if h in parsed.headers]
    unnamed_reported: set[int] = set()
    first_row_of_code: dict[str, int] = {}
    data = rows[header_index + 1 :]
    for number, values in data:
        if progress:
            progress(1)
        texts = [cell_text(v, positions.get(i, "")) for i, v in enumerate(values)]
        if not any(texts):
            continue
        row_problems: list[Problem] = []
        for position, text in enumerate(texts):
            if text and position not in positions and position not in unnamed_reported:
                header_text = cell_text(header_values[position]) if position < len(header_values) else ""
                if not header_text:  # unknown headers were reported once already
                    unnamed_reported.add(position)
                    letter = _column_letter(position)
                    row_problems.append(
                        Problem(
                            number,
                            f"第{letter}列",
                            f"第{letter}列没有列名，但有内容",
                            f"column {letter} has no header but holds data",
                        )
                    )
        cells = {positions[i]: t for i, t in enumerate(texts) if i in positions}
        request, cell_problems = parse_row(cells, site_code, present_required)
        row_problems += [Problem(number, parsed.header(h), zh, en) for h, zh, en in cell_problems]
        if request.code:
            first = first_row_of_code.setdefault(request.code, number)
            if first != number:
                row_problems.append(
                    Problem(
                        number,
                        parsed.header(CODE),
                        f"实施编码“{request.code}”与第{first}行重复",
                        f"code {request.code!r} repeats row {first}",
                    )
                )
        if row_problems:
            problems.extend(row_problems)
            parsed.rejected_rows += 1
        else:
            parsed.rows.append(ParsedRow(number, request))
    if not parsed.rows and not parsed.rejected_rows:
        problems.append(
            Problem(header_number, "", "表头之后没有任何事项", "there are no matters below the header row")
        )
    sort_problems(parsed, problems)
    return parsed


def _column_letter(position: int) -> str:
    letters = ""
    position += 1
    while position:
        position, rest = divmod(position - 1, 26)
        letters = chr(ord("A") + rest) + letters
    return letters


def sort_problems(parsed: ParsedFile, problems: list[Problem]) -> None:
    """By row, then as the columns stand in the file; the header row's problems keep their order."""
    position = {spelled: i for i, spelled in enumerate(parsed.headers.values())}

    def key(p: Problem) -> tuple[int, int]:
        if p.row == parsed.header_row:
            return (p.row, 0)
        return (p.row, position.get(p.column, len(position)))

    problems.sort(key=key)


def parse_file(path: Path, site_code: str, progress: Callable[[int], None] | None = None) -> ParsedFile:
    return parse_rows(read_rows(path), site_code, progress)


def count_data_rows(rows: Sequence[RawRow]) -> int:
    """How many rows follow the header (for a progress bar's total)."""
    return max(len(rows) - _find_header_row(rows) - 1, 0) if rows else 0


# ---------------------------------------------------------------------------------------------
# Problems found by the catalogue → rows and columns of the file


def column_for_field(field_path: str) -> str:
    """The canonical column that fills a request field ("draft.materials[2].name" → 申请材料)."""
    best = ""
    best_len = -1
    bare = re.sub(r"\[\d+\]", "", field_path)
    for column in COLUMNS:
        if not column.field:
            continue
        f = column.field
        if (bare == f or bare.startswith(f + ".")) and len(f) > best_len:
            best, best_len = column.header, len(f)
    return best


def _entry_number(field_path: str) -> int | None:
    """The entry of a list cell a field path points at, counted from 1."""
    match = re.search(r"\.(materials|situations|steps|places|items)\[(\d+)\]", field_path)
    return int(match.group(2)) + 1 if match else None


def locate_problems(parsed: ParsedFile, problems: Iterable[pb.ImportProblem]) -> list[Problem]:
    """Where in the file each of the catalogue's problems is, by the item index it gives."""
    located: list[Problem] = []
    for problem in problems:
        if 0 <= problem.item < len(parsed.rows):
            row = parsed.rows[problem.item].row
        else:
            row = 0
        located.append(locate_field(parsed, row, problem.field, problem.message_zh, problem.message))
    sort_problems(parsed, located)
    return located


def locate_field(parsed: ParsedFile, row: int, field_path: str, message_zh: str, message: str) -> Problem:
    canonical = column_for_field(field_path)
    number = _entry_number(field_path)
    if number is not None:
        message_zh = f"第{number}项：{message_zh}"
        message = f"entry {number}: {message}"
    return Problem(row, parsed.header(canonical) if canonical else "", message_zh, message)


# ---------------------------------------------------------------------------------------------
# The report


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _pad(text: str, width: int) -> str:
    return text + " " * (width - _width(text))


def format_report(problems: Sequence[Problem], *, limit: int | None = None) -> str:
    """The problems as a table for a terminal: 行 | 列 | 问题 (with the English reason)."""
    shown = list(problems if limit is None else problems[:limit])
    rows = [("行", "列", "问题 / problem")]
    rows += [(str(p.row) if p.row else "-", p.column or "-", f"{p.message_zh} / {p.message}") for p in shown]
    widths = [max(_width(r[i]) for r in rows) for i in range(2)]
    lines = [f"{_pad(r[0], widths[0])} | {_pad(r[1], widths[1])} | {r[2]}" for r in rows]
    lines.insert(1, "-" * widths[0] + "-+-" + "-" * widths[1] + "-+-" + "-" * 20)
    if limit is not None and len(problems) > limit:
        lines.append(f"……另有{len(problems) - limit}个问题 / {len(problems) - limit} more problems")
    return "\n".join(lines)


REPORT_HEADER = ("行号", "列名", "问题", "problem")


def write_report(problems: Iterable[Problem], path: Path) -> None:
    """The problems as CSV (UTF-8 with BOM, so Excel opens it as Chinese text)."""
    with path.open("w", encoding="utf-8-sig", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(REPORT_HEADER)
        for p in problems:
            writer.writerow([p.row or "", p.column, p.message_zh, p.message])


def read_report(path: Path) -> list[Problem]:
    with path.open(encoding="utf-8-sig", newline="") as source:
        reader = csv.reader(source)
        next(reader, None)
        return [Problem(int(r[0]) if r[0] else 0, r[1], r[2], r[3]) for r in reader]


# ---------------------------------------------------------------------------------------------
# Writing a file (the generator and the tests write good lists this way)


def write_matter_list(
    path: Path,
    requests: Iterable[pb.CreateMatterRequest],
    *,
    hours: str = "",
    encoding: str = "utf-8-sig",
    title: str = "",
) -> int:
    """Write matters as an implementation list (.xlsx, or .csv in `encoding`); returns the row count."""
    header = list(WRITTEN_COLUMNS)
    rows = ([format_row(r, hours=hours).get(h, "") for h in header] for r in requests)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with path.open("w", encoding=encoding, newline="") as out:
            writer = csv.writer(out)
            if title:
                writer.writerow([title])
            writer.writerow(header)
            count = 0
            for row in rows:
                writer.writerow(row)
                count += 1
        return count
    if suffix != ".xlsx":
        raise ValueError(f"write .xlsx or .csv, not {path.suffix!r}")
    from openpyxl import Workbook

    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet("实施清单")
    if title:
        sheet.append([title])
    sheet.append(header)
    count = 0
    for row in rows:
        sheet.append(row)
        count += 1
    workbook.save(path)
    return count
