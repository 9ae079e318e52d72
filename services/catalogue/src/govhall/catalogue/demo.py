"""Demo data for one province (湖北省): sites, departments, full service guides and articles, plus a loader.

The site codes and names are the real GB/T 2260 ones and the legal bases cite real laws and
regulations, but the data is for demonstration only: guides are abridged, department telephone
numbers are fictitious, and three kinds of code follow this platform's own shape rather than the
national assignments, which are not public in full:

- matter codes: `<department code>-<4-digit serial>` (not the national implementation codes);
- base codes (基本编码, 12 characters): two digits for the matter type (the MatterType number,
  01 行政许可 … 07 公共服务), five for the main item and three for the sub-item (a serial per
  kind of matter), then "00"; the same kind carries the same base code on every site;
- licence type codes (证照类型代码, see LICENCE_TYPES): the national catalogue's shape, the code
  of the body that defines the catalogue ("11100000000013338W", as in the e-licence identifier of
  GB/T 36903) followed by a three-digit serial. The serials are this demo's own; the licences
  service and any data that reuses licences must use these same codes.

Every kind of matter (KINDS) is a full guide: structured materials (M01…) with their form,
copies, necessity and source (applicant, a reused electronic licence, or shared government
data), the review steps with the role for each, fees, where and when, themes, life events and
sub-audiences from the catalogue taxonomy, online depth and visits, and the guide texts. Some
kinds add situations (情形) whose answers select conditional materials and sections of a JSON
Schema application form.

`load_demo` is idempotent: it upserts sites and departments, creates the matters and articles
that do not exist yet and publishes those that are not published yet. It never overwrites a
matter or article that an administrator has since edited (so a second load opens no new
version), but it does publish again a demo matter or article that has been withdrawn.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import grpc
from google.protobuf.timestamp_pb2 import Timestamp

from govhall.protos.catalogue.v1 import catalogue_pb2 as pb
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.common.v1 import common_pb2

WORKING_DAY = common_pb2.TIME_LIMIT_UNIT_WORKING_DAY
NATURAL_DAY = common_pb2.TIME_LIMIT_UNIT_NATURAL_DAY

PERSON = (pb.AUDIENCE_PERSON,)
LEGAL_PERSON = (pb.AUDIENCE_LEGAL_PERSON,)
BOTH = (pb.AUDIENCE_PERSON, pb.AUDIENCE_LEGAL_PERSON)

STANDARD_HOURS = "工作日 9:00-12:00，13:30-17:00"
BEIJING = timezone(timedelta(hours=8))


# ---------------------------------------------------------------------------------------------
# Sites (GB/T 2260)


@dataclass(frozen=True)
class DemoSite:
    code: str
    name: str
    level: pb.SiteLevel.ValueType
    parent_code: str
    hall: str  # 政务服务中心
    hours: str


SITES: tuple[DemoSite, ...] = (
    DemoSite("420000", "湖北省", pb.SITE_LEVEL_PROVINCE, "", "湖北省政务服务中心", STANDARD_HOURS),
    DemoSite(
        "420100",
        "武汉市",
        pb.SITE_LEVEL_CITY,
        "420000",
        "武汉市民之家",
        STANDARD_HOURS + "（周六 9:00-12:00 延时服务）",
    ),
    DemoSite("420500", "宜昌市", pb.SITE_LEVEL_CITY, "420000", "宜昌市政务服务中心", STANDARD_HOURS),
    DemoSite("420600", "襄阳市", pb.SITE_LEVEL_CITY, "420000", "襄阳市政务服务中心", STANDARD_HOURS),
    DemoSite("420102", "江岸区", pb.SITE_LEVEL_COUNTY, "420100", "江岸区政务服务中心", STANDARD_HOURS),
    DemoSite("420106", "武昌区", pb.SITE_LEVEL_COUNTY, "420100", "武昌区政务服务中心", STANDARD_HOURS),
    DemoSite("420502", "西陵区", pb.SITE_LEVEL_COUNTY, "420500", "西陵区政务服务中心", STANDARD_HOURS),
    DemoSite("420506", "夷陵区", pb.SITE_LEVEL_COUNTY, "420500", "夷陵区政务服务中心", STANDARD_HOURS),
    DemoSite("420602", "襄城区", pb.SITE_LEVEL_COUNTY, "420600", "襄城区政务服务中心", STANDARD_HOURS),
    DemoSite("420606", "樊城区", pb.SITE_LEVEL_COUNTY, "420600", "樊城区政务服务中心", STANDARD_HOURS),
)

SITES_BY_CODE = {site.code: site for site in SITES}


# ---------------------------------------------------------------------------------------------
# Departments: code = site code + "-" + a short latin abbreviation of the department's name.


@dataclass(frozen=True)
class DemoDepartment:
    code: str
    site_code: str
    name: str
    window: str  # where in the site's hall it receives applications
    phone: str  # fictitious


def _dept(site_code: str, abbr: str, name: str, window: str, phone: str) -> DemoDepartment:
    return DemoDepartment(f"{site_code}-{abbr}", site_code, name, window, phone)


DEPARTMENTS: tuple[DemoDepartment, ...] = (
    # 湖北省
    _dept("420000", "SCJGJ", "湖北省市场监督管理局", "二楼 市场监管窗口", "027-87250001"),
    _dept("420000", "YJJ", "湖北省药品监督管理局", "二楼 药品监管窗口", "027-87250002"),
    _dept("420000", "GAT", "湖北省公安厅", "一楼 公安窗口", "027-87250003"),
    _dept("420000", "RST", "湖北省人力资源和社会保障厅", "一楼 人社窗口", "027-87250004"),
    _dept("420000", "STHJT", "湖北省生态环境厅", "三楼 生态环境窗口", "027-87250005"),
    _dept("420000", "ZJT", "湖北省住房和城乡建设厅", "三楼 住建窗口", "027-87250006"),
    # 武汉市
    _dept("420100", "SCJGJ", "武汉市市场监督管理局", "二楼 市场监管窗口", "027-85560101"),
    _dept("420100", "GAJ", "武汉市公安局", "一楼 公安窗口", "027-85560102"),
    _dept("420100", "RSJ", "武汉市人力资源和社会保障局", "一楼 人社窗口", "027-85560103"),
    _dept("420100", "ZRZYJ", "武汉市自然资源和城乡建设局", "三楼 工程建设窗口", "027-85560104"),
    _dept("420100", "JTYSJ", "武汉市交通运输局", "三楼 交通运输窗口", "027-85560105"),
    _dept("420100", "STHJJ", "武汉市生态环境局", "三楼 生态环境窗口", "027-85560106"),
    _dept("420100", "GJJ", "武汉住房公积金管理中心", "一楼 公积金窗口", "027-85560107"),
    _dept("420100", "YCJ", "武汉市烟草专卖局", "二楼 烟草专卖窗口", "027-85560108"),
    # 宜昌市
    _dept("420500", "SCJGJ", "宜昌市市场监督管理局", "二楼 市场监管窗口", "0717-6250101"),
    _dept("420500", "GAJ", "宜昌市公安局", "一楼 公安窗口", "0717-6250102"),
    _dept("420500", "RSJ", "宜昌市人力资源和社会保障局", "一楼 人社窗口", "0717-6250103"),
    _dept("420500", "ZRZYGHJ", "宜昌市自然资源和规划局", "三楼 工程建设窗口", "0717-6250104"),
    _dept("420500", "STHJJ", "宜昌市生态环境局", "三楼 生态环境窗口", "0717-6250105"),
    _dept("420500", "WJW", "宜昌市卫生健康委员会", "二楼 卫生健康窗口", "0717-6250106"),
    _dept("420500", "GJJ", "宜昌市住房公积金中心", "一楼 公积金窗口", "0717-6250107"),
    # 襄阳市
    _dept("420600", "SCJGJ", "襄阳市市场监督管理局", "二楼 市场监管窗口", "0710-3250101"),
    _dept("420600", "GAJ", "襄阳市公安局", "一楼 公安窗口", "0710-3250102"),
    _dept("420600", "RSJ", "襄阳市人力资源和社会保障局", "一楼 人社窗口", "0710-3250103"),
    _dept("420600", "JTYSJ", "襄阳市交通运输局", "三楼 交通运输窗口", "0710-3250104"),
    _dept("420600", "GJJ", "襄阳住房公积金中心", "一楼 公积金窗口", "0710-3250105"),
    _dept("420600", "YCJ", "襄阳市烟草专卖局", "二楼 烟草专卖窗口", "0710-3250106"),
    # 武汉市江岸区
    _dept("420102", "XZSPJ", "江岸区行政审批局", "二楼 综合受理窗口", "027-82650201"),
    _dept("420102", "MZJ", "江岸区民政局", "一楼 社会事务窗口", "027-82650202"),
    _dept("420102", "GAFJ", "武汉市公安局江岸区分局", "一楼 户政窗口", "027-82650203"),
    _dept("420102", "WJJ", "江岸区卫生健康局", "三楼 卫生健康窗口", "027-82650204"),
    # 武汉市武昌区
    _dept("420106", "XZSPJ", "武昌区行政审批局", "二楼 综合受理窗口", "027-88060301"),
    _dept("420106", "MZJ", "武昌区民政局", "一楼 社会事务窗口", "027-88060302"),
    _dept("420106", "GAFJ", "武汉市公安局武昌区分局", "一楼 户政窗口", "027-88060303"),
    _dept("420106", "WJJ", "武昌区卫生健康局", "三楼 卫生健康窗口", "027-88060304"),
    _dept("420106", "CL", "武昌区残疾人联合会", "一楼 残联窗口", "027-88060305"),
    _dept("420106", "RSJ", "武昌区人力资源和社会保障局", "一楼 人社窗口", "027-88060306"),
    # 宜昌市西陵区
    _dept("420502", "SCJGJ", "西陵区市场监督管理局", "二楼 市场监管窗口", "0717-6220401"),
    _dept("420502", "MZJ", "西陵区民政局", "一楼 社会事务窗口", "0717-6220402"),
    _dept("420502", "GAFJ", "宜昌市公安局西陵分局", "一楼 户政窗口", "0717-6220403"),
    _dept("420502", "RSJ", "西陵区人力资源和社会保障局", "一楼 人社窗口", "0717-6220404"),
    # 宜昌市夷陵区
    _dept("420506", "XZSPJ", "夷陵区行政审批局", "二楼 综合受理窗口", "0717-7820501"),
    _dept("420506", "JTYSJ", "夷陵区交通运输局", "三楼 交通运输窗口", "0717-7820502"),
    _dept("420506", "MZJ", "夷陵区民政局", "一楼 社会事务窗口", "0717-7820503"),
    _dept("420506", "WJJ", "夷陵区卫生健康局", "三楼 卫生健康窗口", "0717-7820504"),
    _dept("420506", "GAFJ", "宜昌市公安局夷陵分局", "一楼 户政窗口", "0717-7820505"),
    # 襄阳市襄城区
    _dept("420602", "XZSPJ", "襄城区行政审批局", "二楼 综合受理窗口", "0710-3560601"),
    _dept("420602", "CL", "襄城区残疾人联合会", "一楼 残联窗口", "0710-3560602"),
    _dept("420602", "GAFJ", "襄阳市公安局襄城分局", "一楼 户政窗口", "0710-3560603"),
    _dept("420602", "WJJ", "襄城区卫生健康局", "三楼 卫生健康窗口", "0710-3560604"),
    _dept("420602", "RSJ", "襄城区人力资源和社会保障局", "一楼 人社窗口", "0710-3560605"),
    # 襄阳市樊城区
    _dept("420606", "XZSPJ", "樊城区行政审批局", "二楼 综合受理窗口", "0710-3160701"),
    _dept("420606", "MZJ", "樊城区民政局", "一楼 社会事务窗口", "0710-3160702"),
    _dept("420606", "GAFJ", "襄阳市公安局樊城分局", "一楼 户政窗口", "0710-3160703"),
)

DEPARTMENTS_BY_CODE = {dept.code: dept for dept in DEPARTMENTS}


# ---------------------------------------------------------------------------------------------
# Licence types (证照目录) that guides reuse instead of asking for paper: name → type code.

_LICENCE_CATALOGUE_PREFIX = "11100000000013338W"

LICENCE_TYPES: dict[str, str] = {
    name: f"{_LICENCE_CATALOGUE_PREFIX}{serial:03d}"
    for name, serial in (
        ("居民身份证", 101),
        ("居民户口簿", 102),
        ("居住证", 103),
        ("结婚证", 111),
        ("出生医学证明", 121),
        ("残疾人证", 131),
        ("社会保障卡", 141),
        ("营业执照", 201),
        ("不动产权证书", 301),
        ("普通高等教育毕业证书", 401),
        ("医师资格证书", 501),
        ("执业药师注册证", 511),
        ("机动车行驶证", 601),
    )
}


# ---------------------------------------------------------------------------------------------
# Building blocks of a guide

REQUIRED = pb.MATERIAL_NECESSITY_REQUIRED
CONDITIONAL = pb.MATERIAL_NECESSITY_CONDITIONAL
OPTIONAL = pb.MATERIAL_NECESSITY_OPTIONAL
ORIGINAL = pb.MATERIAL_FORM_ORIGINAL
COPY = pb.MATERIAL_FORM_COPY
ORIGINAL_AND_COPY = pb.MATERIAL_FORM_ORIGINAL_AND_COPY
ELECTRONIC = pb.MATERIAL_FORM_ELECTRONIC

# Where the blank forms (空白表格) and filled-in samples (示例样表) of the demo are stored.
TEMPLATE_ROOT = "demo/templates"


def _mat(
    code: str,
    name: str,
    *,
    form: pb.MaterialForm.ValueType = ORIGINAL,
    copies: int = 1,
    necessity: pb.MaterialNecessity.ValueType = REQUIRED,
    condition: str = "",
    standard: str = "",
    template: bool = False,
    source: pb.MaterialSource.ValueType = pb.MATERIAL_SOURCE_APPLICANT,
    types: tuple[str, ...] = (),
) -> pb.Material:
    """A material the applicant brings or uploads (or, with source GOVERNMENT, shared data)."""
    return pb.Material(
        code=code,
        name=name,
        form=form,
        copies=0 if form == ELECTRONIC else copies,
        necessity=necessity,
        condition=condition,
        acceptance_standard=standard,
        template_file=f"{TEMPLATE_ROOT}/{name}（空白表格）.docx" if template else "",
        sample_file=f"{TEMPLATE_ROOT}/{name}（示例样表）.pdf" if template else "",
        source=source,
        accepted_types=list(types),
    )


def _lic(
    code: str,
    licence: str,
    name: str = "",
    *,
    necessity: pb.MaterialNecessity.ValueType = REQUIRED,
    condition: str = "",
    standard: str = "",
) -> pb.Material:
    """A material taken from the applicant's electronic licence: nothing to bring or upload."""
    return pb.Material(
        code=code,
        name=name or licence,
        form=ELECTRONIC,
        copies=0,
        necessity=necessity,
        condition=condition,
        acceptance_standard=standard or f"由系统调取申请人的电子{licence}，无需提交纸质材料",
        source=pb.MATERIAL_SOURCE_LICENCE,
        licence_type_code=LICENCE_TYPES[licence],
    )


def _shared(
    code: str,
    name: str,
    standard: str,
    *,
    necessity: pb.MaterialNecessity.ValueType = REQUIRED,
    condition: str = "",
) -> pb.Material:
    """Data another department holds: checked through data sharing, the applicant submits nothing."""
    return _mat(
        code,
        name,
        form=ELECTRONIC,
        necessity=necessity,
        condition=condition,
        standard=standard,
        source=pb.MATERIAL_SOURCE_GOVERNMENT,
    )


def _proxy_letter(code: str, *, condition: str = "委托他人代办的") -> pb.Material:
    return _mat(
        code,
        "授权委托书",
        necessity=CONDITIONAL,
        condition=condition,
        standard="载明委托事项、权限和期限，委托人签字或盖章",
        template=True,
    )


def _proxy_id(code: str, *, condition: str = "委托他人代办的") -> pb.Material:
    return _mat(
        code,
        "代理人居民身份证",
        form=ORIGINAL_AND_COPY,
        necessity=CONDITIONAL,
        condition=condition,
        standard="核验原件，留存复印件",
    )


def _opt(
    code: str, label: str, materials: Sequence[str] = (), sections: Sequence[str] = ()
) -> pb.SituationOption:
    return pb.SituationOption(
        code=code, label=label, material_codes=list(materials), form_sections=list(sections)
    )


def _sit(code: str, question: str, *options: pb.SituationOption, multiple: bool = False) -> pb.Situation:
    return pb.Situation(code=code, question=question, multiple=multiple, options=list(options))


def _yes_no_agent(code: str, materials: Sequence[str]) -> pb.Situation:
    """是否委托他人代办: the usual situation that asks for the proxy's letter and identity."""
    return _sit(
        code,
        "是否委托他人代办？",
        _opt(f"{code}A", "否，本人（法定代表人）办理"),
        _opt(f"{code}B", "是，委托代理人办理", materials, ["agent"]),
    )


# --- review steps ------------------------------------------------------------------------------

ACCEPT_TEXT = (
    "窗口人员核验申请人身份，审查申请材料是否齐全、符合法定形式；材料齐全的予以受理，"
    "不齐全的一次性告知需要补正的全部内容。"
)


