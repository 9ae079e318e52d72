"""Unified identity's REST shapes (统一身份认证): the request bodies, the typed response models
and the one mapping from identity's messages onto them. Times are datetimes in Beijing time
(+08:00); enums are short names, as everywhere in the gateway."""

from __future__ import annotations

import base64
import binascii
from datetime import datetime
from typing import Annotated, Any, Literal

from fastapi import Path, Request
from pydantic import Field

from govhall.gateway.bounds import BoundedTime
from govhall.gateway.model import SHANGHAI, In, SiteCode
from govhall.gateway.protojson import Out
from govhall.kit.errors import invalid
from govhall.protos.identity.v1 import identity_pb2 as pb

SMS_PURPOSES = {
    "register": pb.SMS_PURPOSE_REGISTER,
    "login": pb.SMS_PURPOSE_LOGIN,
    "reset_password": pb.SMS_PURPOSE_RESET_PASSWORD,
    "change_password": pb.SMS_PURPOSE_CHANGE_PASSWORD,
    "change_mobile": pb.SMS_PURPOSE_CHANGE_MOBILE,
    "bind_mobile": pb.SMS_PURPOSE_BIND_MOBILE,
    "letter": pb.SMS_PURPOSE_LETTER,
}
LEGAL_PERSON_TYPES = {
    "enterprise": (pb.LEGAL_PERSON_TYPE_ENTERPRISE, "企业"),
    "individual_business": (pb.LEGAL_PERSON_TYPE_INDIVIDUAL_BUSINESS, "个体工商户"),
    "public_institution": (pb.LEGAL_PERSON_TYPE_PUBLIC_INSTITUTION, "事业单位"),
    "social_organisation": (pb.LEGAL_PERSON_TYPE_SOCIAL_ORGANISATION, "社会团体"),
    "private_non_enterprise": (pb.LEGAL_PERSON_TYPE_PRIVATE_NON_ENTERPRISE, "民办非企业单位"),
    "government_agency": (pb.LEGAL_PERSON_TYPE_GOVERNMENT_AGENCY, "政府机关"),
    "other": (pb.LEGAL_PERSON_TYPE_OTHER, "其他组织"),
}
LEGAL_PERSON_TYPE_BY_NUMBER = {number: name for name, (number, _) in LEGAL_PERSON_TYPES.items()}
KINDS = {
    pb.ACCOUNT_KIND_PERSON: "person",
    pb.ACCOUNT_KIND_LEGAL_PERSON: "legal_person",
    pb.ACCOUNT_KIND_STAFF: "staff",
}
LEVELS = {
    pb.REAL_NAME_LEVEL_UNVERIFIED: "unverified",
    pb.REAL_NAME_LEVEL_REAL_NAME: "real_name",
    pb.REAL_NAME_LEVEL_HIGH: "high",
}
STRONG_METHODS = {"face": pb.STRONG_METHOD_FACE, "ca": pb.STRONG_METHOD_CA}
AUTHORISATION_STATUSES = {
    pb.AUTHORISATION_STATUS_ACTIVE: "active",
    pb.AUTHORISATION_STATUS_REVOKED: "revoked",
    pb.AUTHORISATION_STATUS_EXPIRED: "expired",
}

Mobile = Annotated[str, Field(max_length=20, examples=["13800138000"], description="手机号")]
SmsCode = Annotated[str, Field(max_length=10, examples=["123456"], description="短信验证码")]
Password = Annotated[str, Field(max_length=128, description="密码：至少8位，含字母、数字、符号中的两种")]
IdPath = Annotated[str, Path(pattern=r"^[0-9a-f-]{36}$", description="id")]


class Strict(In):
    """Unknown fields refused, text checked to be Unicode, no coercion (model.In): the gateway's
    request base."""


# Requests --------------------------------------------------------------------------------


class SmsCodeIn(Strict):
    mobile: Annotated[
        str, Field(max_length=20, description="手机号；修改密码、更换手机号时发往已绑定的手机号，可不填")
    ] = ""
    purpose: Literal[
        "register", "login", "reset_password", "change_password", "change_mobile", "bind_mobile", "letter"
    ] = Field(
        description="用途：注册、登录、找回密码、修改密码（需登录）、更换手机号（需登录）、绑定手机号、"
        "匿名提交咨询投诉建议。"
        "无论手机号是否已注册，应答都相同；不适用的验证码（如为已注册号码申请注册）不会发送"
    )


class RegisterIn(Strict):
    mobile: Mobile
    sms_code: SmsCode
    password: Password
    username: str = Field("", max_length=32, description="可选用户名：字母开头，4–32位字母、数字或下划线")


class PasswordLoginIn(Strict):
    method: Literal["password"]
    login_name: str = Field(max_length=64, description="用户名、身份证号或手机号")
    password: Password


class SmsLoginIn(Strict):
    method: Literal["sms"]
    mobile: Mobile
    sms_code: SmsCode


class LegalPersonLoginIn(Strict):
    method: Literal["legal_person"]
    credit_code: str = Field(max_length=18, description="统一社会信用代码")
    password: Password


