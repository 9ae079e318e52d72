"""Level C: the holder's own licences — a scan or photo (checked by content as case materials
are) with the type's fields, for a type whose holders may keep their own (`holder_maintained`)
and whose holder kind is the caller's. The holder edits them (revision check: 409 if it changed
since they read it) and deletes them (409 while a grant of one to a case lives). A and B are the
issuer's: read-only to the holder (403, saying so). C licences have no identifier, verify code or
status place: nobody vouches for them.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import json
from typing import Any

import sqlalchemy as sa

from govhall.kit.caller import current_caller
from govhall.kit.contents import ContentLimits
from govhall.kit.db import Database, UnitOfWork
from govhall.kit.errors import DomainError, ErrorKind, invalid
from govhall.kit.files import DEFAULT_ACCEPTED, FileStore, check_upload
from govhall.kit.ids import new_id
from govhall.licences import access
from govhall.licences.grants_tables import licence_accesses, licence_grants
from govhall.licences.holder import Holder, as_message, holder, load_mine
from govhall.licences.status_tables import licence_expiries
from govhall.licences.tables import licence_types, licences
from govhall.protos.licences.v1 import licences_pb2 as pb

MAX_TEXT = 200


def _date(text: str, field: str, required: bool) -> dt.date | None:
    if not text:
        if required:
            raise invalid("DATE_REQUIRED", f"{field} is required", f"{field} 为必填项", field)
        return None
    try:
        return dt.date.fromisoformat(text)
    except ValueError:
        raise invalid(
            "DATE_INVALID", f"{field} is a date YYYY-MM-DD", f"{field} 应为日期（YYYY-MM-DD）", field
        ) from None


def _text(value: str, field: str, required: bool = True) -> str:
    value = value.strip()
    if required and not value:
        raise invalid("FIELD_REQUIRED", f"{field} is required", f"{field} 为必填项", field)
    if len(value) > MAX_TEXT:
        raise invalid(
            "FIELD_TOO_LONG",
            f"{field} is at most {MAX_TEXT} characters",
            f"{field} 不能超过{MAX_TEXT}个字符",
            field,
        )
    return value


def _metadata(kind: Any, given: dict[str, str]) -> dict[str, str]:
    """The type's fields only: required ones present, none unknown."""
    fields = json.loads(kind.fields)
    keys = {f["key"] for f in fields}
    for key in given:
        if key not in keys:
            raise invalid(
                "FIELD_UNKNOWN",
                f"{key} is not a field of this licence type",
                f"{key} 不是该证照类型的字段",
                f"metadata.{key}",
            )
    found: dict[str, str] = {}
    for f in fields:
        value = _text(given.get(f["key"], ""), f"metadata.{f['key']}", bool(f.get("required")))
        if value:
            found[f["key"]] = value
    return found


def read_only(level: str) -> DomainError:
    who = "imported from the issuing authority's records" if level == "B" else "issued by the authority"
    return DomainError(
        "LICENCE_READ_ONLY",
        f"this licence is {who}: only the issuer changes it",
        "该证照由发证机关签发或核验，持证人不能修改或删除",
        ErrorKind.FORBIDDEN,
    )


def granted() -> DomainError:
    return DomainError(
        "LICENCE_GRANTED",
        "this licence is granted to a case: revoke the grant before deleting it",
        "该证照正授权给办件使用，请先撤销授权后再删除",
        ErrorKind.CONFLICT,
    )


def stale() -> DomainError:
    return DomainError(
        "LICENCE_CHANGED",
        "the licence changed since you read it: reload and try again",
        "证照已被修改，请刷新后重试",
        ErrorKind.CONFLICT,
    )