@dataclass(frozen=True)
class _Step:
    code: str
    name: str
    role: str
    days: int
    description: str

    def message(self) -> pb.ProcessStep:
        return pb.ProcessStep(
            code=self.code,
            name=self.name,
            role=self.role,
            time_limit_days=self.days,
            description=self.description,
        )


def _instant(description: str, name: str = "受理并办结") -> tuple[_Step, ...]:
    """即办件: the window accepts and decides on the spot."""
    return (_Step("accept", name, "window_clerk", 0, description),)


def _chain(
    budget: int,
    review: str,
    decide: str,
    *,
    inspect: tuple[str, str] | None = None,
    review_name: str = "审查",
    decide_name: str = "决定",
    accept: str = ACCEPT_TEXT,
) -> tuple[_Step, ...]:
    """承诺件: 受理 → 审查 (→ 核查) → 决定, the promised days shared out between the steps.

    `budget` is the promised limit in working days (0 when it is counted in natural days: the
    steps then carry no share of their own).
    """
    if budget >= 3:
        edge, middle = 1, budget - 2
    else:
        edge, middle = 0, budget
    steps = [_Step("accept", "受理", "window_clerk", edge, accept)]
    if inspect is None:
        steps.append(_Step("review", review_name, "reviewer", middle, review))
    else:
        first = (middle + 1) // 2
        steps.append(_Step("review", review_name, "reviewer", first, review))
        steps.append(_Step("inspect", inspect[0], "reviewer", middle - first, inspect[1]))
    steps.append(_Step("decide", decide_name, "approver", edge, decide))
    return tuple(steps)


# --- application forms (JSON Schema, draft 2020-12) ----------------------------------------------

SCHEMA_DIALECT = "https://json-schema.org/draft/2020-12/schema"
ID_NUMBER = r"^\d{17}[\dX]$"
MOBILE = r"^1\d{10}$"


# A field with one of these patterns holds a personal number: marked so that cases checks it
# fully (check digit, birth date), keeps it encrypted and shows it masked (see IMPORT.md).
PERSONAL_KINDS = {ID_NUMBER: "id_number", MOBILE: "mobile"}


def _s(title: str, max_length: int = 100, **extra: Any) -> dict[str, Any]:
    schema = {"type": "string", "title": title, "maxLength": max_length, **extra}
    if kind := PERSONAL_KINDS.get(extra.get("pattern", "")):
        schema["x-govhall-kind"] = kind
    return schema


def _choice(title: str, *values: str) -> dict[str, Any]:
    return {"type": "string", "title": title, "enum": list(values)}


def _choices(title: str, *values: str) -> dict[str, Any]:
    return {
        "type": "array",
        "title": title,
        "items": {"type": "string", "enum": list(values)},
        "uniqueItems": True,
    }


def _date(title: str) -> dict[str, Any]:
    return {"type": "string", "title": title, "format": "date"}


def _num(title: str, *, positive: bool = False) -> dict[str, Any]:
    """A number of yuan, square metres…: never negative, and with positive=True never zero either."""
    return {"type": "number", "title": title, ("exclusiveMinimum" if positive else "minimum"): 0}


def _int(title: str, minimum: int = 0, **extra: Any) -> dict[str, Any]:
    return {"type": "integer", "title": title, "minimum": minimum, **extra}


def _obj(title: str, properties: dict[str, Any], required: Sequence[str] = ()) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "object", "title": title, "properties": properties}
    if required:
        schema["required"] = list(required)
    return schema


def _list(title: str, item: dict[str, Any], min_items: int = 0) -> dict[str, Any]:
    schema: dict[str, Any] = {"type": "array", "title": title, "items": item}
    if min_items:
        schema["minItems"] = min_items
    return schema


def _person(title: str, **extra: dict[str, Any]) -> dict[str, Any]:
    return _obj(
        title,
        {
            "name": _s("姓名", 50),
            "id_number": _s("公民身份号码", 18, pattern=ID_NUMBER),
            "mobile": _s("手机号码", 11, pattern=MOBILE),
            **extra,
        },
        ["name", "id_number", "mobile"],
    )


AGENT_SECTION = _person("代理人信息")
GUARDIAN_SECTION = _person(
    "监护人信息", relationship=_choice("与申请人关系", "父母", "祖父母、外祖父母", "兄姐", "其他监护人")
)
MAILING_SECTION = _obj(
    "邮寄信息",
    {
        "recipient": _s("收件人", 50),
        "mobile": _s("收件人手机号码", 11, pattern=MOBILE),
        "address": _s("收件地址", 200),
    },
    ["recipient", "mobile", "address"],
)
BANK_ACCOUNT = _obj(
    "收款账户",
    {"bank": _s("开户银行", 100), "account": _s("银行账号", 30, pattern=r"^\d{12,30}$")},
    ["bank", "account"],
)


def _form(title: str, properties: dict[str, Any], required: Sequence[str] = ()) -> str:
    """An application form: its top-level properties are the sections situations can show."""
    schema: dict[str, Any] = {"$schema": SCHEMA_DIALECT, **_obj(title, properties, required)}
    return json.dumps(schema, ensure_ascii=False)


# --- fees and places -----------------------------------------------------------------------------


def _fee(name: str, yuan: int, basis: str, note: str = "") -> pb.FeeItem:
    return pb.FeeItem(
        name=name,
        amount=common_pb2.Money(currency="CNY", amount_fen=yuan * 100),
        basis=basis,
        note=note,
    )


@dataclass(frozen=True)
class _Place:
    """Where a kind of matter is handled; {hall}, {site}, {window} and {hours} are filled per site."""

    name: str = "{hall}"
    window: str = "{window}"
    hours: str = "{hours}"


HALL = _Place()


# ---------------------------------------------------------------------------------------------
# Kinds of matter: the part of a guide that is the same wherever the matter is handled.


@dataclass(frozen=True)
class Kind:
    name: str
    type: pb.MatterType.ValueType
    audiences: tuple[pb.Audience.ValueType, ...]
    # 基本编码 = type (2) + main item (5) + sub-item (3) + "00"; see the module docstring.
    item: tuple[int, int]
    promised: int
    legal: int  # 0: no statutory limit
    online: bool
    depth: int  # 网上办理深度 1-4
    visits: int  # 到办事现场次数 0-2
    conditions: str
    process: str
    legal_basis: str
    materials: tuple[pb.Material, ...]
    steps: tuple[_Step, ...]
    result: str
    themes: tuple[str, ...]
    life_events: tuple[str, ...] = ()
    sub_audiences: tuple[str, ...] = ()
    unit: common_pb2.TimeLimitUnit.ValueType = WORKING_DAY
    appointment: bool = False
    express: bool = False
    fees: tuple[pb.FeeItem, ...] = ()
    situations: tuple[pb.Situation, ...] = ()
    form: str = ""
    notice: str = ""  # what this kind adds to the usual 申报须知
    special_procedure: str = ""
    places: tuple[_Place, ...] = (HALL,)

    @property
    def base_code(self) -> str:
        main, sub = self.item
        return f"{self.type:02d}{main:05d}{sub:03d}00"

    @property
    def handling_type(self) -> pb.HandlingType.ValueType:
        return pb.HANDLING_TYPE_INSTANT if self.promised == 0 else pb.HANDLING_TYPE_PROMISED

    def notice_text(self) -> str:
        """申报须知: the usual advice for online applications, then what is particular to the kind."""
        if not self.online:
            lines = [
                "本事项须本人到现场办理，可先通过湖北政务服务网或“鄂汇办”APP预约并在线预填信息。",
            ]
        else:
            lines = [
                "网上申报前请登录湖北政务服务网或“鄂汇办”APP完成实名认证；法人事项由法定代表人或经授权的经办人申报。",
                "请按材料清单逐项上传清晰、完整的电子材料（PDF、JPG、PNG或OFD格式）；"
                "来源为电子证照或部门共享的材料由系统自动调取，无需上传。",
                "提交后可在“我的办件”查看受理和办理进度；材料需要补正的，将一次性告知需要补正的全部内容。",
            ]
            if self.visits == 0:
                lines.append("本事项全程网办，无需到办事现场。")
            else:
                lines.append(f"本事项需到办事现场{self.visits}次（核验原件或领取结果）。")
        if self.express:
            lines.append("办理结果可选择免费邮寄送达。")
        if self.notice:
            lines.append(self.notice)
        return "\n".join(f"{i}. {line}" for i, line in enumerate(lines, 1))


