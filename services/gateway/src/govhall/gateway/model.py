"""The REST shapes portals send, and the mapping of what services answer.

Requests are pydantic models (they refuse unknown fields and give the OpenAPI document its
shapes); they mirror the protos field by field, and `protojson` turns them into messages and
messages back into JSON, so a new guide field needs a line here and nothing else.
"""

from __future__ import annotations

import json
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from govhall.gateway import bounds, protojson
from govhall.gateway.protojson import SHANGHAI, Out, enum_names, from_dict
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.common.v1 import common_pb2

__all__ = ["SHANGHAI"]

SiteCode = Annotated[str, Field(pattern=r"^\d{6}$", examples=["420502"], description="6-digit division code")]


def choice(enum: Any, description: str, default: str | None = None) -> Any:
    """A string field whose values are an enum's short names (checked again when converted)."""
    names = enum_names(enum.DESCRIPTOR)
    return Field(
        default, description=f"{description}: {' | '.join(names)}", json_schema_extra={"enum": names}
    )


def enum_number(enum: Any, name: str | None) -> int:
    """A short name from a query parameter (already checked against the enum) as its number."""
    return protojson.enum_number(enum.DESCRIPTOR, name, "query")


AudienceName = Literal["person", "legal_person"]
MatterTypeName = Literal[
    "licensing", "benefit", "confirmation", "adjudication", "reward", "other_power", "public_service"
]
LevelName = Literal["province", "city", "county"]
KindName = Literal["matter", "announcement", "faq"]
HandlingName = Literal["instant", "promised"]
Text = Annotated[str, Field(max_length=20_000)]
Short = Annotated[str, Field(max_length=200)]


def _schema_from_text(value: Any) -> Any:
    """A form schema may also come as JSON text (as the catalogue stores it); "" is no form."""
    if not isinstance(value, str):
        return value
    if not value.strip():
        return {}
    try:
        return json.loads(value)
    except ValueError:
        raise ValueError("form_schema is not valid JSON") from None


# One type rather than `dict | str`, so a wrong value is reported as `form_schema` itself, not
# once per member of the union.
FormSchema = Annotated[dict[str, Any], BeforeValidator(_schema_from_text), bounds.FreeJson]


class In(BaseModel):
    # Strict: a body says what the document says, so `"is_default": 0` or `"page": "2"` is refused
    # rather than read as false or 2 (JSON has no dates: those fields take ISO 8601 text).
    model_config = ConfigDict(extra="forbid", strict=True)

    @field_validator("*")
    @classmethod
    def _unicode(cls, value: Any) -> Any:
        # JSON may spell a lone surrogate ("\ud800"), which no UTF-8 message can carry.
        return bounds.check_text(value)


class TimeLimitIn(In):
    value: int = Field(0, ge=0, le=365)
    unit: str = choice(common_pb2.TimeLimitUnit, "工作日或自然日", "working_day")


class GuideTextsIn(In):
    acceptance_conditions: Text = Field("", description="受理条件")
    process: Text = Field("", description="办理流程")
    legal_basis: Text = Field("", description="设定依据")
    consult_phone: Short = Field("", description="咨询电话")
    complaint_phone: Short = Field("", description="监督投诉电话")
    notice: Text = Field("", description="申报须知")
    special_procedure: Text = Field("", description="特别程序")


class MaterialIn(In):
    code: Short
    name: Short
    form: str = choice(cat.MaterialForm, "材料形式")
    copies: int = Field(0, ge=0, le=100)
    necessity: str = choice(cat.MaterialNecessity, "必要性")
    condition: Text = ""
    template_file: Short = ""
    sample_file: Short = ""
    source: str = choice(cat.MaterialSource, "来源渠道", "applicant")
    licence_type_code: Short = ""
    acceptance_standard: Text = ""
    accepted_types: list[Short] = Field(default_factory=list, max_length=10)


class SituationOptionIn(In):
    code: Short
    label: Short
    material_codes: list[Short] = Field(default_factory=list, max_length=200)
    form_sections: list[Short] = Field(default_factory=list, max_length=200)


class SituationIn(In):
    code: Short
    question: Short
    multiple: bool = False
    options: list[SituationOptionIn] = Field(default_factory=list, max_length=50)


class ProcessStepIn(In):
    code: Short
    name: Short
    role: Short
    time_limit_days: int = Field(0, ge=0, le=365)
    description: Text = ""


class MoneyIn(In):
    currency: Literal["CNY"] = "CNY"
    amount_fen: int = Field(ge=0, le=10**12)


