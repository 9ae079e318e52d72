"""The holder's 证照库: their licences of every level, read by the holder only.

A licence is its holder's: a person's own, or an enterprise's (the legal person's login, its
representative, or an agent whose authorisation carries the `licences` scope). Anyone else's
licence is 404 (never 403: nobody learns another's licence exists). Holder codes leave only
masked; the verify code is the holder's to show (the QR), so they see it.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from govhall.kit.caller import current_caller
from govhall.kit.db import Database, UnitOfWork
from govhall.kit.errors import DomainError, ErrorKind, invalid
from govhall.kit.files import MEDIA_TYPES, FileStore, sniff
from govhall.kit.paging import page_info, paging
from govhall.licences import access
from govhall.licences.tables import licence_types, licences
from govhall.protos.common.v1 import common_pb2
from govhall.protos.licences.v1 import licences_pb2 as pb

HOLDER_KINDS = {common_pb2.CALLER_KIND_PERSON: "person", common_pb2.CALLER_KIND_LEGAL_PERSON: "legal_person"}
AGENT_SCOPE = "licences"
LEVELS = ("A", "B", "C")


@dataclass(frozen=True)
class Holder:
    kind: str  # person | legal_person
    subject: str


def holder() -> Holder:
    """The signed-in person or enterprise (an agent needs the licences scope); else refused."""
    caller = current_caller()
    kind = HOLDER_KINDS.get(caller.kind)
    if kind is None or not caller.subject:
        if caller.kind in (common_pb2.CALLER_KIND_UNSPECIFIED, common_pb2.CALLER_KIND_ANONYMOUS):
            raise DomainError(
                "SIGN_IN_REQUIRED",
                "sign in as a person or an enterprise first",
                "请先以个人或法人身份登录",
                ErrorKind.UNAUTHENTICATED,
            )
        raise DomainError(
            "HOLDER_ONLY",
            "only a person or an enterprise holds licences",
            "仅个人或法人用户拥有证照库",
            ErrorKind.FORBIDDEN,
        )
    if kind == "legal_person" and caller.authorisation_id and AGENT_SCOPE not in caller.scopes:
        raise DomainError(
            "AGENT_SCOPE_MISSING",
            "your authorisation for this enterprise does not include its licences",
            "您的经办授权不包含“证照”，请联系法定代表人授权",
            ErrorKind.FORBIDDEN,
        )
    return Holder(kind, caller.subject)


def not_found() -> DomainError:
    return DomainError("LICENCE_NOT_FOUND", "no such licence", "证照不存在", ErrorKind.NOT_FOUND)


def mine(who: Holder) -> Any:
    return sa.and_(licences.c.holder_kind == who.kind, licences.c.holder_subject == who.subject)


async def load_mine(uow: UnitOfWork, licence_id: str, who: Holder) -> Any:
    access.object_id(licence_id, "id")
    row = (
        await uow.conn.execute(
            sa.select(licences, licence_types.c.name.label("type_name"))
            .join(licence_types, licence_types.c.code == licences.c.type_code)
            .where(licences.c.id == licence_id, mine(who))
        )
    ).first()
    if row is None:
        raise not_found()
    return row


def _day(value: dt.date | None) -> str:
    return value.isoformat() if value else ""


def as_message(row: Any) -> pb.Licence:
    return pb.Licence(
        id=row.id,
        level=row.level,
        type_code=row.type_code,
        type_name=row.type_name,
        identifier=row.identifier or "",
        number=row.number,
        holder_name=row.holder_name,
        holder_code_masked=row.holder_code_masked,
        issuer_name=row.issuer_name,
        issuer_code=row.issuer_code,
        issued_on=_day(row.issued_on),
        valid_until=_day(row.valid_until),
        state=row.state,
        metadata=json.loads(row.metadata),
        has_file=bool(row.file_hash),
        case_id=row.case_id or "",
        revision=row.revision,
        editable=row.level == "C",
        verify_code=row.verify_code or "",
    )


class HolderLicences:
    def __init__(self, db: Database, files: FileStore) -> None:
        self.db = db
        self.files = files

    async def listing(self, request: pb.ListMyLicencesRequest) -> pb.ListMyLicencesResponse:
        who = holder()
        number, size = paging(request.page)
        where = [mine(who)]
        if request.level:
            if request.level not in LEVELS:
                raise invalid("LEVEL_INVALID", "level is A, B or C", "证照级别应为A、B或C", "level")
            where.append(licences.c.level == request.level)
        if request.type_code:
            where.append(licences.c.type_code == access.type_code(request.type_code))
        async with self.db.reader() as uow:
            total = await uow.conn.scalar(sa.select(sa.func.count()).select_from(licences).where(*where))
            rows = (
                await uow.conn.execute(
                    sa.select(licences, licence_types.c.name.label("type_name"))
                    .join(licence_types, licence_types.c.code == licences.c.type_code)
                    .where(*where)
                    .order_by(licences.c.created_at.desc(), licences.c.id)
                    .limit(size)
                    .offset((number - 1) * size)
                )
            ).all()
        return pb.ListMyLicencesResponse(
            licences=[as_message(r) for r in rows], page=page_info(number, size, total or 0)
        )

    async def get(self, request: pb.GetMyLicenceRequest) -> pb.Licence:
        who = holder()
        async with self.db.reader() as uow:
            return as_message(await load_mine(uow, request.id, who))

    async def file(self, request: pb.GetMyLicenceRequest) -> pb.LicenceFile:
        who = holder()
        async with self.db.reader() as uow:
            row = await load_mine(uow, request.id, who)
        if not row.file_hash:
            raise DomainError(
                "LICENCE_FILE_NOT_FOUND", "this licence has no file", "该证照没有文件", ErrorKind.NOT_FOUND
            )
        content = await self.files.aget(row.file_hash)
        family = sniff(content) or "pdf"
        return pb.LicenceFile(
            file_name=f"{row.type_name}-{row.number}.{family}",
            media_type=MEDIA_TYPES[family],
            content=content,
            sha256=row.file_hash,
        )