KINDS: dict[str, Kind] = {
    # --- 市场准入 -------------------------------------------------------------------------
    "biz_company": Kind(
        name="营业执照设立登记（企业）",
        type=pb.MATTER_TYPE_LICENSING,
        audiences=LEGAL_PERSON,
        item=(101, 1),
        promised=1,
        legal=3,
        online=True,
        depth=4,
        visits=0,
        appointment=True,
        express=True,
        result="营业执照",
        themes=("设立变更",),
        life_events=("设立",),
        sub_audiences=("企业法人",),
        conditions=(
            "1. 有符合规定的名称、住所和经营范围；\n"
            "2. 有符合公司章程或合伙协议规定的股东（投资人）及出资；\n"
            "3. 法定代表人、董事、监事和高级管理人员不存在法律、行政法规规定不得担任的情形；\n"
            "4. 申请材料齐全、符合法定形式。"
        ),
        process=(
            "1. 申请：通过湖北政务服务网“企业开办一网通办”平台在线申报，或到窗口提交材料；\n"
            "2. 受理：窗口对材料进行形式审查，材料齐全、符合法定形式的予以受理；\n"
            "3. 登记：能够当场登记的当场登记，不能当场登记的在3个工作日内予以登记；\n"
            "4. 发照：核发营业执照，同步生成电子营业执照；\n"
            "5. 领取：窗口领取或选择免费邮寄送达，可同步办理公章刻制、发票申领、社保登记。"
        ),
        legal_basis=(
            "《中华人民共和国公司法》；《中华人民共和国市场主体登记管理条例》第三条、第十九条；"
            "《中华人民共和国市场主体登记管理条例实施细则》。"
        ),
        materials=(
            _mat(
                "M01",
                "公司登记（备案）申请书",
                standard="由法定代表人签署，内容填写完整、准确",
                template=True,
            ),
            _mat("M02", "公司章程", standard="全体股东签署（股份有限公司由发起人签署）", template=True),
            _mat(
                "M03",
                "自然人股东身份证明",
                form=COPY,
                necessity=CONDITIONAL,
                standard="网上申报的，股东通过实名认证后在线签署即可，无需提交",
            ),
            _shared(
                "M04",
                "法人股东主体资格证明",
                "由登记机关通过市场主体登记信息核验，无需提交",
                necessity=CONDITIONAL,
            ),
            _mat("M05", "法定代表人、董事、监事和高级管理人员的任职文件", standard="依照章程规定的程序作出"),
            _lic("M06", "居民身份证", "法定代表人居民身份证"),
            _lic("M07", "不动产权证书", "住所不动产权证书", necessity=CONDITIONAL),
            _mat(
                "M08",
                "住所租赁合同及出租方产权证明",
                form=COPY,
                necessity=CONDITIONAL,
                standard="租赁期限不少于一年；复印件由申请人签字确认与原件一致",
            ),
            _proxy_letter("M09", condition="委托代理人办理的"),
            _proxy_id("M10", condition="委托代理人办理的"),
        ),
        situations=(
            _sit(
                "S1",
                "股东（发起人）的类型？（可多选）",
                _opt("S1A", "自然人股东", ["M03"]),
                _opt("S1B", "法人或其他组织股东", ["M04"]),
                multiple=True,
            ),
            _sit(
                "S2",
                "住所（经营场所）的使用方式？",
                _opt("S2A", "自有房产", ["M07"]),
                _opt("S2B", "租赁房屋", ["M08"], ["lease"]),
            ),
            _yes_no_agent("S3", ["M09", "M10"]),
        ),
        form=_form(
            "公司设立登记申请表",
            {
                "company_name": _s("企业名称", 100),
                "company_type": _choice(
                    "公司类型",
                    "有限责任公司（自然人投资或控股）",
                    "有限责任公司（自然人独资）",
                    "有限责任公司（法人独资）",
                    "股份有限公司（非上市）",
                ),
                "registered_capital": _num("注册资本（万元）", positive=True),
                "business_scope": _s("经营范围", 2000),
                "address": _s("住所", 200),
                "legal_representative": _person("法定代表人"),
                "shareholders": _list(
                    "股东（发起人）",
                    _obj(
                        "股东",
                        {
                            "name": _s("股东名称或姓名", 100),
                            "kind": _choice("股东类型", "自然人", "法人或其他组织"),
                            "certificate_number": _s("证件号码（公民身份号码或统一社会信用代码）", 18),
                            "subscribed_capital": _num("认缴出资额（万元）", positive=True),
                            "contribution_deadline": _date("认缴出资期限"),
                        },
                        ["name", "kind", "certificate_number", "subscribed_capital"],
                    ),
                    min_items=1,
                ),
                "joint_services": _choices(
                    "同步办理", "公章刻制", "发票申领", "员工参保登记", "住房公积金缴存登记"
                ),
                "lease": _obj(
                    "租赁信息",
                    {
                        "lessor": _s("出租方", 100),
                        "start": _date("租赁起始日期"),
                        "end": _date("租赁截止日期"),
                    },
                    ["lessor", "start", "end"],
                ),
                "agent": AGENT_SECTION,
            },
            [
                "company_name",
                "company_type",
                "registered_capital",
                "business_scope",
                "address",
                "legal_representative",
                "shareholders",
            ],
        ),
        steps=_chain(
            1,
            "登记人员审查名称、住所、经营范围和股东出资等登记事项是否符合规定。",
            "核准登记，核发营业执照并同步生成电子营业执照。",
            accept="系统和窗口人员对申请材料进行形式审查，材料齐全、符合法定形式的予以受理。",
            review_name="登记审查",
            decide_name="核准发照",
        ),
        notice="企业名称实行自主申报，请在申报前通过名称自主申报系统查询比对，避免与同行业企业名称相同或近似。",
    ),
    "biz_individual": Kind(
        name="营业执照设立登记（个体工商户）",
        type=pb.MATTER_TYPE_LICENSING,
        audiences=PERSON,
        item=(101, 2),
        promised=0,
        legal=3,
        online=True,
        depth=4,
        visits=0,
        express=True,
        result="营业执照",
        themes=("就业创业", "设立变更"),
        life_events=("就业",),
        conditions=(
            "1. 有经营能力的自然人或者家庭；\n"
            "2. 有经营场所以及符合规定的名称和经营范围；\n"
            "3. 申请材料齐全、符合法定形式。"
        ),
        process=(
            "1. 申请：通过湖北政务服务网、“鄂汇办”APP在线申报，或到窗口现场申请；\n"
            "2. 审查：窗口当场进行形式审查；\n"
            "3. 登记：材料齐全、符合法定形式的当场登记，核发营业执照；\n"
            "4. 领照：当场领取，或选择免费邮寄送达。"
        ),
        legal_basis=(
            "《促进个体工商户发展条例》；《中华人民共和国市场主体登记管理条例》第十九条；"
            "《中华人民共和国市场主体登记管理条例实施细则》。"
        ),
        materials=(
            _mat("M01", "个体工商户登记（备案）申请书", standard="由经营者本人签署", template=True),
            _lic("M02", "居民身份证", "经营者居民身份证"),
            _mat(
                "M03",
                "经营场所使用相关文件",
                form=COPY,
                standard="自有房屋提交不动产权证书，租用房屋提交租赁合同；实行住所申报承诺制的可提交承诺书",
            ),
            _lic("M04", "居民户口簿", "家庭成员关系证明（居民户口簿）", necessity=CONDITIONAL),
            _proxy_letter("M05"),
            _proxy_id("M06"),
        ),
        situations=(
            _sit(
                "S1",
                "以何种形式经营？",
                _opt("S1A", "个人经营"),
                _opt("S1B", "家庭经营", ["M04"], ["family_members"]),
            ),
        ),
        form=_form(
            "个体工商户登记申请表",
            {
                "trade_name": _s("个体工商户名称（可不使用名称）", 100),
                "business_scope": _s("经营范围", 1000),
                "premises": _s("经营场所", 200),
                "capital": _num("资金数额（万元）"),
                "employees": _int("从业人数"),
                "family_members": _list(
                    "参加经营的家庭成员",
                    _obj(
                        "家庭成员",
                        {
                            "name": _s("姓名", 50),
                            "relationship": _s("与经营者关系", 20),
                            "id_number": _s("公民身份号码", 18, pattern=ID_NUMBER),
                        },
                        ["name", "relationship", "id_number"],
                    ),
                    min_items=1,
                ),
            },
            ["business_scope", "premises", "capital"],
        ),
        steps=_instant(
            "窗口当场审查申请材料，材料齐全、符合法定形式的当场登记并核发营业执照。", "受理并登记"
        ),
    ),
    "food_licence": Kind(
        name="食品经营许可",
        type=pb.MATTER_TYPE_LICENSING,
        audiences=BOTH,
        item=(172, 1),
        promised=5,
        legal=10,
        online=True,
        depth=4,
        visits=0,
        express=True,
        result="食品经营许可证",
        themes=("准营准办",),
        life_events=("就业", "经营"),
        sub_audiences=("个体工商户", "企业法人"),
        conditions=(
            "1. 具有与经营的食品品种、数量相适应的食品原料处理和食品加工、销售、贮存等场所，"
            "保持场所环境整洁，并与有毒、有害场所以及其他污染源保持规定的距离；\n"
            "2. 具有与经营的食品品种、数量相适应的经营设备或者设施；\n"
            "3. 有专职或者兼职的食品安全管理人员和保证食品安全的规章制度；\n"
            "4. 具有合理的设备布局和工艺流程，防止待加工食品与直接入口食品、原料与成品交叉污染；\n"
            "5. 法律、法规规定的其他条件。"
        ),
        process=(
            "1. 申请：通过湖北政务服务网在线申报，或到窗口提交材料；\n"
            "2. 受理：材料齐全、符合法定形式的予以受理；\n"
            "3. 审查：对申请材料进行审查，需要对经营场所进行现场核查的组织现场核查；\n"
            "4. 决定：符合条件的作出准予许可决定；\n"
            "5. 发证：自作出决定之日起5个工作日内颁发食品经营许可证，同步生成电子证书。"
        ),
        legal_basis=(
            "《中华人民共和国食品安全法》第三十五条；《中华人民共和国行政许可法》；"
            "《食品经营许可和备案管理办法》（国家市场监督管理总局令第78号）。"
        ),
        materials=(
            _mat("M01", "食品经营许可申请书", standard="经营者签字或盖章，经营项目勾选准确", template=True),
            _lic("M02", "营业执照"),
            _mat(
                "M03",
                "与食品经营相适应的主要设备设施、经营布局、操作流程等文件",
                standard="标明经营场所的面积、功能分区和主要设备设施的位置",
            ),
            _mat(
                "M04",
                "保证食品安全的规章制度目录",
                standard="包括食品安全自查、从业人员健康管理、进货查验记录、食品安全事故处置等制度",
            ),
            _mat(
                "M05",
                "餐饮服务场所平面布局图及加工制作流程说明",
                necessity=CONDITIONAL,
                standard="标明粗加工、切配、烹饪、餐用具清洗消毒等区域和排烟、排水设施",
            ),
            _mat("M06", "单位食堂管理制度及承包经营合同", form=COPY, necessity=CONDITIONAL),
            _proxy_letter("M07"),
            _proxy_id("M08"),
        ),
        situations=(
            _sit(
                "S1",
                "申请的经营项目？（可多选）",
                _opt("S1A", "食品销售（预包装食品、散装食品）"),
                _opt("S1B", "餐饮服务（热食类、冷食类、生食类、自制饮品等）", ["M05"], ["catering"]),
                _opt("S1C", "单位食堂", ["M06"], ["canteen"]),
                multiple=True,
            ),
            _yes_no_agent("S2", ["M07", "M08"]),
        ),
        form=_form(
            "食品经营许可申请表",
            {
                "operator_name": _s("经营者名称", 100),
                "premises": _s("经营场所", 200),
                "main_business": _choice("主体业态", "食品销售经营者", "餐饮服务经营者", "单位食堂"),
                "items": _choices(
                    "经营项目",
                    "预包装食品销售",
                    "散装食品销售",
                    "保健食品销售",
                    "热食类食品制售",
                    "冷食类食品制售",
                    "自制饮品制售",
                ),
                "online_sales": {"type": "boolean", "title": "是否通过网络经营"},
                "safety_manager": _obj(
                    "食品安全管理人员",
                    {"name": _s("姓名", 50), "mobile": _s("手机号码", 11, pattern=MOBILE)},
                    ["name", "mobile"],
                ),
                "catering": _obj(
                    "餐饮服务信息",
                    {
                        "seats": _int("就餐座位数"),
                        "area": _num("加工经营场所面积（平方米）", positive=True),
                    },
                    ["area"],
                ),
                "canteen": _obj(
                    "单位食堂信息",
                    {"diners": _int("供餐人数", 1), "contractor": _s("承包经营单位（自营的不填）", 100)},
                    ["diners"],
                ),
                "agent": AGENT_SECTION,
            },
            ["operator_name", "premises", "main_business", "items", "safety_manager"],
        ),
        steps=_chain(
            5,
            "审查申请材料与经营项目是否相符。",
            "作出准予或不予许可决定，准予许可的颁发食品经营许可证。",
            inspect=("现场核查", "需要核查的，组织两名以上执法人员对经营场所进行现场核查。"),
        ),
        special_procedure="现场核查：需要对经营场所进行现场核查的，核查时间计入办理时限。",
    ),
    "food_filing": Kind(
        name="仅销售预包装食品备案",
        type=pb.MATTER_TYPE_OTHER_POWER,
        audiences=BOTH,
        item=(172, 2),
        promised=0,
        legal=0,
        online=True,
        depth=4,
        visits=0,
        result="仅销售预包装食品备案信息（备案编号）",
        themes=("准营准办",),
        life_events=("就业", "经营"),
        sub_audiences=("个体工商户",),
        conditions=(
            "仅从事预包装食品销售（含保健食品、特殊医学用途配方食品、婴幼儿配方乳粉以及其他婴幼儿配方食品）"
            "的经营者，已取得营业执照等合法主体资格，在开展经营活动前办理备案。"
        ),
        process=(
            "1. 提交：经营者通过湖北政务服务网或窗口提交备案信息；\n"
            "2. 备案：信息齐全的当场备案并生成备案编号；\n"
            "3. 公开：备案信息在政务服务网公开。"
        ),
        legal_basis=(
            "《中华人民共和国食品安全法》第三十五条；"
            "《食品经营许可和备案管理办法》（国家市场监督管理总局令第78号）。"
        ),
        materials=(
            _mat("M01", "仅销售预包装食品备案信息采集表", template=True),
            _lic("M02", "营业执照"),
            _proxy_letter("M03"),
            _proxy_id("M04"),
        ),
        steps=_instant("信息齐全的当场备案，生成备案编号并在政务服务网公开。", "受理并备案"),
    ),
    "drug_retail": Kind(
        name="药品零售企业经营许可",
        type=pb.MATTER_TYPE_LICENSING,
        audiences=LEGAL_PERSON,
        item=(204, 2),
        promised=10,
        legal=20,
        online=True,
        depth=3,
        visits=1,
        express=True,
        result="药品经营许可证",
        themes=("准营准办", "医疗卫生"),
        life_events=("经营",),
        sub_audiences=("企业法人",),
        conditions=(
            "1. 有依法经过资格认定的药师或者其他药学技术人员；\n"
            "2. 有与所经营药品相适应的营业场所、设备、仓储设施和卫生环境；\n"
            "3. 有与所经营药品相适应的质量管理机构或者人员；\n"
            "4. 有保证药品质量的规章制度，并符合药品经营质量管理规范要求。"
        ),
        process=(
            "1. 申请：通过湖北政务服务网在线申报，或到窗口提交材料；\n"
            "2. 受理：材料齐全、符合法定形式的予以受理；\n"
            "3. 现场检查：组织对经营场所进行现场检查（现场检查时间不计入办理时限）；\n"
            "4. 决定：符合条件的作出准予许可决定，核发药品经营许可证；\n"
            "5. 送达：窗口领取或邮寄送达。"
        ),
        legal_basis=(
            "《中华人民共和国药品管理法》第五十一条、第五十二条；《中华人民共和国药品管理法实施条例》；"
            "《药品经营和使用质量监督管理办法》（国家市场监督管理总局令第84号）。"
        ),
        materials=(
            _mat("M01", "药品经营许可证申请表", template=True),
            _lic("M02", "营业执照"),
            _mat("M03", "质量管理机构情况以及主要负责人、质量负责人的学历、工作经历相关材料", form=COPY),
            _lic("M04", "执业药师注册证", "执业药师注册证及任职文件"),
            _mat("M05", "经营药品的方式和范围相关材料"),
            _mat("M06", "营业场所、仓库平面布置图及房屋产权或者使用权相关材料", form=COPY),
            _mat("M07", "质量管理制度文件目录、主要设施设备目录"),
            _mat("M08", "计算机信息系统基本情况说明"),
            _mat(
                "M09",
                "冷藏、冷冻药品储存运输设施设备情况说明",
                necessity=CONDITIONAL,
                condition="经营冷藏、冷冻药品的",
            ),
        ),
        steps=_chain(
            10,
            "审查申请材料，核对人员资质和经营范围。",
            "作出准予或不予许可决定，准予许可的核发药品经营许可证。",
            inspect=("现场检查", "按照药品经营质量管理规范对营业场所、仓储设施和质量管理体系进行现场检查。"),
        ),
        special_procedure="现场检查：按照药品经营质量管理规范组织现场检查，检查时间不计入办理时限。",
    ),
    "drug_wholesale": Kind(
        name="药品批发企业经营许可",
        type=pb.MATTER_TYPE_LICENSING,
        audiences=LEGAL_PERSON,
        item=(204, 1),
        promised=15,
        legal=20,
        online=True,
        depth=3,
        visits=1,
        express=True,
        result="药品经营许可证",
        themes=("准营准办", "医疗卫生"),
        life_events=("经营",),
        sub_audiences=("企业法人",),
        conditions=(
            "1. 有依法经过资格认定的药师或者其他药学技术人员，质量负责人具有执业药师资格；\n"
            "2. 有与所经营药品相适应的营业场所、仓库、设备和卫生环境，具备药品温湿度自动监测系统；\n"
            "3. 有与所经营药品相适应的质量管理机构或者人员；\n"
            "4. 有保证药品质量的规章制度和可追溯的计算机信息管理系统，符合药品经营质量管理规范要求。"
        ),
        process=(
            "1. 申请：通过湖北政务服务网在线申报；\n"
            "2. 受理：材料齐全、符合法定形式的予以受理；\n"
            "3. 现场检查：按照药品经营质量管理规范组织现场检查（不计入办理时限）；\n"
            "4. 决定：符合条件的作出准予许可决定，核发药品经营许可证；\n"
            "5. 公开：许可结果在省药品监督管理局网站公开。"
        ),
        legal_basis=(
            "《中华人民共和国药品管理法》第五十一条、第五十二条；《中华人民共和国药品管理法实施条例》；"
            "《药品经营和使用质量监督管理办法》（国家市场监督管理总局令第84号）。"
        ),
        materials=(
            _mat("M01", "药品经营许可证申请表", template=True),
            _lic("M02", "营业执照"),
            _mat(
                "M03",
                "质量管理机构情况以及主要负责人、质量负责人、质量管理部门负责人的学历、工作经历相关材料",
                form=COPY,
            ),
            _lic("M04", "执业药师注册证", "质量负责人执业药师注册证及任职文件"),
            _mat("M05", "经营药品的方式和范围相关材料"),
            _mat("M06", "营业场所、仓库平面布置图及房屋产权或者使用权相关材料", form=COPY),
            _mat("M07", "仓储设施设备、温湿度监测系统及冷链设施情况说明"),
            _mat("M08", "质量管理制度文件目录及计算机信息系统基本情况说明"),
            _mat(
                "M09",
                "特殊管理药品安全管理制度及储存设施说明",
                necessity=CONDITIONAL,
                condition="经营麻醉药品、精神药品、医疗用毒性药品等特殊管理药品的",
            ),
        ),
        steps=_chain(
            15,
            "审查申请材料，核对人员资质、仓储条件和信息系统。",
            "作出准予或不予许可决定，准予许可的核发药品经营许可证并公开。",
            inspect=("现场检查", "按照药品经营质量管理规范组织现场检查。"),
        ),
        special_procedure="现场检查：按照药品经营质量管理规范组织现场检查，检查时间不计入办理时限。",
    ),
    "tobacco": Kind(
        name="烟草专卖零售许可证核发",
        type=pb.MATTER_TYPE_LICENSING,
        audiences=BOTH,
        item=(311, 1),
        promised=10,
        legal=20,
        online=True,
        depth=3,
        visits=1,
        express=True,
        result="烟草专卖零售许可证",
        themes=("准营准办",),
        life_events=("就业", "经营"),
        sub_audiences=("个体工商户",),
        conditions=(
            "1. 有与经营烟草制品零售业务相适应的资金；\n"
            "2. 有固定的经营场所，且不在中小学校、幼儿园周边规定范围内；\n"
            "3. 符合当地烟草制品零售点合理布局的要求；\n"
            "4. 申请人具有完全民事行为能力，不存在法律法规规定不予许可的情形。"
        ),
        process=(
            "1. 申请：通过烟草专卖许可证网上办理系统或到窗口提交；\n"
            "2. 受理：材料齐全、符合法定形式的予以受理；\n"
            "3. 实地核查：核查经营场所并确认是否符合合理布局要求；\n"
            "4. 决定：准予许可的核发烟草专卖零售许可证；\n"
            "5. 送达：窗口领取或邮寄送达。"
        ),
        legal_basis=(
            "《中华人民共和国烟草专卖法》第十六条；《中华人民共和国烟草专卖法实施条例》；"
            "《烟草专卖许可证管理办法》。"
        ),
        materials=(
            _mat("M01", "烟草专卖零售许可证申请表", template=True),
            _lic("M02", "居民身份证", "经营者居民身份证"),
            _mat("M03", "经营场所产权证明或者租赁协议", form=COPY),
            _lic("M04", "营业执照"),
            _proxy_letter("M05"),
            _proxy_id("M06"),
        ),
        steps=_chain(
            10,
            "审查申请材料及经营者资格。",
            "作出准予或不予许可决定，准予许可的核发烟草专卖零售许可证。",
            inspect=("实地核查", "实地核查经营场所，确认与中小学校、幼儿园的距离及是否符合合理布局要求。"),
        ),
        special_procedure="实地核查：核查经营场所是否符合当地烟草制品零售点合理布局规定。",
    ),
    "public_place": Kind(
        name="公共场所卫生许可",
        type=pb.MATTER_TYPE_LICENSING,
        audiences=BOTH,
        item=(418, 1),
        promised=5,
        legal=20,
        online=True,
        depth=4,
        visits=0,
        express=True,
        result="公共场所卫生许可证",
        themes=("准营准办", "医疗卫生"),
        life_events=("就业", "经营"),
        sub_audiences=("个体工商户", "企业法人"),
        conditions=(
            "宾馆、旅店、公共浴室、理发店、美容店、游泳场（馆）等依法需要取得卫生许可证的公共场所经营者，"
            "场所选址、布局、卫生设施设备和从业人员健康管理符合公共场所卫生标准和规范。"
        ),
        process=(
            "1. 申请：在线或到窗口提交材料，可选择告知承诺方式办理；\n"
            "2. 受理：材料齐全、符合法定形式的予以受理；\n"
            "3. 现场审查：对经营场所进行卫生审查；\n"
            "4. 决定：符合要求的核发公共场所卫生许可证，有效期四年。"
        ),
        legal_basis="《公共场所卫生管理条例》第八条；《公共场所卫生管理条例实施细则》。",
        materials=(
            _mat("M01", "公共场所卫生许可申请表", template=True),
            _lic("M02", "营业执照"),
            _mat("M03", "公共场所地址方位示意图、平面图和卫生设施平面布局图"),
            _mat("M04", "公共场所卫生检测或者评价报告", standard="由具备资质的检测机构出具，一年内有效"),
            _mat("M05", "公共场所卫生管理制度"),
            _mat(
                "M06",
                "集中空调通风系统卫生检测或者评价报告",
                necessity=CONDITIONAL,
                condition="使用集中空调通风系统的",
            ),
            _mat(
                "M07",
                "公共场所卫生许可告知承诺书",
                necessity=CONDITIONAL,
                condition="选择告知承诺方式办理的",
                template=True,
            ),
        ),
        steps=_chain(
            5,
            "审查申请材料和卫生检测报告。",
            "作出准予或不予许可决定，准予许可的核发公共场所卫生许可证。",
            inspect=("现场审查", "对经营场所的卫生设施、布局和管理制度落实情况进行现场审查。"),
        ),
        special_procedure="现场审查：选择告知承诺方式办理的，先予发证，在三个月内组织现场核查。",
    ),
    "hr_service": Kind(
        name="经营性人力资源服务机构从事职业中介活动许可",
        type=pb.MATTER_TYPE_LICENSING,
        audiences=LEGAL_PERSON,
        item=(519, 1),
        promised=10,
        legal=20,
        online=True,
        depth=4,
        visits=0,
        express=True,
        result="人力资源服务许可证",
        themes=("准营准办", "人力资源"),
        life_events=("经营",),
        sub_audiences=("企业法人",),
        conditions=(
            "1. 有明确的章程和管理制度；\n"
            "2. 有开展业务必备的固定场所、办公设施和一定数额的开办资金；\n"
            "3. 有3名以上具备相应职业资格或者从事人力资源服务工作经历的专职工作人员；\n"
            "4. 法律、法规规定的其他条件。"
        ),
        process=(
            "1. 申请：通过湖北政务服务网在线申报，可选择告知承诺方式办理；\n"
            "2. 受理与审查；\n"
            "3. 决定：准予许可的颁发人力资源服务许可证；\n"
            "4. 公开：在政务服务网公布许可信息。"
        ),
        legal_basis="《人力资源市场暂行条例》第十八条、第十九条；《中华人民共和国就业促进法》。",
        materials=(
            _mat("M01", "人力资源服务许可申请书", template=True),
            _lic("M02", "营业执照"),
            _mat("M03", "机构章程和管理制度"),
            _mat("M04", "专职工作人员名单及相关证明", form=COPY),
            _mat("M05", "服务场所使用证明", form=COPY),
            _mat(
                "M06",
                "人力资源服务许可告知承诺书",
                necessity=CONDITIONAL,
                condition="选择告知承诺方式办理的",
                template=True,
            ),
        ),
        steps=_chain(
            10,
            "审查机构章程、管理制度、专职人员和服务场所。",
            "作出准予或不予许可决定，准予许可的颁发人力资源服务许可证并公开。",
        ),
    ),
    # --- 户籍与证件 ----------------------------------------------------------------------
    "id_renew": Kind(
        name="居民身份证换领",
        type=pb.MATTER_TYPE_PUBLIC_SERVICE,
        audiences=PERSON,
        item=(601, 1),
        promised=15,
        legal=60,
        unit=NATURAL_DAY,
        online=False,
        depth=2,
        visits=1,
        appointment=True,
        express=True,
        result="居民身份证",
        themes=("证件办理",),
        conditions=(
            "居民身份证有效期满、公民姓名变更或者证件严重损坏不能辨认的，应当申请换领新证；"
            "居民身份证登记项目出现错误的，公安机关应当及时更正，换发新证。"
            "可在全国任一户政窗口申请（跨省异地换领）。"
        ),
        process=(
            "1. 申请：本人到户政窗口提出申请，可通过“鄂汇办”APP预约；\n"
            "2. 采集：现场核验身份，采集人像和指纹信息；\n"
            "3. 受理：开具居民身份证领取凭证；\n"
            "4. 制证：公安机关审核签发、制作证件；\n"
            "5. 领取：凭领取凭证到受理窗口领取，或选择邮寄送达。"
        ),
        legal_basis="《中华人民共和国居民身份证法》第八条、第十条、第十一条、第二十条。",
        fees=(
            _fee(
                "居民身份证换领工本费",
                20,
                "《中华人民共和国居民身份证法》第二十条；"
                "《国家发展改革委 财政部关于居民身份证收费标准及有关问题的通知》（发改价格〔2003〕2322号）",
                "按证收取；城市最低生活保障对象和农村特殊困难居民换领时免收",
            ),
            _fee(
                "居民身份证损坏换领工本费",
                40,
                "《国家发展改革委 财政部关于居民身份证收费标准及有关问题的通知》（发改价格〔2003〕2322号）",
                "因证件损坏换领的按证收取",
            ),
        ),
        materials=(
            _mat("M01", "本人原居民身份证", standard="换领时交回原证；证件损坏的交回残证"),
            _mat("M02", "居民户口簿", necessity=CONDITIONAL, standard="核验原件"),
            _mat(
                "M03",
                "符合标准的本人近期免冠彩色相片",
                form=ELECTRONIC,
                necessity=OPTIONAL,
                standard="窗口现场免费采集，也可提交照相馆数码相片回执",
                types=("jpg", "png"),
            ),
            _mat("M04", "监护人居民身份证", necessity=CONDITIONAL, standard="核验原件"),
            _mat("M05", "监护关系证明（居民户口簿或出生医学证明）", necessity=CONDITIONAL),
            _mat("M06", "登记项目变更或者更正的证明", form=ORIGINAL_AND_COPY, necessity=CONDITIONAL),
        ),
        situations=(
            _sit(
                "S1",
                "换领的原因？",
                _opt("S1A", "有效期满"),
                _opt("S1B", "证件严重损坏不能辨认"),
                _opt("S1C", "姓名等登记项目变更或更正", ["M06"]),
            ),
            _sit(
                "S2",
                "在哪里申请？",
                _opt("S2A", "在户籍所在地申请", ["M02"]),
                _opt("S2B", "跨省或省内异地申请"),
            ),
            _sit(
                "S3",
                "申请人是否未满十六周岁？",
                _opt("S3A", "已满十六周岁"),
                _opt("S3B", "未满十六周岁（由监护人陪同）", ["M04", "M05"], ["guardian"]),
            ),
            _sit(
                "S4",
                "如何领取新证？",
                _opt("S4A", "到受理窗口领取"),
                _opt("S4B", "邮寄送达", (), ["mailing"]),
            ),
        ),
        form=_form(
            "居民身份证换领预约登记表",
            {
                "reason": _choice("换领原因", "有效期满", "证件损坏", "登记项目变更", "登记项目更正"),
                "appointment_date": _date("预约办理日期"),
                "pickup": _choice("领取方式", "窗口领取", "邮寄送达"),
                "guardian": GUARDIAN_SECTION,
                "mailing": MAILING_SECTION,
            },
            ["reason", "pickup"],
        ),
        steps=_chain(
            0,
            "审核申领信息和人像、指纹采集结果。",
            "签发居民身份证并交付制证。",
            accept="核验申请人身份，采集人像和指纹信息，开具居民身份证领取凭证。",
            review_name="审核",
            decide_name="签发",
        ),
        notice="未满十六周岁的申请人须由监护人陪同办理。",
        places=(HALL, _Place("{site}各公安派出所", "户籍窗口", STANDARD_HOURS)),
    ),
    "id_reissue": Kind(
        name="居民身份证补领",
        type=pb.MATTER_TYPE_PUBLIC_SERVICE,
        audiences=PERSON,
        item=(601, 2),
        promised=15,
        legal=60,
        unit=NATURAL_DAY,
        online=False,
        depth=2,
        visits=1,
        appointment=True,
        express=True,
        result="居民身份证",
        themes=("证件办理",),
        conditions=(
            "居民身份证丢失的，应当申请补领。申请补领时可同时申领临时居民身份证。"
            "可在全国任一户政窗口申请（跨省异地补领）。"
        ),
        process=(
            "1. 挂失：可通过“鄂汇办”APP或户政窗口申报挂失；\n"
            "2. 申请：本人到户政窗口提出补领申请，现场采集人像和指纹信息；\n"
            "3. 受理：开具居民身份证领取凭证，需要时同时办理临时居民身份证；\n"
            "4. 制证：公安机关审核签发、制作证件；\n"
            "5. 领取：凭领取凭证领取，或选择邮寄送达。"
        ),
        legal_basis=(
            "《中华人民共和国居民身份证法》第八条、第十条、第十一条、第二十条；《临时居民身份证管理办法》。"
        ),
        fees=(
            _fee(
                "居民身份证补领工本费",
                40,
                "《中华人民共和国居民身份证法》第二十条；"
                "《国家发展改革委 财政部关于居民身份证收费标准及有关问题的通知》（发改价格〔2003〕2322号）",
                "按证收取",
            ),
            _fee(
                "临时居民身份证工本费",
                10,
                "《国家发展改革委 财政部关于居民身份证收费标准及有关问题的通知》（发改价格〔2003〕2322号）",
                "同时申领临时居民身份证的按证收取",
            ),
        ),
        materials=(
            _mat(
                "M01",
                "居民身份证申领登记表",
                standard="由受理窗口根据申请人户籍信息打印，申请人核对无误后签字确认",
            ),
            _mat(
                "M02",
                "居民户口簿",
                necessity=CONDITIONAL,
                condition="在户籍所在地申请的；跨省或省内异地申请的无需提交",
                standard="核验原件",
            ),
            _mat(
                "M03",
                "符合标准的本人近期免冠彩色相片",
                form=ELECTRONIC,
                necessity=OPTIONAL,
                standard="窗口现场免费采集，也可提交照相馆数码相片回执",
                types=("jpg", "png"),
            ),
            _mat(
                "M04",
                "监护人居民身份证及监护关系证明",
                necessity=CONDITIONAL,
                condition="申请人未满十六周岁的",
            ),
        ),
        steps=_chain(
            0,
            "审核补领申请和人像、指纹采集结果，核查原证挂失情况。",
            "签发居民身份证并交付制证。",
            accept="核验申请人身份，采集人像和指纹信息，开具领取凭证；需要时同时办理临时居民身份证。",
            review_name="审核",
            decide_name="签发",
        ),
        notice="原证丢失后请尽快申报挂失，以免被他人冒用。",
        places=(HALL, _Place("{site}各公安派出所", "户籍窗口", STANDARD_HOURS)),
    ),
    "birth": Kind(
        name="出生登记",
        type=pb.MATTER_TYPE_CONFIRMATION,
        audiences=PERSON,
        item=(602, 1),
        promised=0,
        legal=0,
        online=True,
        depth=3,
        visits=1,
        appointment=True,
        result="居民户口簿（户口页）",
        themes=("户籍办理", "生育收养"),
        life_events=("出生",),
        sub_audiences=("妇女儿童",),
        conditions=(
            "婴儿出生后一个月以内，由户主、亲属、抚养人或者邻居向婴儿常住地户口登记机关申报出生登记。"
            "新生儿可随父或者随母登记常住户口。"
        ),
        process=(
            "1. 申请：通过“鄂汇办”APP“新生儿出生一件事”在线申报，或到户政窗口申请；\n"
            "2. 审核：民警核验《出生医学证明》及相关材料；\n"
            "3. 登记：符合条件的当场办理出生登记，签发居民户口簿户口页；\n"
            "4. 联办：同步办理医保参保登记和社会保障卡申领。"
        ),
        legal_basis=(
            "《中华人民共和国户口登记条例》第七条；"
            "《国务院关于进一步推进户籍制度改革的意见》（国发〔2014〕25号）。"
        ),
        materials=(
            _lic("M01", "出生医学证明", "《出生医学证明》"),
            _lic("M02", "居民户口簿", "新生儿随其落户一方的居民户口簿"),
            _lic("M03", "居民身份证", "父母双方居民身份证"),
            _lic("M04", "结婚证", "父母的结婚证", necessity=CONDITIONAL),
            _mat("M05", "非婚生育情况说明", necessity=CONDITIONAL, template=True),
            _mat("M06", "申报人居民身份证", form=ORIGINAL_AND_COPY, necessity=CONDITIONAL),
            _mat("M07", "父母委托申报的书面材料", necessity=CONDITIONAL, template=True),
        ),
        situations=(
            _sit(
                "S1",
                "新生儿父母的婚姻状况？",
                _opt("S1A", "婚内生育", ["M04"]),
                _opt("S1B", "非婚生育", ["M05"]),
            ),
            _sit(
                "S2",
                "由谁申报？",
                _opt("S2A", "父亲或母亲"),
                _opt("S2B", "其他亲属、抚养人或者邻居", ["M06", "M07"], ["declarant"]),
            ),
        ),
        form=_form(
            "出生登记申报表",
            {
                "baby": _obj(
                    "新生儿信息",
                    {
                        "name": _s("姓名", 50),
                        "gender": _choice("性别", "男", "女"),
                        "birth_date": _date("出生日期"),
                        "birth_place": _s("出生地", 100),
                        "ethnicity": _s("民族", 20),
                        "birth_certificate_number": _s("《出生医学证明》编号", 20),
                    },
                    ["name", "gender", "birth_date", "birth_place", "ethnicity", "birth_certificate_number"],
                ),
                "settle_with": _choice("随父或随母落户", "随父", "随母"),
                "household_address": _s("落户地址", 200),
                "joint_services": _choices(
                    "同步办理", "城乡居民基本医疗保险参保登记", "社会保障卡申领", "预防接种证办理"
                ),
                "declarant": _person(
                    "申报人信息",
                    relationship=_choice("与新生儿关系", "祖父母、外祖父母", "其他亲属", "抚养人", "邻居"),
                ),
            },
            ["baby", "settle_with", "household_address"],
        ),
        steps=_instant(
            "民警核验《出生医学证明》等材料，符合条件的当场办理出生登记并签发户口页。", "受理并登记"
        ),
        notice="婴儿出生后一个月以内申报；超过一个月的，按规定说明情况后补办。",
        places=(HALL, _Place("{site}各公安派出所", "户籍窗口", STANDARD_HOURS)),
    ),
    "hukou_move": Kind(
        name="户口迁移（迁入）",
        type=pb.MATTER_TYPE_CONFIRMATION,
        audiences=PERSON,
        item=(602, 2),
        promised=1,
        legal=5,
        online=True,
        depth=3,
        visits=1,
        appointment=True,
        result="居民户口簿（户口页）",
        themes=("户籍办理",),
        life_events=("就业", "置业"),
        sub_audiences=("学生",),
        conditions=(
            "符合当地落户政策（合法稳定住所、合法稳定就业、投靠直系亲属、高校毕业生等）的人员，"
            "可申请将常住户口迁入。省内迁移和跨省迁移实行“一站式”办理，无需到迁出地开具迁移证。"
        ),
        process=(
            "1. 申请：到迁入地户政窗口提出申请，或通过“鄂汇办”APP在线申请；\n"
            "2. 审核：迁入地公安机关审核落户条件；\n"
            "3. 办理：符合条件的办理迁入登记，并通过系统通知迁出地注销原户口；\n"
            "4. 领证：签发居民户口簿户口页。"
        ),
        legal_basis=(
            "《中华人民共和国户口登记条例》第十条、第十三条；"
            "《国务院关于进一步推进户籍制度改革的意见》（国发〔2014〕25号）。"
        ),
        materials=(
            _mat("M01", "户口迁移申请表", template=True),
            _lic("M02", "居民身份证", "本人居民身份证"),
            _lic("M03", "居民户口簿", "本人居民户口簿"),
            _lic("M04", "不动产权证书", "合法稳定住所的不动产权证书", necessity=CONDITIONAL),
            _mat("M05", "与被投靠人的亲属关系证明", form=ORIGINAL_AND_COPY, necessity=CONDITIONAL),
            _mat("M06", "户主同意落户的书面意见", necessity=CONDITIONAL, template=True),
            _mat("M07", "劳动合同", form=COPY, necessity=CONDITIONAL),
            _shared(
                "M08",
                "社会保险缴纳记录",
                "通过人社部门共享核验，无需提交",
                necessity=CONDITIONAL,
            ),
            _lic("M09", "普通高等教育毕业证书", "毕业证书", necessity=CONDITIONAL),
        ),
        situations=(
            _sit(
                "S1",
                "以何种条件落户？",
                _opt("S1A", "合法稳定住所（购房）", ["M04"], ["property"]),
                _opt("S1B", "投靠直系亲属", ["M05", "M06"], ["relative"]),
                _opt("S1C", "合法稳定就业", ["M07", "M08"], ["employment"]),
                _opt("S1D", "高校毕业生", ["M09"], ["graduate"]),
            ),
        ),
        form=_form(
            "户口迁移申请表",
            {
                "move_from": _s("迁出地（原户籍地址）", 200),
                "move_to": _s("迁入地址", 200),
                "members": _list(
                    "随迁人员",
                    _obj(
                        "随迁人员",
                        {
                            "name": _s("姓名", 50),
                            "relationship": _s("与申请人关系", 20),
                            "id_number": _s("公民身份号码", 18, pattern=ID_NUMBER),
                        },
                        ["name", "relationship", "id_number"],
                    ),
                ),
                "property": _obj(
                    "住所信息",
                    {"certificate_number": _s("不动产权证书号", 50), "address": _s("房屋坐落", 200)},
                    ["certificate_number", "address"],
                ),
                "relative": _obj(
                    "被投靠人信息",
                    {
                        "name": _s("姓名", 50),
                        "id_number": _s("公民身份号码", 18, pattern=ID_NUMBER),
                        "relationship": _choice("与申请人关系", "配偶", "父母", "子女"),
                    },
                    ["name", "id_number", "relationship"],
                ),
                "employment": _obj(
                    "就业信息",
                    {"employer": _s("工作单位", 100), "contract_start": _date("劳动合同起始日期")},
                    ["employer", "contract_start"],
                ),
                "graduate": _obj(
                    "毕业信息",
                    {"school": _s("毕业院校", 100), "graduation_date": _date("毕业时间")},
                    ["school", "graduation_date"],
                ),
            },
            ["move_from", "move_to"],
        ),
        steps=_chain(
            1,
            "审核落户条件和迁入地址，核查迁出地户籍信息。",
            "办理迁入登记，通知迁出地注销原户口。",
            review_name="审核",
            decide_name="登记",
        ),
        notice="跨省迁移无需回迁出地开具准予迁入证明和迁移证，由迁入地公安机关一站式办理。",
    ),
    "marriage": Kind(
        name="结婚登记（内地居民）",
        type=pb.MATTER_TYPE_CONFIRMATION,
        audiences=PERSON,
        item=(701, 1),
        promised=0,
        legal=0,
        online=False,
        depth=1,
        visits=1,
        appointment=True,
        result="结婚证",
        themes=("婚姻登记",),
        life_events=("婚育",),
        conditions=(
            "1. 男方年满二十二周岁，女方年满二十周岁；\n"
            "2. 男女双方完全自愿；\n"
            "3. 双方均无配偶；\n"
            "4. 双方没有直系血亲和三代以内旁系血亲关系。\n"
            "男女双方须共同亲自到婚姻登记机关办理。"
        ),
        process=(
            "1. 预约：通过“鄂汇办”APP或湖北政务服务网预约登记日期，也可现场取号；\n"
            "2. 申请：男女双方共同填写《申请结婚登记声明书》；\n"
            "3. 审查：婚姻登记员核验身份证件，询问相关情况；\n"
            "4. 登记：符合条件的当场予以登记，颁发结婚证，可选择参加颁证仪式。"
        ),
        legal_basis="《中华人民共和国民法典》第一千零四十六条至第一千零四十九条；《婚姻登记条例》。",
        materials=(
            _mat("M01", "男女双方本人有效居民身份证", standard="核验原件，证件应在有效期内"),
            _mat(
                "M02",
                "申请结婚登记声明书",
                copies=2,
                standard="双方现场填写并在登记员面前签字，声明本人无配偶以及与对方没有直系血亲和三代以内旁系血亲关系",
                template=True,
            ),
            _mat(
                "M03",
                "双方近期半身免冠合影2寸照片",
                copies=2,
                standard="红色背景，可在登记处现场拍摄",
            ),
        ),
        steps=_instant("婚姻登记员核验双方身份证件和声明书，询问相关情况，符合条件的当场登记并颁发结婚证。"),
        notice="男女双方须共同亲自到场，不能委托他人代办。",
        places=(
            _Place(
                "{site}婚姻登记处",
                "结婚登记窗口",
                STANDARD_HOURS + "（周末及法定节假日不办理）",
            ),
        ),
    ),
    # --- 社会保障与就业 ------------------------------------------------------------------
    "ss_card": Kind(
        name="社会保障卡申领",
        type=pb.MATTER_TYPE_PUBLIC_SERVICE,
        audiences=PERSON,
        item=(801, 1),
        promised=0,
        legal=0,
        online=True,
        depth=4,
        visits=0,
        express=True,
        result="社会保障卡",
        themes=("社会保障",),
        life_events=("出生", "就业", "就医"),
        conditions=(
            "在本省参加社会保险且尚未持有社会保障卡的人员（含新生儿、在校学生、外籍参保人员）可申领；"
            "已持有第二代社会保障卡的可申请换领第三代社会保障卡。"
        ),
        process=(
            "1. 申请：到社会保障卡服务网点、合作银行网点申请，或通过“鄂汇办”APP、电子社保卡在线申请；\n"
            "2. 核验：核验参保信息和照片；\n"
            "3. 制卡：即时制卡网点当场制卡发卡，在线申请的制卡后邮寄或到指定网点领取；\n"
            "4. 启用：本人设置密码并激活金融功能。"
        ),
        legal_basis="《中华人民共和国社会保险法》第五十八条。",
        materials=(
            _lic("M01", "居民身份证", "本人有效身份证件"),
            _mat(
                "M02",
                "本人近期免冠彩色证件照",
                form=ELECTRONIC,
                standard="白色背景，可现场采集或在线上传",
                types=("jpg", "png"),
            ),
            _mat("M03", "代办人身份证件", necessity=CONDITIONAL, condition="他人代办的"),
            _mat(
                "M04",
                "监护关系证明（居民户口簿或出生医学证明）",
                necessity=CONDITIONAL,
                condition="为未成年人申领、由监护人代办的",
            ),
        ),
        steps=_instant("核验参保信息和照片，即时制卡网点当场制发社会保障卡。", "受理并制卡"),
        places=(HALL, _Place("{site}社会保障卡合作银行网点", "社保卡服务窗口", "以各网点营业时间为准")),
    ),
    "ss_record": Kind(
        name="社会保险个人权益记录查询打印",
        type=pb.MATTER_TYPE_PUBLIC_SERVICE,
        audiences=PERSON,
        item=(801, 2),
        promised=0,
        legal=0,
        online=True,
        depth=4,
        visits=0,
        result="社会保险个人权益记录（参保证明）",
        themes=("社会保障",),
        life_events=("就业", "退休"),
        conditions="参加社会保险的个人可以查询、打印本人参保缴费、待遇享受等个人权益记录。",
        process=(
            "1. 线上：登录湖北政务服务网、“鄂汇办”APP或电子社保卡，在线查询并下载带电子印章的参保证明；\n"
            "2. 线下：持身份证件到社保经办窗口或自助终端查询打印。"
        ),
        legal_basis=(
            "《中华人民共和国社会保险法》第七十四条；"
            "《社会保险个人权益记录管理办法》（人力资源和社会保障部令第14号）。"
        ),
        materials=(
            _lic("M01", "社会保障卡", "本人社会保障卡或有效身份证件"),
            _proxy_letter("M02"),
        ),
        steps=_instant("核验身份后即时查询并出具带电子印章的参保证明。", "受理并出具"),
    ),
    "unemployment": Kind(
        name="失业保险金申领",
        type=pb.MATTER_TYPE_BENEFIT,
        audiences=PERSON,
        item=(802, 1),
        promised=3,
        legal=10,
        online=True,
        depth=4,
        visits=0,
        result="失业保险待遇核定通知书",
        themes=("社会保障", "就业创业"),
        life_events=("就业",),
        conditions=(
            "同时具备下列条件的失业人员：\n"
            "1. 失业前用人单位和本人已经缴纳失业保险费满一年；\n"
            "2. 非因本人意愿中断就业；\n"
            "3. 已经进行失业登记，并有求职要求。"
        ),
        process=(
            "1. 申请：通过“鄂汇办”APP、湖北政务服务网、电子社保卡或到窗口申请；\n"
            "2. 审核：经办机构核验参保缴费、离职原因和失业登记信息；\n"
            "3. 核定：符合条件的核定领取期限和标准；\n"
            "4. 发放：按月发放至本人社会保障卡金融账户，并代缴领取期间的基本医疗保险费。"
        ),
        legal_basis=(
            "《中华人民共和国社会保险法》第四十五条至第四十八条；《失业保险条例》第十四条；"
            "《失业保险金申领发放办法》。"
        ),
        materials=(
            _lic("M01", "社会保障卡", "本人社会保障卡或有效身份证件"),
            _shared(
                "M02",
                "终止或者解除劳动关系证明",
                "由用人单位通过系统报送，经办机构共享核验，无需提交纸质材料",
            ),
            _shared("M03", "失业登记信息", "通过公共就业服务系统共享核验，无需提交"),
        ),
        form=_form(
            "失业保险金申领表",
            {
                "last_employer": _s("原工作单位", 100),
                "separation_date": _date("离职日期"),
                "separation_reason": _choice(
                    "离职原因",
                    "劳动合同期满终止",
                    "用人单位解除劳动合同",
                    "被用人单位开除、除名或辞退",
                    "因用人单位过错本人解除劳动合同",
                    "其他非本人意愿中断就业",
                ),
                "job_intention": _s("求职意向", 200),
                "payment": _choice("发放账户", "本人社会保障卡金融账户", "本人其他一类银行账户"),
            },
            ["last_employer", "separation_date", "separation_reason", "payment"],
        ),
        steps=_chain(
            3,
            "核验参保缴费年限、离职原因和失业登记信息。",
            "核定领取期限和标准，按月发放失业保险金。",
            review_name="审核",
            decide_name="核定",
        ),
        notice="领取失业保险金期间重新就业、应征服兵役或享受基本养老保险待遇的，停止领取。",
    ),
    "unemployment_reg": Kind(
        name="失业登记",
        type=pb.MATTER_TYPE_PUBLIC_SERVICE,
        audiences=PERSON,
        item=(802, 2),
        promised=0,
        legal=0,
        online=True,
        depth=4,
        visits=0,
        result="就业失业登记证明（电子）",
        themes=("就业创业",),
        life_events=("就业",),
        sub_audiences=("学生",),
        conditions=(
            "法定劳动年龄内、有劳动能力、有就业要求、处于无业状态的城乡劳动者，可以在常住地进行失业登记。"
        ),
        process=(
            "1. 申请：通过“鄂汇办”APP、湖北政务服务网或到窗口申请；\n"
            "2. 登记：核验就业状态后即时办理失业登记；\n"
            "3. 服务：提供职业指导、职业介绍、职业培训等公共就业服务。"
        ),
        legal_basis="《中华人民共和国就业促进法》；《就业服务与就业管理规定》。",
        materials=(_lic("M01", "居民身份证", "本人有效身份证件或社会保障卡"),),
        steps=_instant("核验就业状态后即时办理失业登记。", "受理并登记"),
    ),
    "hpf_buy": Kind(
        name="住房公积金提取（购买自住住房）",
        type=pb.MATTER_TYPE_PUBLIC_SERVICE,
        audiences=PERSON,
        item=(903, 1),
        promised=1,
        legal=3,
        online=True,
        depth=4,
        visits=0,
        result="住房公积金提取业务凭证",
        themes=("住房保障",),
        life_events=("置业",),
        conditions=(
            "缴存职工购买、建造、翻建、大修自住住房的，可以提取本人及配偶住房公积金账户内的存储余额，"
            "提取金额不超过实际支付的购房款。"
        ),
        process=(
            "1. 申请：通过公积金网上服务大厅、手机公积金APP、“鄂汇办”APP或到窗口申请；\n"
            "2. 审核：核验房屋交易、婚姻等共享信息；\n"
            "3. 决定：自受理之日起3日内作出准予提取或者不准提取的决定；\n"
            "4. 转账：提取资金转入本人银行账户。"
        ),
        legal_basis="《住房公积金管理条例》第二十四条。",
        materials=(
            _lic("M01", "居民身份证", "本人居民身份证"),
            _shared(
                "M02",
                "商品房买卖合同备案信息",
                "已联网备案的通过住建部门共享核验，无需提交",
                necessity=CONDITIONAL,
            ),
            _lic("M03", "不动产权证书", necessity=CONDITIONAL),
            _mat("M04", "建设工程规划许可证或乡村建设规划许可证", form=COPY, necessity=CONDITIONAL),
            _mat(
                "M05",
                "购房或建房款支付凭证",
                form=ORIGINAL_AND_COPY,
                standard="购房发票、首付款收据或施工费用发票，金额与申请提取金额相符",
            ),
            _lic("M06", "结婚证", necessity=CONDITIONAL),
            _mat("M07", "配偶居民身份证", form=COPY, necessity=CONDITIONAL),
            _mat("M08", "本人一类银行卡", form=COPY, standard="户名为申请人本人"),
        ),
        situations=(
            _sit(
                "S1",
                "房屋属于哪种情况？",
                _opt("S1A", "购买新建商品房", ["M02"], ["house"]),
                _opt("S1B", "购买二手房", ["M03"], ["house"]),
                _opt("S1C", "建造、翻建、大修自住住房", ["M04"], ["self_build"]),
            ),
            _sit(
                "S2",
                "是否同时提取配偶的住房公积金？",
                _opt("S2A", "否"),
                _opt("S2B", "是", ["M06", "M07"], ["spouse"]),
            ),
        ),
        form=_form(
            "住房公积金提取申请表",
            {
                "amount": _num("申请提取金额（元）", positive=True),
                "bank_account": BANK_ACCOUNT,
                "house": _obj(
                    "房屋信息",
                    {
                        "address": _s("房屋坐落", 200),
                        "area": _num("建筑面积（平方米）", positive=True),
                        "total_price": _num("房屋总价（元）", positive=True),
                        "contract_number": _s("购房合同编号或不动产权证书号", 50),
                    },
                    ["address", "area", "total_price", "contract_number"],
                ),
                "self_build": _obj(
                    "建房信息",
                    {
                        "permit_number": _s("规划许可证号", 50),
                        "address": _s("房屋坐落", 200),
                        "budget": _num("工程费用（元）", positive=True),
                    },
                    ["permit_number", "address", "budget"],
                ),
                "spouse": _obj(
                    "配偶信息",
                    {
                        "name": _s("配偶姓名", 50),
                        "id_number": _s("配偶公民身份号码", 18, pattern=ID_NUMBER),
                        "account_number": _s("配偶住房公积金个人账号", 30),
                    },
                    ["name", "id_number"],
                ),
            },
            ["amount", "bank_account"],
        ),
        steps=_chain(
            1,
            "核验房屋交易、婚姻和缴存信息，计算可提取金额。",
            "作出准予提取或者不准提取的决定，准予的将资金转入申请人银行账户。",
            review_name="审核",
        ),
        notice="同一套住房的购房款，本人及配偶提取总额不超过实际支付的购房款。",
    ),
    "hpf_retire": Kind(
        name="住房公积金提取（离休、退休）",
        type=pb.MATTER_TYPE_PUBLIC_SERVICE,
        audiences=PERSON,
        item=(903, 2),
        promised=0,
        legal=3,
        online=True,
        depth=4,
        visits=0,
        result="住房公积金提取业务凭证",
        themes=("住房保障", "离职退休"),
        life_events=("退休",),
        sub_audiences=("老年人",),
        conditions=(
            "缴存职工离休、退休的，可以提取本人住房公积金账户内的全部存储余额，同时注销住房公积金账户。"
        ),
        process=(
            "1. 申请：通过手机公积金APP、“鄂汇办”APP或到窗口申请；\n"
            "2. 审核：核验退休信息；\n"
            "3. 办结：即时办结，销户提取资金转入本人银行账户。"
        ),
        legal_basis="《住房公积金管理条例》第二十四条。",
        materials=(
            _lic("M01", "居民身份证", "本人居民身份证"),
            _shared("M02", "离退休证明", "通过社会保险退休信息共享核验，无需提交"),
            _mat("M03", "本人一类银行卡", form=COPY, standard="户名为申请人本人"),
        ),
        steps=_instant("核验退休信息后即时办结，销户提取资金转入本人银行账户。"),
    ),
    "hpf_rent": Kind(
        name="住房公积金提取（租赁住房）",
        type=pb.MATTER_TYPE_PUBLIC_SERVICE,
        audiences=PERSON,
        item=(903, 3),
        promised=1,
        legal=3,
        online=True,
        depth=4,
        visits=0,
        result="住房公积金提取业务凭证",
        themes=("住房保障",),
        life_events=("就业",),
        sub_audiences=("学生",),
        conditions="缴存职工及其配偶在缴存地无自有住房且租赁住房的，可以按规定提取住房公积金支付房租。",
        process=(
            "1. 申请：通过手机公积金APP、“鄂汇办”APP或到窗口申请；\n"
            "2. 审核：核验住房及租赁备案信息；\n"
            "3. 决定：自受理之日起3日内作出准予提取或者不准提取的决定；\n"
            "4. 转账：提取资金转入本人银行账户，可按月或按年提取。"
        ),
        legal_basis="《住房公积金管理条例》第二十四条。",
        materials=(
            _lic("M01", "居民身份证", "本人居民身份证"),
            _mat("M02", "无房声明", standard="不动产登记信息通过共享核验", template=True),
            _mat(
                "M03",
                "房屋租赁合同",
                form=COPY,
                necessity=CONDITIONAL,
                condition="按实际房租提取（超出当地定额标准）的",
            ),
            _mat("M04", "本人一类银行卡", form=COPY, standard="户名为申请人本人"),
        ),
        form=_form(
            "租房提取住房公积金申请表",
            {
                "mode": _choice("提取方式", "按当地定额标准提取", "按实际房租提取"),
                "frequency": _choice("提取频次", "按月", "按年"),
                "rental_address": _s("租赁房屋坐落", 200),
                "monthly_rent": _num("月租金（元）", positive=True),
                "bank_account": BANK_ACCOUNT,
            },
            ["mode", "frequency", "rental_address", "bank_account"],
        ),
        steps=_chain(
            1,
            "核验缴存职工及配偶的住房和租赁备案信息。",
            "作出准予提取或者不准提取的决定。",
            review_name="审核",
        ),
    ),
    # --- 社会救助与福利 ------------------------------------------------------------------
    "dibao": Kind(
        name="最低生活保障审批",
        type=pb.MATTER_TYPE_BENEFIT,
        audiences=PERSON,
        item=(1001, 1),
        promised=20,
        legal=30,
        online=True,
        depth=3,
        visits=1,
        result="最低生活保障金领取证",
        themes=("社会保障",),
        sub_audiences=("低收入群体", "残疾人"),
        conditions=(
            "共同生活的家庭成员人均收入低于当地最低生活保障标准，且家庭财产状况符合当地规定的本地户籍家庭，"
            "可以申请最低生活保障。持有居住证的，可以按当地规定在居住地申请。"
        ),
        process=(
            "1. 申请：向户籍所在地街道办事处（乡镇人民政府）提出，也可通过湖北政务服务网、“鄂汇办”APP在线申请；\n"
            "2. 调查核实：入户调查，并开展家庭经济状况信息核对；\n"
            "3. 审核确认：对拟纳入对象在村（社区）公示7天，无异议的予以确认；\n"
            "4. 发放：自批准之月起按月发放最低生活保障金；\n"
            "5. 动态管理：定期核查，家庭情况发生变化的应及时报告。"
        ),
        legal_basis=(
            "《社会救助暂行办法》第九条至第十三条；《最低生活保障审核确认办法》（民发〔2021〕57号）。"
        ),
        materials=(
            _mat(
                "M01",
                "最低生活保障申请书（含家庭经济状况核查授权书）",
                standard="共同生活的家庭成员均须签字授权核查家庭经济状况",
                template=True,
            ),
            _lic("M02", "居民户口簿", "共同生活家庭成员的居民户口簿"),
            _mat("M03", "家庭成员收入和财产状况说明", template=True),
            _lic("M04", "残疾人证", necessity=CONDITIONAL),
            _mat("M05", "重病诊断证明及医疗费用票据", form=COPY, necessity=CONDITIONAL),
            _lic("M06", "居住证", necessity=CONDITIONAL),
        ),
        situations=(
            _sit(
                "S1",
                "共同生活的家庭成员中是否有以下情况？（可多选）",
                _opt("S1A", "有残疾人", ["M04"]),
                _opt("S1B", "有重病患者", ["M05"], ["illness"]),
                _opt("S1C", "无上述情况"),
                multiple=True,
            ),
            _sit(
                "S2",
                "在哪里申请？",
                _opt("S2A", "户籍所在地"),
                _opt("S2B", "持居住证在经常居住地", ["M06"], ["residence"]),
            ),
        ),
        form=_form(
            "最低生活保障申请表",
            {
                "reason": _s("申请理由", 1000),
                "members": _list(
                    "共同生活家庭成员",
                    _obj(
                        "家庭成员",
                        {
                            "name": _s("姓名", 50),
                            "relationship": _s("与申请人关系", 20),
                            "id_number": _s("公民身份号码", 18, pattern=ID_NUMBER),
                            "employment": _choice(
                                "就业状况", "在职", "灵活就业", "失业", "退休", "在校学生", "无劳动能力"
                            ),
                            "monthly_income": _num("月收入（元）"),
                        },
                        ["name", "relationship", "id_number", "employment", "monthly_income"],
                    ),
                    min_items=1,
                ),
                "assets": _obj(
                    "家庭财产状况",
                    {
                        "housing": _choice("住房情况", "自有住房一套", "自有住房两套及以上", "租住", "借住"),
                        "vehicles": _int("机动车数量"),
                        "deposits": _num("存款及有价证券（元）"),
                    },
                    ["housing", "vehicles", "deposits"],
                ),
                "bank_account": BANK_ACCOUNT,
                "illness": _obj(
                    "重病情况",
                    {
                        "patient": _s("患者姓名", 50),
                        "disease": _s("所患疾病", 100),
                        "annual_medical_cost": _num("年度自付医疗费用（元）"),
                    },
                    ["patient", "disease"],
                ),
                "residence": _obj(
                    "居住地信息",
                    {"permit_number": _s("居住证号码", 30), "address": _s("经常居住地址", 200)},
                    ["permit_number", "address"],
                ),
            },
            ["reason", "members", "assets", "bank_account"],
        ),
        steps=(
            _Step(
                "accept",
                "受理",
                "window_clerk",
                1,
                "街道（乡镇）便民服务中心受理申请，材料不齐全的一次性告知。",
            ),
            _Step(
                "investigate",
                "调查核实",
                "reviewer",
                12,
                "入户调查家庭经济状况，通过居民家庭经济状况核对平台核对收入和财产信息。",
            ),
            _Step("publicise", "公示", "reviewer", 5, "对拟纳入对象在村（社区）公示7天。"),
            _Step(
                "decide",
                "审核确认",
                "approver",
                2,
                "公示无异议的予以确认，自批准之月起发放；不予确认的书面说明理由。",
            ),
        ),
        special_procedure="公示：拟纳入对象在村（社区）公示7天，公示有异议的重新调查核实。",
        notice="申请人应如实申报家庭收入和财产状况，并配合入户调查；隐瞒或虚报的将依法追回已领取的保障金。",
        places=(
            HALL,
            _Place("{site}各街道办事处（乡镇人民政府）", "便民服务中心社会救助窗口", STANDARD_HOURS),
        ),
    ),
    "special_poverty": Kind(
        name="特困人员认定",
        type=pb.MATTER_TYPE_BENEFIT,
        audiences=PERSON,
        item=(1001, 2),
        promised=15,
        legal=20,
        online=True,
        depth=3,
        visits=1,
        result="特困人员救助供养证",
        themes=("社会保障",),
        sub_audiences=("老年人", "残疾人", "妇女儿童"),
        conditions=(
            "同时具备以下条件的老年人、残疾人和未成年人：\n"
            "1. 无劳动能力；\n"
            "2. 无生活来源；\n"
            "3. 无法定赡养、抚养、扶养义务人，或者其法定义务人无履行义务能力。"
        ),
        process=(
            "1. 申请：向户籍所在地街道办事处（乡镇人民政府）提出；\n"
            "2. 审核：入户调查并在村（社区）公示；\n"
            "3. 确认：区民政局作出确认决定；\n"
            "4. 供养：自批准之月起给予基本生活、照料护理等救助供养。"
        ),
        legal_basis="《社会救助暂行办法》第十四条至第十九条；《特困人员认定办法》（民发〔2021〕43号）。",
        materials=(
            _mat("M01", "特困人员救助供养申请书", template=True),
            _lic("M02", "居民户口簿", "本人居民户口簿或居民身份证"),
            _mat("M03", "本人收入和财产状况说明", template=True),
            _lic("M04", "残疾人证", necessity=CONDITIONAL, condition="申请人为残疾人的"),
        ),
        steps=_chain(
            15,
            "入户调查申请人的劳动能力、生活来源和法定义务人情况，在村（社区）公示。",
            "区民政局作出确认决定，符合条件的自批准之月起给予救助供养。",
            review_name="调查审核",
            decide_name="确认",
        ),
        special_procedure="公示：调查结果在村（社区）公示7天，公示有异议的重新调查核实。",
        places=(
            HALL,
            _Place("{site}各街道办事处（乡镇人民政府）", "便民服务中心社会救助窗口", STANDARD_HOURS),
        ),
    ),
    "temp_assistance": Kind(
        name="临时救助",
        type=pb.MATTER_TYPE_BENEFIT,
        audiences=PERSON,
        item=(1001, 3),
        promised=5,
        legal=0,
        online=True,
        depth=3,
        visits=1,
        result="临时救助审批结果通知",
        themes=("社会保障",),
        life_events=("就医",),
        sub_audiences=("低收入群体",),
        conditions=(
            "因火灾、交通事故等意外事件，家庭成员突发重大疾病等原因，导致基本生活暂时出现严重困难的家庭，"
            "或者因生活必需支出突然增加超出家庭承受能力，导致基本生活暂时出现严重困难的最低生活保障家庭。"
        ),
        process=(
            "1. 申请：向街道办事处（乡镇人民政府）或区民政局提出，也可在线申请；\n"
            "2. 审核：调查核实家庭困难情况；\n"
            "3. 审批：确定救助方式和金额；\n"
            "4. 发放：救助金发放至申请人银行账户，或提供实物救助、转介服务。"
        ),
        legal_basis="《社会救助暂行办法》第四十七条至第五十条。",
        materials=(
            _mat("M01", "临时救助申请书", template=True),
            _lic("M02", "居民身份证", "申请人居民身份证或居民户口簿"),
            _mat(
                "M03",
                "导致生活困难的相关证明材料",
                form=COPY,
                standard="医疗费用票据、事故证明、火灾证明等；情况紧急的可先行救助，事后补齐",
            ),
        ),
        steps=_chain(
            5,
            "调查核实家庭困难情况，确定救助方式和金额。",
            "作出救助决定，救助金发放至申请人银行账户。",
            review_name="调查核实",
            decide_name="审批",
        ),
        special_procedure="先行救助：情况紧急的，先行救助，事后补充材料和审批手续。",
        places=(
            HALL,
            _Place("{site}各街道办事处（乡镇人民政府）", "便民服务中心社会救助窗口", STANDARD_HOURS),
        ),
    ),
    "elderly_allowance": Kind(
        name="高龄津贴发放",
        type=pb.MATTER_TYPE_BENEFIT,
        audiences=PERSON,
        item=(1002, 1),
        promised=10,
        legal=0,
        online=True,
        depth=4,
        visits=0,
        result="高龄津贴发放通知",
        themes=("社会保障", "优待抚恤"),
        life_events=("退休",),
        sub_audiences=("老年人",),
        conditions=(
            "具有本区户籍、年满80周岁的老年人，可以申请高龄津贴。津贴按年龄段分档发放，"
            "标准以当地人民政府公布的为准。"
        ),
        process=(
            "1. 申请：本人或家属向户籍所在社区（村）或街道（乡镇）便民服务中心申请，也可在线申请；\n"
            "2. 初审：街道（乡镇）核实年龄和户籍信息；\n"
            "3. 审批：区民政局审核确认；\n"
            "4. 发放：自审批次月起按月发放至本人社会保障卡；\n"
            "5. 核查：定期开展生存认证，享受对象去世或户籍迁出的停止发放。"
        ),
        legal_basis="《中华人民共和国老年人权益保障法》第三十三条。",
        materials=(
            _mat("M01", "高龄津贴申请表", template=True),
            _lic("M02", "居民身份证", "老年人本人居民身份证"),
            _lic("M03", "社会保障卡", "老年人本人社会保障卡"),
            _mat("M04", "代办人居民身份证", form=COPY, necessity=CONDITIONAL),
        ),
        situations=(
            _sit(
                "S1",
                "由谁申请？",
                _opt("S1A", "老年人本人"),
                _opt("S1B", "家属或其他人代办", ["M04"], ["agent"]),
            ),
        ),
        form=_form(
            "高龄津贴申请表",
            {
                "address": _s("现居住地址", 200),
                "contact_mobile": _s("联系电话", 11, pattern=MOBILE),
                "living": _choice("居住情况", "独居", "与配偶同住", "与子女同住", "入住养老机构"),
                "agent": _person(
                    "代办人信息",
                    relationship=_choice("与老年人关系", "配偶", "子女", "其他亲属", "社区工作人员"),
                ),
            },
            ["address", "contact_mobile"],
        ),
        steps=_chain(
            10,
            "街道（乡镇）核实申请人年龄和户籍信息。",
            "区民政局审核确认，自审批次月起按月发放。",
            review_name="初审",
            decide_name="审批",
        ),
        notice="享受高龄津贴的老年人每年需完成一次生存认证，可通过“鄂汇办”APP刷脸认证。",
    ),
    "disability_card": Kind(
        name="残疾人证办理",
        type=pb.MATTER_TYPE_PUBLIC_SERVICE,
        audiences=PERSON,
        item=(1003, 1),
        promised=10,
        legal=0,
        online=True,
        depth=3,
        visits=1,
        express=True,
        result="中华人民共和国残疾人证",
        themes=("证件办理", "社会保障"),
        life_events=("就医",),
        sub_audiences=("残疾人",),
        conditions=(
            "具有本区户籍，存在视力、听力、言语、肢体、智力、精神残疾或者多重残疾，"
            "经评定符合《残疾人残疾分类和分级》（GB/T 26341-2010）标准的人员。"
        ),
        process=(
            "1. 申请：向户籍所在地区残联提出，或通过全国残疾人证网上申领平台、“鄂汇办”APP在线申请；\n"
            "2. 评定：持残疾评定表到指定医疗机构进行残疾评定；\n"
            "3. 审核：区残联审核评定结果；\n"
            "4. 发证：审核通过的制发第三代中华人民共和国残疾人证（智能化残疾人证）。"
        ),
        legal_basis=(
            "《中华人民共和国残疾人保障法》；《中华人民共和国残疾人证管理办法》；"
            "《残疾人残疾分类和分级》（GB/T 26341-2010）。"
        ),
        materials=(
            _mat("M01", "残疾人证申请表", template=True),
            _lic("M02", "居民身份证", "本人居民身份证或居民户口簿"),
            _mat("M03", "本人近期二寸免冠彩色照片", copies=3, standard="白色背景"),
            _mat("M04", "病历、诊断证明等医学资料", form=COPY, necessity=CONDITIONAL),
            _mat("M05", "监护人居民身份证及监护关系证明", form=ORIGINAL_AND_COPY, necessity=CONDITIONAL),
        ),
        situations=(
            _sit(
                "S1",
                "申请评定的残疾类别？（可多选）",
                _opt("S1A", "视力、听力、言语或肢体残疾"),
                _opt("S1B", "智力或精神残疾", ["M04"]),
                multiple=True,
            ),
            _sit(
                "S2",
                "由谁申请？",
                _opt("S2A", "本人申请"),
                _opt("S2B", "监护人代为申请", ["M05"], ["guardian"]),
            ),
        ),
        form=_form(
            "残疾人证申请表",
            {
                "application_type": _choice("申请类型", "新办", "换领", "补办", "迁移"),
                "categories": _choices("申请评定的残疾类别", "视力", "听力", "言语", "肢体", "智力", "精神"),
                "address": _s("户籍地址", 200),
                "contact_mobile": _s("联系电话", 11, pattern=MOBILE),
                "guardian": GUARDIAN_SECTION,
            },
            ["application_type", "categories", "address", "contact_mobile"],
        ),
        steps=_chain(
            10,
            "区残联审核残疾评定结果。",
            "审核通过的制发第三代中华人民共和国残疾人证。",
            accept="受理申请，核验户籍和身份信息，发放残疾评定表并告知指定评定医疗机构。",
            review_name="审核评定结果",
            decide_name="发证",
        ),
        special_procedure="残疾评定：申请人持残疾评定表到指定医疗机构评定，评定时间不计入办理时限。",
    ),
    # --- 卫生健康 ------------------------------------------------------------------------
    "physician": Kind(
        name="医师执业注册",
        type=pb.MATTER_TYPE_LICENSING,
        audiences=PERSON,
        item=(1101, 1),
        promised=5,
        legal=20,
        online=True,
        depth=4,
        visits=0,
        result="医师执业证书",
        themes=("职业资格", "医疗卫生"),
        life_events=("就业",),
        conditions=(
            "1. 取得医师资格证书；\n"
            "2. 拟执业的医疗、预防、保健机构同意聘用；\n"
            "3. 身体健康，能够胜任医师执业活动；\n"
            "4. 不存在《中华人民共和国医师法》规定不予注册的情形。"
        ),
        process=(
            "1. 申请：通过国家医师电子化注册系统提交申请，或由执业机构集体办理；\n"
            "2. 受理：卫生健康部门审核材料；\n"
            "3. 决定：符合条件的准予注册，注册信息录入国家信息平台；\n"
            "4. 发证：发给医师执业证书，同步生成电子证照。"
        ),
        legal_basis=(
            "《中华人民共和国医师法》第十三条至第十六条；"
            "《医师执业注册管理办法》（国家卫生和计划生育委员会令第13号）。"
        ),
        materials=(
            _mat("M01", "医师执业注册申请审核表", template=True),
            _mat(
                "M02",
                "近6个月内的二寸免冠正面半身照片",
                form=ELECTRONIC,
                types=("jpg", "png"),
            ),
            _lic("M03", "医师资格证书"),
            _lic("M04", "居民身份证"),
            _mat("M05", "医疗、预防、保健机构的聘用证明", standard="加盖拟执业机构公章"),
            _mat("M06", "近6个月内的健康体检证明", standard="由县级以上医疗机构出具"),
        ),
        steps=_chain(
            5,
            "审核医师资格、聘用机构和健康状况。",
            "准予注册的将注册信息录入国家信息平台，发给医师执业证书。",
        ),
    ),
    # --- 工程建设、交通与生态环境 --------------------------------------------------------
    "planning_permit": Kind(
        name="建设工程规划许可证核发",
        type=pb.MATTER_TYPE_LICENSING,
        audiences=LEGAL_PERSON,
        item=(1201, 1),
        promised=10,
        legal=20,
        online=True,
        depth=4,
        visits=0,
        result="建设工程规划许可证",
        themes=("国土和规划建设", "投资审批"),
        life_events=("投资",),
        sub_audiences=("企业法人",),
        conditions=(
            "1. 在城市、镇规划区内进行建筑物、构筑物、道路、管线和其他工程建设；\n"
            "2. 已取得建设用地规划许可证及土地使用权证明；\n"
            "3. 建设工程设计方案符合控制性详细规划和规划条件。"
        ),
        process=(
            "1. 申请：通过湖北省工程建设项目审批管理系统在线申报；\n"
            "2. 受理：审查材料是否齐全、符合法定形式；\n"
            "3. 审查：对设计方案进行技术审查，依法需要公示的进行批前公示（公示时间不计入办理时限）；\n"
            "4. 决定：符合要求的核发建设工程规划许可证；\n"
            "5. 公开：许可结果在政务服务网公开。"
        ),
        legal_basis="《中华人民共和国城乡规划法》第四十条；《中华人民共和国行政许可法》。",
        materials=(
            _mat("M01", "建设工程规划许可申请表", form=ELECTRONIC, template=True),
            _lic("M02", "不动产权证书", "使用土地的不动产权证书"),
            _shared("M03", "建设用地规划许可证", "由规划部门内部核验，无需提交"),
            _mat(
                "M04",
                "建设工程设计方案（总平面图、建筑单体方案等）",
                form=ELECTRONIC,
                types=("pdf",),
                standard="由具备相应资质的设计单位编制并加盖出图章",
            ),
            _mat(
                "M05",
                "日照分析报告",
                form=ELECTRONIC,
                necessity=CONDITIONAL,
                condition="建设项目对周边住宅、学校等有日照影响的",
                types=("pdf",),
            ),
        ),
        steps=_chain(
            10,
            "对建设工程设计方案进行技术审查。",
            "核发建设工程规划许可证并公开许可结果。",
            review_name="技术审查",
        ),
        special_procedure="批前公示：依法需要公示的设计方案进行批前公示，公示时间不计入办理时限。",
    ),
    "road_passenger": Kind(
        name="道路运输经营许可（道路旅客运输）",
        type=pb.MATTER_TYPE_LICENSING,
        audiences=LEGAL_PERSON,
        item=(1301, 1),
        promised=10,
        legal=20,
        online=True,
        depth=3,
        visits=1,
        express=True,
        result="道路运输经营许可证",
        themes=("交通运输", "准营准办"),
        life_events=("经营",),
        sub_audiences=("企业法人",),
        conditions=(
            "1. 有与其经营业务相适应并经检测合格的客车；\n"
            "2. 有符合《中华人民共和国道路运输条例》第九条规定条件的驾驶人员；\n"
            "3. 有健全的安全生产管理制度；\n"
            "4. 申请班线客运经营的，还应当有明确的线路和站点方案。"
        ),
        process=(
            "1. 申请：通过湖北政务服务网在线申报，或到窗口提交材料；\n"
            "2. 受理：材料齐全、符合法定形式的予以受理；\n"
            "3. 审查：审查申请材料，必要时进行实地核查；\n"
            "4. 决定：准予许可的出具道路客运经营行政许可决定书，颁发道路运输经营许可证；\n"
            "5. 配发：为投入运营的车辆配发道路运输证。"
        ),
        legal_basis="《中华人民共和国道路运输条例》第八条、第十条；《道路旅客运输及客运站管理规定》。",
        materials=(
            _mat("M01", "道路旅客运输经营申请表", template=True),
            _lic("M02", "居民身份证", "企业负责人居民身份证"),
            _proxy_letter("M03", condition="由经办人办理的"),
            _mat("M04", "安全生产管理制度文本"),
            _mat("M05", "拟投入车辆承诺书", template=True),
            _mat("M06", "聘用或者拟聘用驾驶人员的机动车驾驶证、从业资格证", form=COPY),
            _mat("M07", "线路和站点方案", necessity=CONDITIONAL, condition="申请班线客运经营的"),
        ),
        steps=_chain(
            10,
            "审查申请材料和安全生产管理制度。",
            "准予许可的出具行政许可决定书，颁发道路运输经营许可证。",
            inspect=("实地核查", "必要时对停车场地、车辆和管理制度落实情况进行实地核查。"),
        ),
    ),
    "road_freight": Kind(
        name="道路运输经营许可（道路普通货物运输）",
        type=pb.MATTER_TYPE_LICENSING,
        audiences=BOTH,
        item=(1301, 2),
        promised=5,
        legal=20,
        online=True,
        depth=4,
        visits=0,
        express=True,
        result="道路运输经营许可证",
        themes=("交通运输", "准营准办"),
        life_events=("就业", "经营"),
        sub_audiences=("个体工商户",),
        conditions=(
            "使用总质量4500千克以上普通货运车辆从事道路货物运输经营的，应当具备：\n"
            "1. 有与其经营业务相适应并经检测合格的车辆；\n"
            "2. 有符合规定条件的驾驶人员；\n"
            "3. 有健全的安全生产管理制度。\n"
            "使用总质量4500千克及以下普通货运车辆从事经营的，无需申请本许可。"
        ),
        process=(
            "1. 申请：通过湖北政务服务网在线申报，或到窗口提交材料；\n"
            "2. 受理：材料齐全、符合法定形式的予以受理；\n"
            "3. 审查：审查申请材料；\n"
            "4. 决定：准予许可的颁发道路运输经营许可证，并为投入运输的车辆配发道路运输证。"
        ),
        legal_basis="《中华人民共和国道路运输条例》第二十一条、第二十四条；《道路货物运输及站场管理规定》。",
        materials=(
            _mat("M01", "道路货物运输经营申请表", template=True),
            _lic("M02", "居民身份证", "负责人居民身份证"),
            _lic("M03", "机动车行驶证", necessity=CONDITIONAL, condition="已购置车辆的"),
            _mat("M04", "拟投入车辆承诺书", necessity=CONDITIONAL, condition="尚未购置车辆的", template=True),
            _mat("M05", "聘用或者拟聘用驾驶员的机动车驾驶证、从业资格证", form=COPY),
            _mat("M06", "安全生产管理制度文本"),
            _proxy_letter("M07", condition="由经办人办理的"),
        ),
        steps=_chain(
            5,
            "审查车辆、驾驶人员和安全生产管理制度。",
            "准予许可的颁发道路运输经营许可证，为车辆配发道路运输证。",
        ),
    ),
    "pollution_permit": Kind(
        name="排污许可证核发",
        type=pb.MATTER_TYPE_LICENSING,
        audiences=LEGAL_PERSON,
        item=(1401, 1),
        promised=15,
        legal=30,
        online=True,
        depth=4,
        visits=0,
        result="排污许可证",
        themes=("环保绿化",),
        life_events=("经营",),
        sub_audiences=("企业法人",),
        conditions=(
            "纳入固定污染源排污许可分类管理名录的企业事业单位和其他生产经营者，应当在产生实际排污行为之前"
            "申请取得排污许可证。申请人依法取得建设项目环境影响评价文件审批意见或者已按规定备案，"
            "污染防治设施和污染物排放符合相关标准和总量控制要求。"
        ),
        process=(
            "1. 信息公开：实行重点管理的排污单位在平台公开申请前信息；\n"
            "2. 申请：通过全国排污许可证管理信息平台提交；\n"
            "3. 审查：生态环境部门审查申请材料，必要时进行现场核查；\n"
            "4. 决定：符合条件的核发排污许可证（电子证照），有效期5年；\n"
            "5. 公开：在平台公开许可信息。"
        ),
        legal_basis=(
            "《中华人民共和国环境保护法》第四十五条；《排污许可管理条例》第三条、第十四条；《排污许可管理办法》。"
        ),
        materials=(
            _mat("M01", "排污许可证申请表", form=ELECTRONIC, standard="通过全国排污许可证管理信息平台填报"),
            _mat("M02", "自行监测方案", form=ELECTRONIC),
            _mat("M03", "守法承诺书", form=ELECTRONIC, template=True),
            _mat("M04", "排污口规范化情况说明", form=ELECTRONIC),
            _shared("M05", "建设项目环境影响评价文件审批文号或者备案材料", "通过环评审批系统共享核验"),
            _mat(
                "M06",
                "申请前信息公开情况说明表",
                form=ELECTRONIC,
                necessity=CONDITIONAL,
                condition="实行重点管理的",
            ),
        ),
        steps=_chain(
            15,
            "审查排污许可申请，核定许可排放浓度和排放量。",
            "核发排污许可证（电子证照）并在平台公开。",
            inspect=("现场核查", "必要时对污染防治设施和排污口进行现场核查。"),
        ),
    ),
    "eia": Kind(
        name="建设项目环境影响报告书审批",
        type=pb.MATTER_TYPE_LICENSING,
        audiences=LEGAL_PERSON,
        item=(1402, 1),
        promised=30,
        legal=60,
        online=True,
        depth=4,
        visits=0,
        result="建设项目环境影响报告书审批意见",
        themes=("环保绿化", "投资审批"),
        life_events=("投资",),
        sub_audiences=("企业法人",),
        conditions=(
            "依法应当编制环境影响报告书、由省级生态环境部门审批的建设项目，报告书符合环境保护法律法规、"
            "产业政策、生态环境分区管控要求和技术规范。"
        ),
        process=(
            "1. 申请：通过湖北政务服务网在线申报；\n"
            "2. 受理与公示：受理后在网站公示报告书全本；\n"
            "3. 技术评估：组织技术评估（评估时间不计入审批时限）；\n"
            "4. 审查决定：作出审批决定并公开；\n"
            "5. 送达：电子批复文件推送至申请人。"
        ),
        legal_basis=(
            "《中华人民共和国环境影响评价法》第二十二条；《建设项目环境保护管理条例》；"
            "《中华人民共和国行政许可法》。"
        ),
        materials=(
            _mat("M01", "建设项目环境影响报告书审批申请书", form=ELECTRONIC, template=True),
            _mat("M02", "建设项目环境影响报告书（全本）", form=ELECTRONIC, types=("pdf",)),
            _mat("M03", "删除涉及国家秘密、商业秘密等内容的公开版本", form=ELECTRONIC, types=("pdf",)),
            _mat("M04", "公众参与说明", form=ELECTRONIC, types=("pdf",)),
            _mat(
                "M05",
                "自然保护地等生态敏感区主管部门意见",
                form=ELECTRONIC,
                necessity=CONDITIONAL,
                condition="建设项目涉及自然保护地、饮用水水源保护区等生态敏感区的",
            ),
        ),
        steps=_chain(
            30,
            "受理后公示报告书全本，组织技术评估。",
            "作出审批决定并公开，电子批复推送至建设单位。",
            review_name="审查",
            decide_name="审批决定",
        ),
        special_procedure="技术评估：委托技术评估机构对报告书进行技术评估，评估时间不计入审批时限。",
    ),
    "construction_qual": Kind(
        name="建筑业企业资质核准",
        type=pb.MATTER_TYPE_LICENSING,
        audiences=LEGAL_PERSON,
        item=(1202, 1),
        promised=15,
        legal=20,
        online=True,
        depth=4,
        visits=0,
        result="建筑业企业资质证书",
        themes=("资质认证",),
        life_events=("经营",),
        sub_audiences=("企业法人",),
        conditions=(
            "申请人为依法设立的企业，净资产、主要人员（注册建造师、技术负责人、技术工人等）、"
            "工程业绩和技术装备符合《建筑业企业资质标准》相应类别、等级的要求。"
        ),
        process=(
            "1. 申请：通过湖北省建筑市场监管平台在线申报；\n"
            "2. 受理：材料齐全、符合法定形式的予以受理；\n"
            "3. 审查：组织专家评审（专家评审时间不计入审批时限）并公示；\n"
            "4. 决定：符合条件的核发建筑业企业资质证书（电子证书）。"
        ),
        legal_basis=(
            "《中华人民共和国建筑法》第十三条；《建筑业企业资质管理规定》（住房和城乡建设部令第22号）。"
        ),
        materials=(
            _mat("M01", "建筑业企业资质申请表", form=ELECTRONIC, template=True),
            _lic("M02", "营业执照", "企业营业执照"),
            _mat("M03", "上一年度财务审计报告", form=ELECTRONIC, types=("pdf",)),
            _mat("M04", "主要人员的身份证明、注册证书和职称证书", form=ELECTRONIC),
            _shared("M05", "主要人员社会保险缴纳记录", "通过人社部门共享核验，无需提交"),
            _mat("M06", "代表工程业绩的相关证明材料", form=ELECTRONIC, types=("pdf",)),
        ),
        steps=_chain(
            15,
            "组织专家评审企业净资产、主要人员和工程业绩，评审结果公示。",
            "核发建筑业企业资质证书（电子证书）。",
            review_name="专家评审",
        ),
        special_procedure="专家评审：组织专家对申报材料进行评审，评审时间不计入审批时限。",
    ),
    "security_company": Kind(
        name="保安服务公司设立许可",
        type=pb.MATTER_TYPE_LICENSING,
        audiences=LEGAL_PERSON,
        item=(1501, 1),
        promised=15,
        legal=30,
        online=True,
        depth=3,
        visits=1,
        express=True,
        result="保安服务许可证",
        themes=("准营准办", "公安消防"),
        life_events=("设立",),
        sub_audiences=("企业法人",),
        conditions=(
            "1. 注册资本不低于人民币100万元；\n"
            "2. 拟任法定代表人和主要管理人员具备任职所需的专业知识和有关业务工作经验，无违法犯罪等不良记录；\n"
            "3. 有与所提供的保安服务相适应的专业技术人员；\n"
            "4. 有住所和提供保安服务所需的设施、装备；\n"
            "5. 有健全的组织机构和保安服务管理制度、岗位责任制度、保安员管理制度。"
        ),
        process=(
            "1. 申请：向所在地设区的市级公安机关提交申请；\n"
            "2. 审核：市级公安机关自收到申请材料之日起15日内审核，并将审核意见报省公安厅；\n"
            "3. 决定：省公安厅自收到审核意见之日起15日内作出决定；\n"
            "4. 发证：准予设立的核发保安服务许可证。"
        ),
        legal_basis="《保安服务管理条例》第八条、第九条；《公安机关实施保安服务管理条例办法》。",
        materials=(
            _mat("M01", "保安服务公司设立申请书", template=True),
            _mat("M02", "拟任法定代表人和主要管理人员的身份证明及履历", form=ORIGINAL_AND_COPY),
            _shared("M03", "拟任法定代表人和主要管理人员无犯罪记录证明", "由公安机关内部核查，无需提交"),
            _mat("M04", "专业技术人员名单及资格证明", form=COPY),
            _mat("M05", "住所证明和提供保安服务所需设施、装备的说明"),
            _mat("M06", "组织机构和保安服务管理制度、岗位责任制度、保安员管理制度文本"),
        ),
        steps=(
            _Step("accept", "受理", "window_clerk", 1, "市级公安机关受理申请，审查材料是否齐全。"),
            _Step(
                "review",
                "市级审核",
                "reviewer",
                7,
                "市级公安机关审核申请材料，核查人员背景，出具审核意见报省公安厅。",
            ),
            _Step("reexamine", "省级复审", "reviewer", 6, "省公安厅对审核意见和申请材料进行复审。"),
            _Step("decide", "决定", "approver", 1, "作出准予或不予设立的决定，准予的核发保安服务许可证。"),
        ),
    ),
}