class StaffLoginIn(Strict):
    method: Literal["staff"]
    username: str = Field(max_length=32, description="工作人员用户名")
    password: Password


class CertificateLoginIn(Strict):
    method: Literal["certificate"]
    credit_code: str = Field(max_length=18, description="统一社会信用代码")
    certificate_b64: str = Field(max_length=16384, description="证书 (base64)")
    challenge_b64: str = Field(max_length=1024, description="挑战值 (base64)")
    signature_b64: str = Field(max_length=4096, description="签名 (base64)")


LoginIn = Annotated[
    PasswordLoginIn | SmsLoginIn | LegalPersonLoginIn | StaffLoginIn | CertificateLoginIn,
    Field(discriminator="method"),
]


class RefreshIn(Strict):
    refresh_token: str = Field(max_length=200, description="刷新令牌（每个只能用一次）")


class LogoutIn(Strict):
    refresh_token: str = Field("", max_length=200, description="本次登录的刷新令牌")


class PasswordResetIn(Strict):
    mobile: Mobile
    sms_code: SmsCode
    new_password: Password


class RealNameIn(Strict):
    name: str = Field(max_length=30, description="姓名")
    id_number: str = Field(max_length=20, description="居民身份证号码")


class LevelIn(Strict):
    method: Literal["face", "ca"]
    evidence_b64: str = Field(max_length=1_000_000, description="人脸核验凭据或CA签名 (base64)")


class PasswordChangeIn(Strict):
    old_password: Password
    new_password: Password
    sms_code: SmsCode


class MobileChangeIn(Strict):
    password: Password
    old_mobile_code: SmsCode
    new_mobile: Mobile
    new_mobile_code: SmsCode


class UsernameIn(Strict):
    username: str = Field(
        max_length=32, description="用户名：字母开头，4–32位字母、数字或下划线；登录时不区分大小写"
    )


class AddressIn(Strict):
    recipient: str = Field(max_length=60, description="收件人")
    mobile: Mobile
    county_code: SiteCode
    detail: str = Field(max_length=200, description="详细地址")
    postal_code: str = Field("", max_length=6, description="邮政编码")
    is_default: bool = Field(False, description="设为默认地址")


class EnterpriseIn(Strict):
    credit_code: str = Field(max_length=18, description="统一社会信用代码")
    name: str = Field(max_length=200, description="单位名称")
    type: Literal[
        "enterprise",
        "individual_business",
        "public_institution",
        "social_organisation",
        "private_non_enterprise",
        "government_agency",
        "other",
    ]
    password: Password


class AgentIn(Strict):
    agent_name: str = Field(max_length=30, description="经办人姓名")
    agent_id_number: str = Field(max_length=20, description="经办人身份证号")
    scopes: list[
        Literal["cases.apply", "cases.view", "appointments.book", "consult.submit", "licences.view"]
    ] = Field(min_length=1, max_length=10, description="授权范围")
    expires_at: Annotated[datetime, BoundedTime] = Field(
        strict=False, description="授权截止时间 (ISO 8601, with offset)"
    )


class StaffIn(Strict):
    username: str = Field(max_length=32, description="用户名")
    name: str = Field(max_length=30, description="姓名")
    mobile: Mobile
    password: Password
    site_code: SiteCode
    department_code: str = Field(max_length=40, description="所属部门代码")
    roles: list[Literal["window_clerk", "reviewer", "approver", "supervisor", "site_admin"]] = Field(
        min_length=1,
        max_length=5,
        description="角色：window_clerk 窗口受理，reviewer 审核，approver 决定，supervisor 监察，site_admin 站点管理员",
    )


# Responses --------------------------------------------------------------------------------
# Times are ISO 8601 in Beijing time (+08:00), as everywhere in the gateway.


class SmsCodeOut(Out):
    expires_in_seconds: int = Field(description="验证码有效期（秒）")
    resend_after_seconds: int = Field(description="多少秒后可重新发送")
    mobile_masked: str = Field(description="接收验证码的手机号（已脱敏）", examples=["138****5678"])


class AccountOut(Out):
    id: str
    kind: str = Field(description="账号类型：person 自然人，legal_person 法人，staff 工作人员")
    username: str = Field(description="用户名")
    name: str = Field(description="姓名或单位名称")
    id_number_masked: str = Field(description="身份证号（已脱敏）")
    mobile_masked: str = Field(description="手机号（已脱敏）")
    real_name_level: str = Field(description="实名等级：unverified 未实名，real_name 实名，high 高级实名")
    created_at: datetime | None = Field(description="注册时间")
    site_code: str = Field("", description="工作人员所属站点")
    department_code: str = Field("", description="工作人员所属部门")
    roles: list[str] = Field([], description="工作人员角色")


class TokensOut(Out):
    access_token: str = Field(description="访问令牌 (JWT)，放在 Authorization: Bearer 中")
    token_type: str = Field(description="Bearer")
    expires_in_seconds: int = Field(description="访问令牌有效期（秒）")
    refresh_token: str = Field(description="刷新令牌，只能使用一次；代办理令牌没有")
    refresh_expires_in_seconds: int = Field(description="刷新令牌有效期（秒）")
    account: AccountOut


