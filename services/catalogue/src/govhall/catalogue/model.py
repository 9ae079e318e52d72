"""The catalogue's domain: sites, matters and the rules for changing them. No I/O here."""

from __future__ import annotations

import re
from dataclasses import dataclass

from govhall.kit.errors import DomainError, ErrorKind, FieldError, invalid
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb
from govhall.protos.common.v1 import common_pb2

SITE_CODE = re.compile(r"^\d{6}$")
# 实施编码: up to 36 characters of letters, digits and hyphens.
MATTER_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]{0,35}$")
DEPARTMENT_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]{0,39}$")
MAX_NAME = 200
MAX_GUIDE_FIELD = 20_000
MAX_LIMIT_DAYS = 365

LEVEL_NAMES = {
    pb.SITE_LEVEL_PROVINCE: ("province", "省级"),
    pb.SITE_LEVEL_CITY: ("city", "市级"),
    pb.SITE_LEVEL_COUNTY: ("county", "县级"),
}


def check_site_code(code: str, field: str = "site_code") -> str:
    if not SITE_CODE.match(code or ""):
        raise invalid(
            "SITE_CODE_INVALID",
            f"site code must be a 6-digit administrative division code, got {code!r}",
            "站点编码应为6位行政区划代码",
            field,
        )
    return code


def check_matter_code(code: str) -> str:
    if not MATTER_CODE.match(code or ""):
        raise invalid(
            "MATTER_CODE_INVALID",
            "matter code must be 1-36 letters, digits or hyphens",
            "事项编码应为1至36位字母、数字或连字符",
            "code",
        )
    return code


def check_department_code(code: str) -> str:
    if not DEPARTMENT_CODE.match(code or ""):
        raise invalid(
            "DEPARTMENT_CODE_INVALID",
            "department code must be 1-40 letters, digits or hyphens",
            "部门编码应为1至40位字母、数字或连字符",
            "department_code",
        )
    return code


def check_name(name: str, field: str = "name") -> str:
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise invalid(
            "NAME_INVALID",
            f"{field} must be 1-{MAX_NAME} characters",
            f"名称不能为空且不超过{MAX_NAME}个字",
            field,
        )
    return name


def site_path(level: int, parent: SiteRecord | None, code: str) -> list[str]:
    """Where a site sits in the tree; a province has no parent, a city a province, a county a city."""
    if level not in LEVEL_NAMES:
        raise invalid(
            "SITE_LEVEL_INVALID", "site level must be province, city or county", "站点层级无效", "level"
        )
    if level == pb.SITE_LEVEL_PROVINCE:
        if parent is not None:
            raise invalid(
                "SITE_PARENT_INVALID",
                "a province has no parent site",
                "省级站点不应有上级站点",
                "parent_code",
            )
        return [code]
    if parent is None:
        raise invalid(
            "SITE_PARENT_REQUIRED",
            "a city or county needs an existing parent site",
            "市、县级站点须指定已存在的上级站点",
            "parent_code",
        )
    if parent.level != level - 1:
        raise invalid(
            "SITE_PARENT_LEVEL",
            "a city's parent must be a province and a county's parent a city",
            "市级站点的上级应为省级，县级站点的上级应为市级",
            "parent_code",
        )
    return [*parent.path, code]


@dataclass(frozen=True)
class SiteRecord:
    code: str
    name: str
    level: int
    parent_code: str
    path: list[str]