# ---------------------------------------------------------------------------------------------
# Matters: (site, department abbreviation, serial within the department, kind). The serial makes
# the code stable: never renumber a matter, only append.

_PLAN: tuple[tuple[str, str, int, str], ...] = (
    # 湖北省
    ("420000", "YJJ", 1, "drug_wholesale"),
    ("420000", "GAT", 1, "security_company"),
    ("420000", "RST", 1, "ss_record"),
    ("420000", "STHJT", 1, "eia"),
    ("420000", "ZJT", 1, "construction_qual"),
    # 武汉市
    ("420100", "ZRZYJ", 1, "planning_permit"),
    ("420100", "JTYSJ", 1, "road_passenger"),
    ("420100", "GJJ", 1, "hpf_buy"),
    ("420100", "STHJJ", 1, "pollution_permit"),
    ("420100", "YCJ", 1, "tobacco"),
    ("420100", "RSJ", 1, "unemployment"),
    # 宜昌市
    ("420500", "ZRZYGHJ", 1, "planning_permit"),
    ("420500", "STHJJ", 1, "pollution_permit"),
    ("420500", "GJJ", 1, "hpf_retire"),
    ("420500", "RSJ", 1, "unemployment"),
    ("420500", "WJW", 1, "physician"),
    # 襄阳市
    ("420600", "JTYSJ", 1, "road_passenger"),
    ("420600", "YCJ", 1, "tobacco"),
    ("420600", "GJJ", 1, "hpf_rent"),
    ("420600", "SCJGJ", 1, "biz_company"),
    ("420600", "RSJ", 1, "ss_card"),
    # 江岸区
    ("420102", "XZSPJ", 1, "biz_individual"),
    ("420102", "XZSPJ", 2, "food_licence"),
    ("420102", "MZJ", 1, "marriage"),
    ("420102", "MZJ", 2, "elderly_allowance"),
    ("420102", "GAFJ", 1, "id_renew"),
    ("420102", "GAFJ", 2, "birth"),
    # 武昌区
    ("420106", "XZSPJ", 1, "biz_company"),
    ("420106", "XZSPJ", 2, "drug_retail"),
    ("420106", "WJJ", 1, "public_place"),
    ("420106", "MZJ", 1, "dibao"),
    ("420106", "CL", 1, "disability_card"),
    ("420106", "GAFJ", 1, "hukou_move"),
    ("420106", "RSJ", 1, "hr_service"),
    # 西陵区
    ("420502", "SCJGJ", 1, "food_licence"),
    ("420502", "SCJGJ", 2, "biz_individual"),
    ("420502", "GAFJ", 1, "id_reissue"),
    ("420502", "GAFJ", 2, "birth"),
    ("420502", "MZJ", 1, "marriage"),
    ("420502", "RSJ", 1, "ss_card"),
    # 夷陵区
    ("420506", "XZSPJ", 1, "food_licence"),
    ("420506", "JTYSJ", 1, "road_freight"),
    ("420506", "MZJ", 1, "elderly_allowance"),
    ("420506", "MZJ", 2, "dibao"),
    ("420506", "MZJ", 3, "special_poverty"),
    ("420506", "WJJ", 1, "physician"),
    ("420506", "GAFJ", 1, "id_renew"),
    # 襄城区
    ("420602", "XZSPJ", 1, "biz_company"),
    ("420602", "XZSPJ", 2, "food_filing"),
    ("420602", "CL", 1, "disability_card"),
    ("420602", "GAFJ", 1, "hukou_move"),
    ("420602", "WJJ", 1, "public_place"),
    ("420602", "RSJ", 1, "unemployment_reg"),
    # 樊城区
    ("420606", "XZSPJ", 1, "food_licence"),
    ("420606", "XZSPJ", 2, "drug_retail"),
    ("420606", "MZJ", 1, "marriage"),
    ("420606", "MZJ", 2, "dibao"),
    ("420606", "MZJ", 3, "elderly_allowance"),
    ("420606", "MZJ", 4, "temp_assistance"),
    ("420606", "GAFJ", 1, "id_reissue"),
    ("420606", "GAFJ", 2, "birth"),
)


