"""The REST shapes portals see, and their mapping to and from the gRPC messages."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Literal
from zoneinfo import ZoneInfo

from pydantic import BaseModel, ConfigDict, Field

from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.common.v1 import common_pb2
from govhall.protos.search.v1 import search_pb2

SHANGHAI = ZoneInfo("Asia/Shanghai")

SiteCode = Annotated[str, Field(pattern=r"^\d{6}$", examples=["420502"], description="6-digit division code")]

MatterTypeName = Literal[
    "licensing", "benefit", "confirmation", "adjudication", "reward", "other_power", "public_service"
]
AudienceName = Literal["person", "legal_person"]

TYPES: dict[str, tuple[int, str]] = {
    "licensing": (cat.MATTER_TYPE_LICENSING, "行政许可"),
    "benefit": (cat.MATTER_TYPE_BENEFIT, "行政给付"),
    "confirmation": (cat.MATTER_TYPE_CONFIRMATION, "行政确认"),
    "adjudication": (cat.MATTER_TYPE_ADJUDICATION, "行政裁决"),
    "reward": (cat.MATTER_TYPE_REWARD, "行政奖励"),
    "other_power": (cat.MATTER_TYPE_OTHER_POWER, "其他行政权力"),
    "public_service": (cat.MATTER_TYPE_PUBLIC_SERVICE, "公共服务"),
}
TYPE_BY_NUMBER = {number: (name, label) for name, (number, label) in TYPES.items()}
AUDIENCES: dict[str, tuple[int, str]] = {
    "person": (cat.AUDIENCE_PERSON, "自然人"),
    "legal_person": (cat.AUDIENCE_LEGAL_PERSON, "法人"),
}
AUDIENCE_BY_NUMBER = {number: name for name, (number, _) in AUDIENCES.items()}
STATUS_BY_NUMBER = {
    cat.MATTER_STATUS_DRAFT: "draft",
    cat.MATTER_STATUS_PUBLISHED: "published",
    cat.MATTER_STATUS_WITHDRAWN: "withdrawn",
}
LEVELS: dict[str, int] = {
    "province": cat.SITE_LEVEL_PROVINCE,
    "city": cat.SITE_LEVEL_CITY,
    "county": cat.SITE_LEVEL_COUNTY,
}
LEVEL_BY_NUMBER = {number: name for name, number in LEVELS.items()}


class Guide(BaseModel):
    model_config = ConfigDict(extra="forbid")

    acceptance_conditions: str = Field("", max_length=20000, description="受理条件")
    materials: str = Field("", max_length=20000, description="申请材料")
    process: str = Field("", max_length=20000, description="办理流程")
    legal_basis: str = Field("", max_length=20000, description="设定依据")
    fees: str = Field("", max_length=20000, description="收费标准")
    place_and_hours: str = Field("", max_length=20000, description="办理地点和时间")
    consult_phone: str = Field("", max_length=200, description="咨询电话")


class MatterIn(BaseModel):
    """What an administrator writes for a matter."""

    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200, examples=["营业执照设立登记"])
    department_code: str = Field(min_length=1, max_length=40)
    audiences: list[AudienceName] = Field(min_length=1)
    type: MatterTypeName
    promised_days: int = Field(ge=0, le=365, description="承诺办结时限（工作日）")
    legal_days: int = Field(ge=0, le=365, description="法定办结时限（工作日）")
    online_application: bool = False
    guide: Guide = Field(default_factory=Guide)  # type: ignore[arg-type]


class NewMatter(MatterIn):
    code: str = Field(pattern=r"^[0-9A-Za-z][0-9A-Za-z-]{0,35}$", description="事项实施编码")


class MatterUpdate(MatterIn):
    expected_revision: int = Field(0, ge=0, description="non-zero: update only if still at this revision")


class MatterOut(BaseModel):
    code: str
    name: str
    site_code: str
    site_name: str
    department_code: str
    department_name: str
    audiences: list[AudienceName]
    type: MatterTypeName
    type_label: str
    promised_days: int
    legal_days: int
    online_application: bool
    status: Literal["draft", "published", "withdrawn"]
    revision: int
    guide: Guide
    updated_at: datetime | None
    published_at: datetime | None


class Page(BaseModel):
    page: int
    page_size: int
    total: int


class MatterList(BaseModel):
    items: list[MatterOut]
    page: Page


class SearchHit(BaseModel):
    code: str
    name: str
    site_code: str
    site_name: str
    department_name: str
    type: MatterTypeName
    type_label: str
    audiences: list[AudienceName]
    online_application: bool
    score: float


class SearchResult(BaseModel):
    query: str
    items: list[SearchHit]
    page: Page


class SiteIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)
    level: Literal["province", "city", "county"]
    parent_code: str = Field("", pattern=r"^(\d{6})?$")


class SiteOut(BaseModel):
    code: str
    name: str
    level: Literal["province", "city", "county"]
    parent_code: str
    path: list[str]


class DepartmentIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    name: str = Field(min_length=1, max_length=200)


class DepartmentOut(BaseModel):
    code: str
    site_code: str
    name: str


def draft_message(body: MatterIn) -> cat.MatterDraft:
    g = body.guide
    return cat.MatterDraft(
        name=body.name,
        department_code=body.department_code,
        audiences=[AUDIENCES[a][0] for a in body.audiences],  # type: ignore[misc]
        type=TYPES[body.type][0],  # type: ignore[arg-type]
        promised_limit=common_pb2.TimeLimit(
            value=body.promised_days, unit=common_pb2.TIME_LIMIT_UNIT_WORKING_DAY
        ),
        legal_limit=common_pb2.TimeLimit(value=body.legal_days, unit=common_pb2.TIME_LIMIT_UNIT_WORKING_DAY),
        online_application=body.online_application,
        guide=cat.Guide(**g.model_dump()),
    )


def _time(ts: object, present: bool) -> datetime | None:
    return ts.ToDatetime(SHANGHAI) if present else None  # type: ignore[attr-defined]


def matter_out(m: cat.Matter) -> MatterOut:
    d = m.draft
    type_name, type_label = TYPE_BY_NUMBER.get(d.type, ("other_power", "其他行政权力"))
    return MatterOut(
        code=m.code,
        name=d.name,
        site_code=m.site_code,
        site_name=m.site_name,
        department_code=d.department_code,
        department_name=m.department_name,
        audiences=[AUDIENCE_BY_NUMBER[a] for a in d.audiences if a in AUDIENCE_BY_NUMBER],  # type: ignore[misc]
        type=type_name,  # type: ignore[arg-type]
        type_label=type_label,
        promised_days=d.promised_limit.value,
        legal_days=d.legal_limit.value,
        online_application=d.online_application,
        status=STATUS_BY_NUMBER.get(m.status, "draft"),  # type: ignore[arg-type]
        revision=m.revision,
        guide=Guide(**{f.name: getattr(d.guide, f.name) for f in cat.Guide.DESCRIPTOR.fields}),
        updated_at=_time(m.updated_at, m.HasField("updated_at")),
        published_at=_time(m.published_at, m.HasField("published_at")),
    )


def hit_out(h: search_pb2.MatterHit) -> SearchHit:
    type_name, type_label = TYPE_BY_NUMBER.get(h.type, ("other_power", "其他行政权力"))
    return SearchHit(
        code=h.code,
        name=h.name,
        site_code=h.site_code,
        site_name=h.site_name,
        department_name=h.department_name,
        type=type_name,  # type: ignore[arg-type]
        type_label=type_label,
        audiences=[AUDIENCE_BY_NUMBER[a] for a in h.audiences if a in AUDIENCE_BY_NUMBER],  # type: ignore[misc]
        online_application=h.online_application,
        score=round(h.score, 4),
    )


def site_out(s: cat.Site) -> SiteOut:
    return SiteOut(
        code=s.code,
        name=s.name,
        level=LEVEL_BY_NUMBER.get(s.level, "county"),  # type: ignore[arg-type]
        parent_code=s.parent_code,
        path=list(s.path),
    )


def page_out(p: common_pb2.PageInfo) -> Page:
    return Page(page=p.page, page_size=p.page_size, total=p.total)