class FeeItemIn(In):
    name: Short
    amount: MoneyIn
    basis: Text = ""
    note: Short = ""


class FeesIn(In):
    charged: bool = False
    items: list[FeeItemIn] = Field(default_factory=list, max_length=50)


class ServicePlaceIn(In):
    name: Short
    address: Short = ""
    window: Short = ""
    hours: Short = ""
    phone: Short = ""


class MatterIn(In):
    """What an administrator writes for a matter: the service guide (办事指南)."""

    name: str = Field(min_length=1, max_length=200, examples=["食品经营许可"])
    department_code: str = Field(min_length=1, max_length=40)
    audiences: list[AudienceName] = Field(min_length=1)
    type: MatterTypeName
    promised_limit: TimeLimitIn = Field(
        default_factory=lambda: TimeLimitIn.model_validate({}), description="承诺办结时限"
    )
    legal_limit: TimeLimitIn = Field(
        default_factory=lambda: TimeLimitIn.model_validate({}), description="法定办结时限"
    )
    online_application: bool = Field(False, description="可网上申报")
    guide: GuideTextsIn = Field(default_factory=lambda: GuideTextsIn.model_validate({}))
    base_code: str = Field("", max_length=12, description="基本编码")
    sub_audiences: list[Short] = Field(default_factory=list, max_length=20)
    themes: list[Short] = Field(default_factory=list, max_length=20, description="主题分类")
    life_events: list[Short] = Field(default_factory=list, max_length=20, description="生命周期")
    handling_type: HandlingName | None = Field(None, description="办件类型: instant 即办件 | promised 承诺件")
    fees: FeesIn = Field(default_factory=FeesIn)
    steps: list[ProcessStepIn] = Field(
        default_factory=list, max_length=20, description="empty: the default chain"
    )
    materials: list[MaterialIn] = Field(default_factory=list, max_length=200)
    situations: list[SituationIn] = Field(default_factory=list, max_length=50)
    form_schema: FormSchema = Field(
        default_factory=dict, description="申请表单: JSON Schema (an object with Chinese titles); {}: no form"
    )
    places: list[ServicePlaceIn] = Field(default_factory=list, max_length=50)
    online_depth: int = Field(0, ge=0, le=4, description="网上办理深度 1-4")
    visits: int = Field(0, ge=0, le=2, description="到办事现场次数")
    appointment: bool = False
    express_delivery: bool = False
    result_name: Short = ""


class NewMatter(MatterIn):
    code: str = Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z-]{0,35}$", description="事项实施编码")


class MatterUpdate(MatterIn):
    expected_revision: bounds.Revision = Field(
        0, description="non-zero: update only if still at this revision"
    )


class ArticleIn(In):
    kind: Literal["announcement", "faq"]
    title: str = Field(min_length=1, max_length=200, description="标题（常见问题：问题）")
    body: str = Field(max_length=50_000, description="正文（常见问题：解答）")
    department_code: str = Field("", max_length=40)
    matter_code: str = Field("", max_length=36)
    publish_at: Annotated[datetime | None, bounds.BoundedTime] = Field(
        None, strict=False, description="发布日期; unset: when published"
    )
    expected_revision: bounds.Revision = 0


class SiteIn(In):
    name: str = Field(min_length=1, max_length=200)
    level: LevelName
    parent_code: str = Field("", pattern=r"^(\d{6})?$")


class DepartmentIn(In):
    name: str = Field(min_length=1, max_length=200)


def draft_message(body: MatterIn) -> cat.MatterDraft:
    data = body.model_dump(exclude={"code", "expected_revision"})
    data["form_schema"] = json.dumps(data["form_schema"], ensure_ascii=False) if data["form_schema"] else ""
    return from_dict(data, cat.MatterDraft, prefix="")


def article_request(site: str, article_id: str, body: ArticleIn) -> cat.SaveArticleRequest:
    request = from_dict(body.model_dump(exclude={"publish_at"}), cat.SaveArticleRequest)
    request.id, request.site_code = article_id, site
    if body.publish_at is not None:
        at = body.publish_at if body.publish_at.tzinfo else body.publish_at.replace(tzinfo=SHANGHAI)
        request.publish_at.FromDatetime(at)
    return request


class PageOut(Out):
    """Where a list is: this page, its size, and how many there are in all."""

    page: int
    page_size: int
    total: int


def page_out(p: common_pb2.PageInfo) -> PageOut:
    return PageOut(page=p.page, page_size=p.page_size, total=p.total)