@dataclass(frozen=True)
class DemoMatter:
    code: str
    site_code: str
    department_code: str
    kind_key: str

    @property
    def kind(self) -> Kind:
        return KINDS[self.kind_key]

    @property
    def name(self) -> str:
        return self.kind.name

    @property
    def site(self) -> DemoSite:
        return SITES_BY_CODE[self.site_code]

    @property
    def department(self) -> DemoDepartment:
        return DEPARTMENTS_BY_CODE[self.department_code]

    def places(self) -> list[pb.ServicePlace]:
        site, dept = self.site, self.department
        values = {"hall": site.hall, "site": site.name, "window": dept.window, "hours": site.hours}
        return [
            pb.ServicePlace(
                name=place.name.format(**values),
                window=place.window.format(**values),
                hours=place.hours.format(**values),
                phone=dept.phone,
            )
            for place in self.kind.places
        ]

    def draft(self) -> pb.MatterDraft:
        kind, dept = self.kind, self.department
        return pb.MatterDraft(
            name=kind.name,
            department_code=self.department_code,
            audiences=list(kind.audiences),
            type=kind.type,
            promised_limit=common_pb2.TimeLimit(value=kind.promised, unit=kind.unit),
            legal_limit=common_pb2.TimeLimit(value=kind.legal, unit=kind.unit),
            online_application=kind.online,
            guide=pb.Guide(
                acceptance_conditions=kind.conditions,
                process=kind.process,
                legal_basis=kind.legal_basis,
                consult_phone=f"{dept.phone}（{dept.name}）；12345政务服务便民热线",
                complaint_phone="12345（政务服务便民热线）",
                notice=kind.notice_text(),
                special_procedure=kind.special_procedure,
            ),
            base_code=kind.base_code,
            sub_audiences=list(kind.sub_audiences),
            themes=list(kind.themes),
            life_events=list(kind.life_events),
            handling_type=kind.handling_type,
            fees=pb.FeeSchedule(charged=bool(kind.fees), items=list(kind.fees)),
            steps=[step.message() for step in kind.steps],
            materials=list(kind.materials),
            situations=list(kind.situations),
            form_schema=kind.form,
            places=self.places(),
            online_depth=kind.depth,
            visits=kind.visits,
            appointment=kind.appointment,
            express_delivery=kind.express,
            result_name=kind.result,
        )

    def create_request(self) -> pb.CreateMatterRequest:
        return pb.CreateMatterRequest(code=self.code, site_code=self.site_code, draft=self.draft())