class OwnLicences:
    def __init__(
        self, db: Database, files: FileStore, max_bytes: int, limits: ContentLimits = ContentLimits()
    ) -> None:
        self.db = db
        self.files = files
        self.max_bytes = max_bytes
        self.limits = limits

    async def _store(self, file_name: str, content: bytes) -> str:
        upload = await asyncio.to_thread(
            check_upload, file_name, content, DEFAULT_ACCEPTED, self.max_bytes, self.limits
        )
        return await self.files.aput(content) if upload else ""

    async def create(self, request: pb.CreateMyLicenceRequest) -> pb.Licence:
        who = holder()
        code = access.type_code(request.type_code)
        number = _text(request.number, "number")
        issuer = _text(request.issuer_name, "issuer_name", required=False)
        issued_on = _date(request.issued_on, "issued_on", True)
        valid_until = _date(request.valid_until, "valid_until", False)
        async with self.db.reader() as uow:
            kind = await self._kind(uow, code, who)
        values = _metadata(kind, dict(request.metadata))
        file_hash = await self._store(request.file_name, request.content)
        now = dt.datetime.now(dt.UTC)
        licence_id = new_id()
        async with self.db.uow() as uow:
            await uow.conn.execute(
                sa.insert(licences).values(
                    id=licence_id,
                    level="C",
                    type_code=code,
                    number=number,
                    holder_kind=who.kind,
                    holder_subject=who.subject,
                    holder_name=current_caller().name,
                    issuer_name=issuer or kind.issuer_name,
                    issued_on=issued_on,
                    valid_until=valid_until,
                    state="valid",
                    metadata=json.dumps(values, ensure_ascii=False, sort_keys=True),
                    file_hash=file_hash,
                    revision=1,
                    created_at=now,
                    updated_at=now,
                )
            )
            row = await load_mine(uow, licence_id, who)
            await uow.commit()
        return as_message(row)

    async def _kind(self, uow: UnitOfWork, code: str, who: Holder) -> Any:
        kind = (await uow.conn.execute(sa.select(licence_types).where(licence_types.c.code == code))).first()
        if kind is None:
            raise access.type_not_found()
        if not kind.holder_maintained or kind.holder_kind != who.kind:
            raise invalid(
                "TYPE_NOT_HOLDER_MAINTAINED",
                "holders cannot keep their own licences of this type",
                "该证照类型不支持持证人自行上传",
                "type_code",
            )
        return kind

    async def update(self, request: pb.UpdateMyLicenceRequest) -> pb.Licence:
        who = holder()
        async with self.db.reader() as uow:
            current = await self._editable(uow, request.id, who, request.revision)
            kind = (
                await uow.conn.execute(
                    sa.select(licence_types).where(licence_types.c.code == current.type_code)
                )
            ).one()
        changes: dict[str, Any] = {
            "number": _text(request.number, "number"),
            "issuer_name": _text(request.issuer_name, "issuer_name", required=False) or current.issuer_name,
            "issued_on": _date(request.issued_on, "issued_on", True),
            "valid_until": _date(request.valid_until, "valid_until", False),
            "metadata": json.dumps(
                _metadata(kind, dict(request.metadata)), ensure_ascii=False, sort_keys=True
            ),
        }
        if request.content:
            changes["file_hash"] = await self._store(request.file_name, request.content)
        async with self.db.uow() as uow:
            done = await uow.conn.execute(
                sa.update(licences)
                .where(licences.c.id == current.id, licences.c.revision == request.revision)
                .values(**changes, revision=request.revision + 1, updated_at=dt.datetime.now(dt.UTC))
            )
            if done.rowcount != 1:
                raise stale()
            row = await load_mine(uow, current.id, who)
            await uow.commit()
        return as_message(row)

    async def delete(self, request: pb.DeleteMyLicenceRequest) -> pb.DeleteMyLicenceResponse:
        """Refused (409) while a grant of the licence lives: the case's staff may be reading it.
        Once every grant is dead (revoked or expired), the licence goes with its grants and their
        access records: the holder deletes their own scan and its history with it."""
        who = holder()
        now = dt.datetime.now(dt.UTC)
        g = licence_grants.c
        async with self.db.uow() as uow:
            current = await self._editable(uow, request.id, who, request.revision)
            # The licence row locked (PostgreSQL; SQLite's writers take turns anyway) before the
            # grants are looked at: a grant being made now waits for this delete and then finds
            # no licence (grants.py locks the row it grants), or this delete waits for it and
            # then sees it living. A grant that slips in all the same is stopped by its foreign
            # key, answered as living below.
            revision = await uow.conn.scalar(
                sa.select(licences.c.revision).where(licences.c.id == current.id).with_for_update()
            )
            if revision != request.revision:
                raise stale()
            living = await uow.conn.scalar(
                sa.select(sa.func.count())
                .select_from(licence_grants)
                .where(g.licence_id == current.id, g.revoked_at.is_(None), g.expires_at > now)
            )
            if living:
                raise granted()
            # Every grant is dead: they and the reads recorded under them go with the licence, in
            # this transaction — the holder deletes their own scan and its history with it.
            grants_of = sa.select(g.id).where(g.licence_id == current.id)
            try:
                await uow.conn.execute(
                    sa.delete(licence_accesses).where(
                        sa.or_(
                            licence_accesses.c.licence_id == current.id,
                            licence_accesses.c.grant_id.in_(grants_of),
                        )
                    )
                )
                await uow.conn.execute(sa.delete(licence_grants).where(g.licence_id == current.id))
                # The expiry sweep's note that it announced this licence's expiry goes with it.
                await uow.conn.execute(
                    sa.delete(licence_expiries).where(licence_expiries.c.licence_id == current.id)
                )
                done = await uow.conn.execute(
                    sa.delete(licences).where(
                        licences.c.id == current.id, licences.c.revision == request.revision
                    )
                )
            except sa.exc.IntegrityError:
                raise granted() from None
            if done.rowcount != 1:
                raise stale()
            await uow.commit()
        # The scan's blob stays: another licence or service may share the hash (the drive's
        # reference sweep decides when nobody does).
        return pb.DeleteMyLicenceResponse()

    async def _editable(self, uow: UnitOfWork, licence_id: str, who: Holder, revision: int) -> Any:
        row = await load_mine(uow, licence_id, who)
        if row.level != "C":
            raise read_only(row.level)
        if revision < 1:
            raise invalid("REVISION_REQUIRED", "revision is required", "请提供版本号", "revision")
        if row.revision != revision:
            raise stale()
        return row