class AddressOut(Out):
    id: str
    recipient: str = Field(description="收件人")
    mobile: str = Field(description="收件人手机号（已脱敏）")
    county_code: str = Field(description="区县代码")
    province_name: str = Field(description="省")
    city_name: str = Field(description="市")
    county_name: str = Field(description="区县")
    detail: str = Field(description="详细地址")
    postal_code: str = Field(description="邮政编码")
    is_default: bool = Field(description="默认地址")


class EnterpriseOut(Out):
    id: str
    credit_code: str = Field(description="统一社会信用代码")
    name: str = Field(description="单位名称")
    type: str = Field(description="单位类型")
    type_label: str = Field(description="单位类型（中文）", examples=["企业"])
    representative_id: str
    representative_name: str = Field(description="法定代表人")
    created_at: datetime | None = Field(description="注册时间")
    relation: str = Field(description="与我的关系：representative 法定代表人，agent 经办人，self 法人本身")
    scopes: list[str] = Field(description="经办人的授权范围")
    authorised_until: datetime | None = Field(description="经办人授权截止时间")


class AuthorisationOut(Out):
    id: str
    enterprise_id: str
    enterprise_name: str = Field(description="单位名称")
    agent_id: str
    agent_name: str = Field(description="经办人姓名")
    agent_mobile_masked: str = Field(description="经办人手机号（已脱敏）")
    scopes: list[str] = Field(description="授权范围")
    expires_at: datetime | None = Field(description="授权截止时间")
    status: str = Field(description="active 有效，revoked 已撤销，expired 已过期")
    created_at: datetime | None = Field(description="授权时间")
    revoked_at: datetime | None = Field(description="撤销时间")


class StaffOut(Out):
    id: str
    username: str = Field(description="用户名")
    name: str = Field(description="姓名")
    mobile_masked: str = Field(description="手机号（已脱敏）")
    site_code: str = Field(description="所属站点")
    department_code: str = Field(description="所属部门")
    roles: list[str] = Field(description="角色")
    created_at: datetime | None = Field(description="创建时间")


def _time(message: Any, name: str) -> datetime | None:
    return getattr(message, name).ToDatetime(SHANGHAI) if message.HasField(name) else None


def account_out(a: pb.Account) -> AccountOut:
    return AccountOut(
        id=a.id,
        kind=KINDS.get(a.kind, "unknown"),
        username=a.username,
        name=a.name,
        id_number_masked=a.id_number_masked,
        mobile_masked=a.mobile_masked,
        real_name_level=LEVELS.get(a.real_name_level, "unverified"),
        created_at=_time(a, "created_at"),
        site_code=a.site_code,
        department_code=a.department_code,
        roles=list(a.roles),
    )


def tokens_out(t: pb.TokenPair) -> TokensOut:
    return TokensOut(
        access_token=t.access_token,
        token_type=t.token_type,
        expires_in_seconds=t.expires_in_seconds,
        refresh_token=t.refresh_token,
        refresh_expires_in_seconds=t.refresh_expires_in_seconds,
        account=account_out(t.account),
    )


def address_out(a: pb.Address) -> AddressOut:
    return AddressOut(**{f: getattr(a, f) for f in AddressOut.model_fields})


def enterprise_out(e: pb.LegalPerson) -> EnterpriseOut:
    type_name = LEGAL_PERSON_TYPE_BY_NUMBER.get(e.type, "other")
    return EnterpriseOut(
        id=e.id,
        credit_code=e.credit_code,
        name=e.name,
        type=type_name,
        type_label=LEGAL_PERSON_TYPES[type_name][1],
        representative_id=e.representative_id,
        representative_name=e.representative_name,
        created_at=_time(e, "created_at"),
        relation=e.relation,
        scopes=list(e.scopes),
        authorised_until=_time(e, "authorised_until"),
    )


def authorisation_out(a: pb.AgentAuthorisation) -> AuthorisationOut:
    return AuthorisationOut(
        id=a.id,
        enterprise_id=a.legal_person_id,
        enterprise_name=a.legal_person_name,
        agent_id=a.agent_id,
        agent_name=a.agent_name,
        agent_mobile_masked=a.agent_mobile_masked,
        scopes=list(a.scopes),
        expires_at=_time(a, "expires_at"),
        status=AUTHORISATION_STATUSES.get(a.status, "unknown"),
        created_at=_time(a, "created_at"),
        revoked_at=_time(a, "revoked_at"),
    )


def staff_out(s: pb.Staff) -> StaffOut:
    return StaffOut(
        id=s.id,
        username=s.username,
        name=s.name,
        mobile_masked=s.mobile_masked,
        site_code=s.site_code,
        department_code=s.department_code,
        roles=list(s.roles),
        created_at=_time(s, "created_at"),
    )


def b64(value: str, field: str) -> bytes:
    try:
        return base64.b64decode(value, validate=True)
    except (binascii.Error, ValueError):
        raise invalid("BASE64_INVALID", f"{field} must be base64", "内容应为 base64 编码", field) from None


def client_ip(request: Request) -> str:
    return request.client.host if request.client else ""