def _matter(site_code: str, abbr: str, serial: int, kind_key: str) -> DemoMatter:
    dept = DEPARTMENTS_BY_CODE[f"{site_code}-{abbr}"]
    if kind_key not in KINDS:
        raise KeyError(kind_key)
    return DemoMatter(f"{dept.code}-{serial:04d}", site_code, dept.code, kind_key)


MATTERS: tuple[DemoMatter, ...] = tuple(_matter(*entry) for entry in _PLAN)
MATTERS_BY_CODE = {matter.code: matter for matter in MATTERS}


def matter_requests() -> list[pb.CreateMatterRequest]:
    """A CreateMatter request for every demo matter, in a stable order."""
    return [matter.create_request() for matter in MATTERS]


# ---------------------------------------------------------------------------------------------
# Articles: announcements (政策公告) and frequently asked questions (常见问题). Their ids are fixed
# (UUIDs derived from a stable key) so that loading again finds them instead of adding copies.

_ARTICLE_NAMESPACE = uuid.uuid5(uuid.NAMESPACE_URL, "https://govhall.example/demo/articles")


@dataclass(frozen=True)
class DemoArticle:
    key: str
    kind: pb.ArticleKind.ValueType
    site_code: str
    title: str
    body: str
    # The publish date shown (Beijing time); None: the moment it is published.
    publish_at: datetime | None = None
    # Days after loading when it becomes public: an announcement scheduled ahead.
    days_ahead: int = 0
    department_code: str = ""
    matter_code: str = ""

    @property
    def id(self) -> str:
        return str(uuid.uuid5(_ARTICLE_NAMESPACE, self.key))

    def publish_time(self, now: datetime) -> datetime | None:
        if self.days_ahead:
            day = (now.astimezone(BEIJING) + timedelta(days=self.days_ahead)).date()
            return datetime(day.year, day.month, day.day, 9, 0, tzinfo=BEIJING)
        return self.publish_at

    def save_request(self, now: datetime) -> pb.SaveArticleRequest:
        request = pb.SaveArticleRequest(
            id=self.id,
            kind=self.kind,
            site_code=self.site_code,
            department_code=self.department_code,
            matter_code=self.matter_code,
            title=self.title,
            body=self.body,
        )
        when = self.publish_time(now)
        if when is not None:
            stamp = Timestamp()
            stamp.FromDatetime(when.astimezone(UTC))
            request.publish_at.CopyFrom(stamp)
        return request


