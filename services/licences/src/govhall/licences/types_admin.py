"""Keeping licence types (证照目录): platform administrators create and update a type under its
revision and link the matters whose approved conclusion issues it.

A matter is linked to at most one type (`type_matters.matter_code` is the key): a conclusion
must not issue two different licences. Matter codes are checked for shape only; a link to a
matter the catalogue does not (yet) have issues nothing until it exists.
"""

from __future__ import annotations

import datetime as dt
import json
import re

import sqlalchemy as sa

from govhall.kit.caller import current_caller, is_admin
from govhall.kit.db import Database, UnitOfWork
from govhall.kit.errors import DomainError, ErrorKind, invalid
from govhall.licences import access
from govhall.licences.tables import licence_types, type_matters
from govhall.licences.types import as_messages
from govhall.protos.licences.v1 import types_pb2
from govhall.protos.licences.v1 import verification_pb2 as pb

FIELD_KEY = re.compile(r"^[a-z][a-z0-9_]{0,39}$")
CREDIT_CODE = re.compile(r"^[0-9A-Z]{18}$")
MATTER_CODE = re.compile(r"^[0-9A-Za-z-]{1,36}$")
HOLDER_KINDS = ("person", "legal_person")


def admin_only() -> None:
    if not is_admin(current_caller()):
        raise DomainError(
            "ADMIN_ONLY",
            "only platform administrators keep licence types",
            "仅平台管理员可维护证照目录",
            ErrorKind.FORBIDDEN,
        )


def _text(value: str, field: str, most: int, en: str, zh: str) -> str:
    value = (value or "").strip()
    if not value or len(value) > most:
        raise invalid(
            "FIELD_INVALID",
            f"{en} is required (at most {most} characters)",
            f"{zh}必填（最多{most}字）",
            field,
        )
    return value


def checked(t: types_pb2.LicenceType) -> dict[str, object]:
    """The columns of a type from a request, every field checked (400 naming the first bad one)."""
    if not CREDIT_CODE.match(t.issuer_code or ""):
        raise invalid(
            "ISSUER_CODE_INVALID",
            "issuer_code is the issuer's 18-character unified social credit code",
            "发证机关代码应为18位统一社会信用代码",
            "type.issuer_code",
        )
    if t.holder_kind not in HOLDER_KINDS:
        raise invalid(
            "HOLDER_KIND_INVALID",
            "holder_kind is person or legal_person",
            "持证主体类型应为自然人或法人",
            "type.holder_kind",
        )
    if not 0 <= t.validity_years <= 100:
        raise invalid(
            "VALIDITY_INVALID",
            "validity_years is 0 (no expiry) to 100",
            "有效期应为0（长期）至100年",
            "type.validity_years",
        )
    keys: set[str] = set()
    fields = []
    for i, f in enumerate(t.fields):
        if not FIELD_KEY.match(f.key) or f.key in keys:
            raise invalid(
                "FIELD_KEY_INVALID",
                "each field key is a unique lower-case identifier (a-z, 0-9, _)",
                "字段标识应唯一，由小写字母、数字和下划线组成",
                f"type.fields[{i}].key",
            )
        keys.add(f.key)
        label = _text(f.label, f"type.fields[{i}].label", 50, "a field's label", "字段名称")
        fields.append({"key": f.key, "label": label, "required": f.required})
    return {
        "code": access.type_code(t.code, "type.code"),
        "name": _text(t.name, "type.name", 100, "name", "证照名称"),
        "issuer_department_code": _text(
            t.issuer_department_code, "type.issuer_department_code", 64, "the issuing department", "发证部门"
        ),
        "issuer_name": _text(t.issuer_name, "type.issuer_name", 200, "the issuer's name", "发证机关名称"),
        "issuer_code": t.issuer_code,
        "holder_kind": t.holder_kind,
        "validity_years": t.validity_years,
        "fields": json.dumps(fields, ensure_ascii=False),
        "holder_maintained": t.holder_maintained,
    }


class TypesAdmin:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def save(self, r: pb.SaveLicenceTypeRequest) -> types_pb2.LicenceType:
        admin_only()
        values = checked(r.type)
        code = str(values["code"])
        now = dt.datetime.now(dt.UTC)
        async with self.db.uow() as uow:
            existing = await _row(uow, code)
            if r.revision == 0:
                if existing is not None:
                    raise DomainError(
                        "LICENCE_TYPE_EXISTS",
                        "a licence type with this code exists",
                        "该证照类型代码已存在",
                        ErrorKind.CONFLICT,
                    )
                await uow.conn.execute(licence_types.insert().values(**values, revision=1, updated_at=now))
            else:
                if existing is None:
                    raise access.type_not_found()
                changed = await uow.conn.execute(
                    licence_types.update()
                    .where(licence_types.c.code == code, licence_types.c.revision == r.revision)
                    .values(**values, revision=licence_types.c.revision + 1, updated_at=now)
                )
                if changed.rowcount != 1:
                    raise stale()
            saved = await _message(uow, code)
            await uow.commit()
        return saved

    async def link(self, r: pb.LinkMatterRequest, linked: bool) -> types_pb2.LicenceType:
        admin_only()
        code = access.type_code(r.type_code, "type_code")
        if not MATTER_CODE.match(r.matter_code or ""):
            raise invalid(
                "MATTER_CODE_INVALID", "matter_code is not a matter code", "事项编码无效", "matter_code"
            )
        async with self.db.uow() as uow:
            if await _row(uow, code) is None:
                raise access.type_not_found()
            current = (
                await uow.conn.execute(
                    sa.select(type_matters.c.type_code).where(type_matters.c.matter_code == r.matter_code)
                )
            ).scalar_one_or_none()
            if linked and current is None:
                await uow.conn.execute(
                    type_matters.insert().values(matter_code=r.matter_code, type_code=code)
                )
            elif linked and current != code:
                raise DomainError(
                    "MATTER_LINKED",
                    "this matter already issues another licence type",
                    "该事项已关联其他证照类型",
                    ErrorKind.CONFLICT,
                    [],
                )
            elif not linked and current == code:
                await uow.conn.execute(
                    type_matters.delete().where(type_matters.c.matter_code == r.matter_code)
                )
            saved = await _message(uow, code)
            await uow.commit()
        return saved


def stale() -> DomainError:
    return DomainError(
        "REVISION_MISMATCH",
        "the licence type changed since you read it; reload and try again",
        "该证照类型已被更新，请刷新后重试",
        ErrorKind.CONFLICT,
    )


async def _row(uow: UnitOfWork, code: str) -> object | None:
    return (
        await uow.conn.execute(sa.select(licence_types.c.code).where(licence_types.c.code == code))
    ).first()


async def _message(uow: UnitOfWork, code: str) -> types_pb2.LicenceType:
    row = (await uow.conn.execute(sa.select(licence_types).where(licence_types.c.code == code))).one()
    return (await as_messages(uow, [row]))[0]
