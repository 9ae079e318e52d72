"""Identity's rules: pure functions and small records, no I/O."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from govhall.kit.errors import DomainError, ErrorKind, forbidden, invalid
from govhall.kit.validators import is_valid_id_number, is_valid_mobile
from govhall.protos.common.v1 import common_pb2
from govhall.protos.identity.v1 import identity_pb2 as pb

PERSON, LEGAL_PERSON, STAFF = pb.ACCOUNT_KIND_PERSON, pb.ACCOUNT_KIND_LEGAL_PERSON, pb.ACCOUNT_KIND_STAFF

ROLES = {
    "window_clerk": "窗口受理",
    "reviewer": "审核",
    "approver": "决定",
    "supervisor": "监察",
    "site_admin": "站点管理员",
}

# What a legal person may let an agent do for it.
SCOPES = {
    "cases.apply": "申报办件",
    "cases.view": "查看办件",
    "appointments.book": "预约办事",
    "consult.submit": "咨询投诉",
    "licences.view": "查看证照",
}

# A scope that includes others: an applicant follows the cases they apply for.
SCOPE_INCLUDES = {"cases.apply": {"cases.view"}}


def grants(scopes: list[str], wanted: str) -> bool:
    """Whether an authorisation with these scopes allows `wanted`."""
    return any(s == wanted or wanted in SCOPE_INCLUDES.get(s, ()) for s in scopes)


SMS_PURPOSES = {
    pb.SMS_PURPOSE_REGISTER: ("register", "注册"),
    pb.SMS_PURPOSE_LOGIN: ("login", "登录"),
    pb.SMS_PURPOSE_RESET_PASSWORD: ("reset_password", "找回密码"),
    pb.SMS_PURPOSE_CHANGE_PASSWORD: ("change_password", "修改密码"),
    pb.SMS_PURPOSE_CHANGE_MOBILE: ("change_mobile", "更换手机号"),
    pb.SMS_PURPOSE_BIND_MOBILE: ("bind_mobile", "绑定新手机号"),
    pb.SMS_PURPOSE_LETTER: ("letter", "提交咨询投诉"),
}
# Codes that go to the signed-in caller's own mobile, whatever number the request names.
# Codes other services consume through CheckSmsCode (never usable to sign in or register).
SERVICE_PURPOSES = {pb.SMS_PURPOSE_LETTER}
OWN_MOBILE_PURPOSES = {pb.SMS_PURPOSE_CHANGE_PASSWORD, pb.SMS_PURPOSE_CHANGE_MOBILE}

MAX_AUTHORISATION_DAYS = 3 * 365

_USERNAME = re.compile(r"^[A-Za-z][A-Za-z0-9_]{3,31}$")
# Chinese names may carry the middle dot of minority and foreign names (阿卜杜·热合曼).
_PERSON_NAME = re.compile(
    r"^[\u3400-\u9fff\u00b7\u2022A-Za-z][\u3400-\u9fff\u00b7\u2022A-Za-z ]{0,28}[\u3400-\u9fff A-Za-z]$"
)


def check_password(password: str, field_name: str = "password") -> str:
    """At least 8 characters and at least two of: letters, digits, symbols."""
    classes = sum(
        (
            any(c.isascii() and c.isalpha() for c in password),
            any(c.isdigit() for c in password),
            any(not c.isalnum() and not c.isspace() for c in password),
        )
    )
    if len(password) < 8 or len(password) > 64 or classes < 2:
        raise invalid(
            "PASSWORD_WEAK",
            "the password must be 8 to 64 characters and mix at least two of letters, digits and symbols",
            "密码须为8至64位，且至少包含字母、数字、符号中的两种",
            field_name,
        )
    return password


def check_username(username: str) -> str:
    if not _USERNAME.fullmatch(username):
        raise invalid(
            "USERNAME_INVALID",
            "the username must be 4 to 32 letters, digits or underscores and start with a letter",
            "用户名须为4至32位字母、数字或下划线，并以字母开头",
            "username",
        )
    return username


def normalise_username(username: str) -> str:
    """The form login names are stored and compared in: names differ by more than case."""
    return username.strip().lower()


def check_person_name(name: str, field_name: str = "name") -> str:
    name = name.strip()
    if not _PERSON_NAME.fullmatch(name):
        raise invalid(
            "NAME_INVALID", "enter the name as on the ID card", "请填写与身份证一致的姓名", field_name
        )
    return name


def check_text(value: str, field_name: str, label_zh: str, max_length: int = 200) -> str:
    value = value.strip()
    if not value or len(value) > max_length:
        raise invalid(
            "FIELD_INVALID",
            f"{field_name} is required and at most {max_length} characters",
            f"{label_zh}不能为空且不超过{max_length}个字",
            field_name,
        )
    return value


def login_name_kind(login_name: str) -> str:
    """How a person typed their login: "id_number", "mobile" or "username"."""
    if is_valid_id_number(login_name):
        return "id_number"
    if is_valid_mobile(login_name):
        return "mobile"
    return "username"


def _check_choice(
    values: list[str], allowed: dict[str, str], code: str, field_name: str, label_zh: str
) -> list[str]:
    unknown = [v for v in values if v not in allowed]
    if not values or unknown:
        raise invalid(
            code,
            f"{field_name} must be some of {sorted(allowed)}" + (f"; unknown: {unknown}" if unknown else ""),
            f"{label_zh}须为：" + "、".join(allowed.values()),
            field_name,
        )
    return sorted(set(values))


def check_roles(roles: list[str]) -> list[str]:
    return _check_choice(roles, ROLES, "ROLE_INVALID", "roles", "角色")


def check_scopes(scopes: list[str]) -> list[str]:
    return _check_choice(scopes, SCOPES, "SCOPE_INVALID", "scopes", "授权范围")


def check_authorisation_expiry(expires_at: datetime, now: datetime) -> datetime:
    days = (expires_at - now).total_seconds() / 86400
    if days <= 0 or days > MAX_AUTHORISATION_DAYS:
        raise invalid(
            "AUTHORISATION_EXPIRY_INVALID",
            f"an authorisation must end in the future and within {MAX_AUTHORISATION_DAYS} days",
            "授权截止时间须晚于当前时间，且不超过三年",
            "expires_at",
        )
    return expires_at


@dataclass
class AccountRow:
    """An account as stored; secrets stay encrypted until the service decides to show them."""

    id: str
    kind: int
    name: str
    created_at: datetime
    username: str | None = None
    mobile_enc: str | None = None
    id_number_enc: str | None = None
    password_hash: str | None = None
    level: int = pb.REAL_NAME_LEVEL_UNVERIFIED
    credit_code: str | None = None
    legal_person_type: int = 0
    representative_id: str | None = None
    site_code: str | None = None
    department_code: str | None = None
    roles: list[str] = field(default_factory=list)


@dataclass
class AuthorisationRow:
    id: str
    legal_person_id: str
    agent_id: str
    scopes: list[str]
    expires_at: datetime
    created_at: datetime
    revoked_at: datetime | None = None

    def status(self, now: datetime) -> int:
        if self.revoked_at is not None:
            return pb.AUTHORISATION_STATUS_REVOKED
        if self.expires_at <= now:
            return pb.AUTHORISATION_STATUS_EXPIRED
        return pb.AUTHORISATION_STATUS_ACTIVE


_CALLER_KINDS: dict[int, common_pb2.CallerKind.ValueType] = {
    PERSON: common_pb2.CALLER_KIND_PERSON,
    LEGAL_PERSON: common_pb2.CALLER_KIND_LEGAL_PERSON,
    STAFF: common_pb2.CALLER_KIND_STAFF,
}


def caller_kind(kind: int) -> common_pb2.CallerKind.ValueType:
    return _CALLER_KINDS[kind]


def may_manage_staff(caller: common_pb2.CallerIdentity, site_path: list[str]) -> bool:
    """Platform admins, and site admins of the site or one of its ancestors."""
    if caller.kind == common_pb2.CALLER_KIND_ADMIN:
        return True
    return (
        caller.kind == common_pb2.CALLER_KIND_STAFF
        and "site_admin" in caller.roles
        and caller.site_code in site_path
    )


def require_kind(caller: common_pb2.CallerIdentity, *kinds: int) -> None:
    if caller.kind == common_pb2.CALLER_KIND_ANONYMOUS or not caller.subject:
        raise DomainError("UNAUTHENTICATED", "sign in first", "请先登录", ErrorKind.UNAUTHENTICATED)
    if caller.kind not in kinds:
        raise forbidden("this account type cannot do that", "当前账号类型不能办理此操作")