def _on(year: int, month: int, day: int, hour: int = 9) -> datetime:
    return datetime(year, month, day, hour, 0, tzinfo=BEIJING)


ANNOUNCEMENT = pb.ARTICLE_KIND_ANNOUNCEMENT
FAQ = pb.ARTICLE_KIND_FAQ

ARTICLES: tuple[DemoArticle, ...] = (
    # --- 政策公告 ----------------------------------------------------------------------------
    DemoArticle(
        key="announcement/420000/guide-upgrade",
        kind=ANNOUNCEMENT,
        site_code="420000",
        title="关于湖北政务服务网办事指南全面升级的公告",
        body=(
            "为进一步提升政务服务标准化、规范化、便利化水平，湖北政务服务网办事指南已完成全面升级：\n"
            "一、申请材料逐项列明材料形式、份数、必要性和来源渠道，可复用电子证照的材料无需重复提交；\n"
            "二、新增情形引导，申请人回答几个问题即可生成个性化的材料清单和申请表；\n"
            "三、办理流程、收费标准、办理地点和时间、咨询和监督投诉电话统一规范公开；\n"
            "四、每个事项的办事指南均可扫描二维码在手机上查看。\n"
            "办事指南内容如有错误，欢迎通过“我要纠错”或12345政务服务便民热线反映。\n"
            "特此公告。"
        ),
        publish_at=_on(2026, 3, 2),
    ),
    DemoArticle(
        key="announcement/420000/national-day-2026",
        kind=ANNOUNCEMENT,
        site_code="420000",
        title="关于2026年国庆节期间政务服务安排的公告",
        body=(
            "根据国务院办公厅关于2026年部分节假日安排的通知，国庆节期间湖北省政务服务中心暂停现场服务，"
            "节后正常上班之日起恢复。放假期间，湖北政务服务网和“鄂汇办”APP网上办事服务正常运行，"
            "网上申报的事项于节后依次受理，法定办结时限和承诺办结时限按工作日顺延。\n"
            "急需办理的事项，请拨打12345政务服务便民热线咨询。\n"
            "特此公告。"
        ),
        publish_at=_on(2026, 9, 25),
    ),
    DemoArticle(
        key="announcement/420100/saturday-service",
        kind=ANNOUNCEMENT,
        site_code="420100",
        title="武汉市民之家周六延时服务公告",
        body=(
            "为方便上班族办事，武汉市民之家每周六9:00-12:00提供延时服务，"
            "可办理营业执照、住房公积金提取、社会保障卡、道路运输等高频事项。"
            "建议通过“鄂汇办”APP提前预约，按预约时段到场取号。法定节假日及调休上班的周六除外。"
        ),
        publish_at=_on(2026, 4, 10),
    ),
    DemoArticle(
        key="announcement/420500/hpf-retire-online",
        kind=ANNOUNCEMENT,
        site_code="420500",
        department_code="420500-GJJ",
        matter_code="420500-GJJ-0001",
        title="宜昌市住房公积金中心关于离退休提取业务全程网办的通告",
        body=(
            "自即日起，缴存职工办理离休、退休提取住房公积金业务，可通过手机公积金APP或“鄂汇办”APP全程网办。"
            "系统通过社会保险信息共享自动核验退休信息，无需提交离退休证明，提取资金实时转入本人一类银行卡。"
        ),
        publish_at=_on(2026, 7, 1),
    ),
    DemoArticle(
        key="announcement/420102/marriage-special-dates",
        kind=ANNOUNCEMENT,
        site_code="420102",
        department_code="420102-MZJ",
        matter_code="420102-MZJ-0001",
        title="江岸区婚姻登记处关于“5·20”等特殊日期结婚登记预约的公告",
        body=(
            "“5·20”“七夕”等特殊日期办理结婚登记的新人较多，江岸区婚姻登记处实行全预约办理，"
            "请提前通过“鄂汇办”APP或湖北政务服务网预约。预约名额放满后，当日不再接受现场取号。"
            "特殊日期恰逢周末的，婚姻登记处照常办公。"
        ),
        publish_at=_on(2026, 5, 8),
    ),
    DemoArticle(
        key="announcement/420600/implementation-list",
        kind=ANNOUNCEMENT,
        site_code="420600",
        title="关于实施新版襄阳市政务服务事项实施清单的公告",
        body=(
            "经市人民政府同意，新版《襄阳市政务服务事项实施清单》自本公告发布之日起施行。"
            "新版清单统一了事项的基本编码、办理时限、申请材料和办理流程，"
            "各级政务服务中心和网上办事大厅同步按新版清单办理。"
            "已受理的办件按受理时的办事指南继续办理。\n特此公告。"
        ),
        days_ahead=30,
    ),
    # --- 常见问题 ----------------------------------------------------------------------------
    DemoArticle(
        key="faq/420000/licence-reuse",
        kind=FAQ,
        site_code="420000",
        title="什么是“电子证照免提交”？",
        body=(
            "办事指南中来源渠道标注为“电子证照”的材料，如居民身份证、营业执照、结婚证等，"
            "系统会在您申报时自动调取已归集的电子证照，您无需再上传或提交纸质材料。"
            "如电子证照调取失败，可按提示上传证件照片或扫描件。"
        ),
        publish_at=_on(2026, 3, 2),
    ),
    DemoArticle(
        key="faq/420000/progress",
        kind=FAQ,
        site_code="420000",
        title="网上申报后如何查询办理进度？",
        body=(
            "登录湖北政务服务网或“鄂汇办”APP，进入“我的办件”即可查看办件的受理、审核、办结等每个环节的进度；"
            "需要补正材料的，系统会通过短信和站内消息一次性告知。也可以凭办件编号在首页“办件查询”中查询。"
        ),
        publish_at=_on(2026, 3, 2),
    ),
    DemoArticle(
        key="faq/420600/company-online",
        kind=FAQ,
        site_code="420600",
        matter_code="420600-SCJGJ-0001",
        title="办理公司营业执照需要到现场吗？",
        body=(
            "不需要。通过湖北政务服务网“企业开办一网通办”平台在线申报，股东和法定代表人实名认证后在线签署，"
            "审核通过后即可下载电子营业执照，纸质执照可选择免费邮寄。公章刻制、发票申领、员工参保登记可一并申请。"
        ),
        publish_at=_on(2026, 6, 15),
    ),
    DemoArticle(
        key="faq/420102/individual-name",
        kind=FAQ,
        site_code="420102",
        matter_code="420102-XZSPJ-0001",
        title="个体工商户一定要起名称吗？",
        body=(
            "不一定。根据《促进个体工商户发展条例》和市场主体登记的有关规定，个体工商户可以使用名称，"
            "也可以不使用名称；不使用名称的，营业执照上的名称栏以经营者姓名等信息标注。"
        ),
        publish_at=_on(2026, 4, 20),
    ),
    DemoArticle(
        key="faq/420100/hpf-second-hand",
        kind=FAQ,
        site_code="420100",
        matter_code="420100-GJJ-0001",
        title="购买二手房可以提取住房公积金吗？",
        body=(
            "可以。购买二手房并办理不动产登记后，可凭不动产权证书（电子证照自动调取）和购房款支付凭证申请提取，"
            "提取金额不超过实际支付的购房款。同时提取配偶住房公积金的，需提供结婚证。"
        ),
        publish_at=_on(2026, 5, 12),
    ),
    DemoArticle(
        key="faq/420500/unemployment-resign",
        kind=FAQ,
        site_code="420500",
        matter_code="420500-RSJ-0001",
        title="主动辞职可以领取失业保险金吗？",
        body=(
            "一般不可以。领取失业保险金须非因本人意愿中断就业，如劳动合同期满终止、用人单位解除劳动合同等。"
            "因用人单位未依法支付劳动报酬、未缴纳社会保险费等原因，劳动者依法解除劳动合同的，属于非本人意愿中断就业。"
        ),
        publish_at=_on(2026, 6, 3),
    ),
    DemoArticle(
        key="faq/420106/dibao-time",
        kind=FAQ,
        site_code="420106",
        matter_code="420106-MZJ-0001",
        title="申请最低生活保障需要多长时间？",
        body=(
            "街道办事处（乡镇人民政府）一般在受理之日起20个工作日内完成入户调查、信息核对、公示和审核确认，"
            "特殊情况可延长至30个工作日。公示期为7天，公示无异议的，自批准之月起发放保障金。"
        ),
        publish_at=_on(2026, 5, 20),
    ),
    DemoArticle(
        key="faq/420102/birth-online",
        kind=FAQ,
        site_code="420102",
        matter_code="420102-GAFJ-0002",
        title="新生儿出生登记可以在网上办理吗？",
        body=(
            "可以。通过“鄂汇办”APP“新生儿出生一件事”在线申报，系统自动调取《出生医学证明》、父母结婚证等电子证照，"
            "审核通过后到户政窗口领取户口页，还可同步办理医保参保登记和社会保障卡申领。"
        ),
        publish_at=_on(2026, 8, 6),
    ),
    DemoArticle(
        key="faq/420502/marriage-hukou",
        kind=FAQ,
        site_code="420502",
        matter_code="420502-MZJ-0001",
        title="办理结婚登记还需要带户口簿吗？",
        body=(
            "不需要。男女双方持本人有效居民身份证，共同到婚姻登记处现场填写《申请结婚登记声明书》即可办理，"
            "合影照片可在登记处现场拍摄。结婚登记须双方本人到场，不能委托他人代办。"
        ),
        publish_at=_on(2026, 5, 15),
    ),
    DemoArticle(
        key="faq/420502/id-reissue-elsewhere",
        kind=FAQ,
        site_code="420502",
        matter_code="420502-GAFJ-0001",
        title="居民身份证丢失了，在外地可以补办吗？",
        body=(
            "可以。居民身份证补领已实现全国通办，可在全国任一户政窗口申请，异地申请无需提交户口簿。"
            "补领期间需要乘车、住宿的，可同时申领临时居民身份证。"
        ),
        publish_at=_on(2026, 2, 26),
    ),
)