def validate_draft(draft: pb.MatterDraft) -> pb.MatterDraft:
    """Check an administrator's matter fields; every problem is reported at once, by field."""
    problems: list[FieldError] = []

    def bad(field: str, en: str, zh: str) -> None:
        problems.append(FieldError(field, en, zh))

    clean = pb.MatterDraft()
    clean.CopyFrom(draft)
    clean.name = (draft.name or "").strip()
    if not clean.name or len(clean.name) > MAX_NAME:
        bad("draft.name", f"name must be 1-{MAX_NAME} characters", f"事项名称不能为空且不超过{MAX_NAME}个字")
    if not DEPARTMENT_CODE.match(draft.department_code or ""):
        bad("draft.department_code", "department code is required", "请填写实施部门编码")
    audiences = sorted(set(draft.audiences))
    if not audiences or any(a not in (pb.AUDIENCE_PERSON, pb.AUDIENCE_LEGAL_PERSON) for a in audiences):
        bad("draft.audiences", "audience must be person and/or legal person", "服务对象应为自然人和/或法人")
    del clean.audiences[:]
    clean.audiences.extend(audiences)
    if draft.type not in pb.MatterType.values() or draft.type == pb.MATTER_TYPE_UNSPECIFIED:
        bad("draft.type", "matter type is required", "请选择事项类型")
    for name, limit, zh in (
        ("promised_limit", draft.promised_limit, "承诺办结时限"),
        ("legal_limit", draft.legal_limit, "法定办结时限"),
    ):
        if limit.unit == common_pb2.TIME_LIMIT_UNIT_UNSPECIFIED:
            clean_limit = getattr(clean, name)
            clean_limit.unit = common_pb2.TIME_LIMIT_UNIT_WORKING_DAY
        if limit.value > MAX_LIMIT_DAYS:
            bad(
                f"draft.{name}",
                f"{name} must be at most {MAX_LIMIT_DAYS} days",
                f"{zh}不能超过{MAX_LIMIT_DAYS}天",
            )
    if draft.legal_limit.value and draft.promised_limit.value > draft.legal_limit.value:
        bad(
            "draft.promised_limit",
            "the promised time limit cannot exceed the legal one",
            "承诺办结时限不能超过法定办结时限",
        )
    for field in pb.Guide.DESCRIPTOR.fields:
        if len(getattr(draft.guide, field.name)) > MAX_GUIDE_FIELD:
            bad(
                f"draft.guide.{field.name}",
                "guide text is too long",
                f"办事指南内容过长（不超过{MAX_GUIDE_FIELD}字）",
            )
    if problems:
        raise DomainError(
            "MATTER_INVALID",
            "; ".join(f"{p.field}: {p.message}" for p in problems),
            "；".join(p.message_zh for p in problems),
            ErrorKind.INVALID,
            problems,
        )
    return clean


# Which status changes are allowed: publish from draft or withdrawn, withdraw from published.
_TRANSITIONS: dict[tuple[str, int], int] = {
    ("publish", pb.MATTER_STATUS_DRAFT): pb.MATTER_STATUS_PUBLISHED,
    ("publish", pb.MATTER_STATUS_WITHDRAWN): pb.MATTER_STATUS_PUBLISHED,
    ("withdraw", pb.MATTER_STATUS_PUBLISHED): pb.MATTER_STATUS_WITHDRAWN,
}

_STATUS_EN: dict[int, str] = {
    pb.MATTER_STATUS_DRAFT: "a draft",
    pb.MATTER_STATUS_PUBLISHED: "published",
    pb.MATTER_STATUS_WITHDRAWN: "withdrawn",
}
_STATUS_ZH: dict[int, str] = {
    pb.MATTER_STATUS_DRAFT: "草稿",
    pb.MATTER_STATUS_PUBLISHED: "已发布",
    pb.MATTER_STATUS_WITHDRAWN: "已撤回",
}


def next_status(action: str, status: int) -> int:
    target = _TRANSITIONS.get((action, status))
    if target is None:
        action_zh = "发布" if action == "publish" else "撤回"
        raise DomainError(
            "MATTER_NOT_IN_STATE",
            f"cannot {action} a matter that is {_STATUS_EN.get(status, 'unknown')}",
            f"事项当前状态为“{_STATUS_ZH.get(status, '未知')}”，不能{action_zh}",
            ErrorKind.WRONG_STATE,
        )
    return target


def check_editable(status: int) -> None:
    if status == pb.MATTER_STATUS_WITHDRAWN:
        raise DomainError(
            "MATTER_NOT_IN_STATE",
            "a withdrawn matter cannot be edited; publish it again first",
            "已撤回的事项不能修改，请先重新发布",
            ErrorKind.WRONG_STATE,
        )


def may_administer(caller: common_pb2.CallerIdentity, site: SiteRecord) -> bool:
    """Platform admins administer every site; a site admin, their own site and its descendants."""
    if caller.kind == common_pb2.CALLER_KIND_ADMIN:
        return True
    return (
        caller.kind == common_pb2.CALLER_KIND_STAFF
        and "site_admin" in caller.roles
        and caller.site_code in site.path
    )