# ---------------------------------------------------------------------------------------------
# Loader

_TIMEOUT = 10


async def load_demo(
    stub: catalogue_pb2_grpc.CatalogueServiceStub,
    metadata: Sequence[tuple[str, str | bytes]],
    *,
    now: datetime | None = None,
) -> int:
    """Load the demo province through the catalogue's gRPC API; safe to run again.

    `metadata` must carry a caller allowed to administer the province (a platform admin).
    Returns how many demo matters are published afterwards (newly or already).
    """
    for site in sorted(SITES, key=lambda s: s.level):  # parents first
        await stub.UpsertSite(
            pb.UpsertSiteRequest(
                code=site.code, name=site.name, level=site.level, parent_code=site.parent_code
            ),
            metadata=metadata,
            timeout=_TIMEOUT,
        )
    for dept in DEPARTMENTS:
        await stub.UpsertDepartment(
            pb.UpsertDepartmentRequest(code=dept.code, site_code=dept.site_code, name=dept.name),
            metadata=metadata,
            timeout=_TIMEOUT,
        )
    requests = matter_requests()
    for request in requests:
        try:
            await stub.CreateMatter(request, metadata=metadata, timeout=_TIMEOUT)
        except grpc.aio.AioRpcError as err:
            # It exists: leave it as it is, whatever an administrator has made of it since.
            if err.code() != grpc.StatusCode.ALREADY_EXISTS:
                raise
    published = 0
    for request in requests:
        try:
            await stub.PublishMatter(
                pb.ChangeMatterStatusRequest(code=request.code, site_code=request.site_code),
                metadata=metadata,
                timeout=_TIMEOUT,
            )
        except grpc.aio.AioRpcError as err:
            # Publishing is allowed from draft or withdrawn, so this means it is published already.
            if err.code() != grpc.StatusCode.FAILED_PRECONDITION:
                raise
        published += 1
    await _load_articles(stub, metadata, now or datetime.now(UTC))
    return published


async def _load_articles(
    stub: catalogue_pb2_grpc.CatalogueServiceStub,
    metadata: Sequence[tuple[str, str | bytes]],
    now: datetime,
) -> None:
    for article in ARTICLES:
        try:
            await stub.GetArticle(
                pb.GetArticleRequest(site_code=article.site_code, id=article.id, include_unpublished=True),
                metadata=metadata,
                timeout=_TIMEOUT,
            )
        except grpc.aio.AioRpcError as err:
            if err.code() != grpc.StatusCode.NOT_FOUND:
                raise
            # Saving with an id that does not exist yet creates the article under that id.
            await stub.SaveArticle(article.save_request(now), metadata=metadata, timeout=_TIMEOUT)
        try:
            await stub.PublishArticle(
                pb.ChangeArticleStatusRequest(site_code=article.site_code, id=article.id),
                metadata=metadata,
                timeout=_TIMEOUT,
            )
        except grpc.aio.AioRpcError as err:
            if err.code() != grpc.StatusCode.FAILED_PRECONDITION:  # published already
                raise


async def load_demo_into(address: str) -> int:
    """Load the demo province into the catalogue at address, as a platform administrator."""
    from govhall.kit.caller import caller_metadata
    from govhall.kit.grpcclient import channel

    admin = common_pb2.CallerIdentity(
        kind=common_pb2.CALLER_KIND_ADMIN, subject="demo-loader", name="demo loader"
    )
    ch = channel(address)
    try:
        return await load_demo(catalogue_pb2_grpc.CatalogueServiceStub(ch), caller_metadata(admin))
    finally:
        await ch.close()


if __name__ == "__main__":
    # python -m govhall.catalogue.demo [ADDRESS]: load the demo province into a running catalogue
    # (make up does this); the default address is GOVHALL_CATALOGUE_GRPC_ADDRESS.
    import asyncio
    import os
    import sys

    target = (
        sys.argv[1]
        if len(sys.argv) > 1
        else os.environ.get("GOVHALL_CATALOGUE_GRPC_ADDRESS", "127.0.0.1:50051")
    )
    print(f"demo province: {asyncio.run(load_demo_into(target))} matters published at {target}")
