"""用证授权: the holder grants one case's handling staff access to one licence; staff read it
through licences only while the grant lives; every read is recorded for the holder.

Who may read under a grant: staff of the case's handling department at the case's site (both
copied from cases when the grant is made). That is the narrowest rule licences can check from
the caller identity alone, with no call to cases on every read (cases' own queue puts a case
before its site's staff and its department's reviewers; a window clerk of another department is
not let in: the safe side). A grant is dead once revoked or past `expires_at`; then, as without
any grant, the licence is 404 to staff (nobody learns it exists).
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa
from google.protobuf.timestamp_pb2 import Timestamp

from govhall.kit.caller import current_caller
from govhall.kit.db import Database
from govhall.kit.errors import DomainError, ErrorKind, invalid
from govhall.kit.files import MEDIA_TYPES, FileStore, sniff
from govhall.kit.ids import new_id
from govhall.kit.paging import page_info, paging
from govhall.licences import access
from govhall.licences.grant_cases import GrantCases
from govhall.licences.grants_tables import licence_accesses, licence_grants
from govhall.licences.holder import as_message, holder, load_mine, not_found
from govhall.licences.tables import licence_types, licences
from govhall.protos.common.v1 import common_pb2
from govhall.protos.licences.v1 import grants_pb2 as pb
from govhall.protos.licences.v1 import licences_pb2

MAX_PURPOSE = 200


def _utc(value: dt.datetime) -> dt.datetime:
    # SQLite hands timestamps back naive; they were stored UTC.
    return value if value.tzinfo else value.replace(tzinfo=dt.UTC)


def _ts(value: dt.datetime | None) -> Timestamp | None:
    if value is None:
        return None
    ts = Timestamp()
    ts.FromDatetime(_utc(value))
    return ts


def _state(row: Any, now: dt.datetime) -> str:
    if row.revoked_at is not None:
        return "revoked"
    return "expired" if _utc(row.expires_at) <= now else "active"


def as_grant(row: Any, now: dt.datetime) -> pb.Grant:
    return pb.Grant(
        id=row.id,
        licence_id=row.licence_id,
        case_id=row.case_id,
        material_code=row.material_code,
        purpose=row.purpose,
        department_code=row.department_code,
        site_code=row.site_code,
        created_at=_ts(row.created_at),
        expires_at=_ts(row.expires_at),
        revoked_at=_ts(row.revoked_at),
        state=_state(row, now),
    )


def case_not_found() -> DomainError:
    return DomainError("CASE_NOT_FOUND", "no such case", "办件不存在", ErrorKind.NOT_FOUND)


def not_valid() -> DomainError:
    return invalid(
        "LICENCE_NOT_VALID", "only a valid licence can be granted", "仅有效的证照可以授权使用", "licence_id"
    )


class Grants:
    def __init__(
        self, db: Database, files: FileStore, cases: GrantCases, default_days: int, max_days: int
    ) -> None:
        self.db = db
        self.files = files
        self.cases = cases
        self.default = dt.timedelta(days=default_days)
        self.longest = dt.timedelta(days=max_days)

    # The holder.

    async def create(self, request: pb.CreateGrantRequest) -> pb.Grant:
        who = holder()
        purpose = request.purpose.strip()
        if not purpose or len(purpose) > MAX_PURPOSE:
            raise invalid(
                "PURPOSE_INVALID",
                f"purpose is 1-{MAX_PURPOSE} characters",
                f"用途为1至{MAX_PURPOSE}个字符",
                "purpose",
            )
        now = dt.datetime.now(dt.UTC)
        expires = (
            request.expires_at.ToDatetime(dt.UTC) if request.HasField("expires_at") else now + self.default
        )
        if expires <= now or expires > now + self.longest:
            raise invalid(
                "EXPIRES_AT_INVALID",
                f"expires_at is in the future and at most {self.longest.days} days away",
                f"授权到期时间应晚于现在且不超过{self.longest.days}天",
                "expires_at",
            )
        access.object_id(request.case_id, "case_id")
        async with self.db.reader() as uow:
            row = await load_mine(uow, request.licence_id, who)
        if row.state != "valid":
            raise not_valid()
        case = await self.cases(request.case_id)
        if case is None or (case.applicant_kind, case.applicant_subject) != (who.kind, who.subject):
            raise case_not_found()
        if case.ended:
            raise invalid("CASE_ENDED", "this case has ended", "该办件已办结", "case_id")
        wanted = case.licence_materials.get(request.material_code)
        if not wanted:
            raise invalid(
                "MATERIAL_NOT_FROM_LICENCE",
                "this case has no material taken from a licence with that code",
                "该办件没有此项可用电子证照提交的材料",
                "material_code",
            )
        if wanted != row.type_code:
            raise invalid(
                "LICENCE_TYPE_MISMATCH",
                "this material takes a licence of another type",
                "该材料需要其他类型的证照",
                "licence_id",
            )
        values = dict(
            id=new_id(),
            licence_id=row.id,
            case_id=request.case_id,
            material_code=request.material_code,
            purpose=purpose,
            department_code=case.department_code,
            site_code=case.site_code,
            created_at=now,
            expires_at=expires,
            revoked_at=None,
        )
        async with self.db.uow() as uow:
            # The licence again, its row held (FOR KEY SHARE on PostgreSQL) until the grant is in:
            # the holder may have deleted it since (own.py's delete locks the row too, so the two
            # take turns) — then there is nothing to grant, not a foreign key failure.
            state = await uow.conn.scalar(
                sa.select(licences.c.state)
                .where(licences.c.id == row.id)
                .with_for_update(read=True, key_share=True)
            )
            if state is None:
                raise not_found()
            if state != "valid":
                raise not_valid()
            try:
                await uow.conn.execute(licence_grants.insert().values(**values))
            except sa.exc.IntegrityError:
                raise not_found() from None
            await uow.commit()
        return as_grant(_Values(values), now)

    async def listing(self, request: pb.ListGrantsRequest) -> pb.ListGrantsResponse:
        who = holder()
        number, size = paging(request.page)
        where = licence_grants.c.licence_id == request.licence_id
        async with self.db.reader() as uow:
            await load_mine(uow, request.licence_id, who)
            total = await uow.conn.scalar(sa.select(sa.func.count()).select_from(licence_grants).where(where))
            rows = (
                await uow.conn.execute(
                    sa.select(licence_grants)
                    .where(where)
                    .order_by(licence_grants.c.created_at.desc(), licence_grants.c.id)
                    .limit(size)
                    .offset((number - 1) * size)
                )
            ).all()
        now = dt.datetime.now(dt.UTC)
        return pb.ListGrantsResponse(
            grants=[as_grant(r, now) for r in rows], page=page_info(number, size, total or 0)
        )

    async def revoke(self, request: pb.RevokeGrantRequest) -> pb.Grant:
        """Revoked at once (a second revoke keeps the first time); staff reads stop with it."""
        who = holder()
        access.object_id(request.grant_id, "grant_id")
        now = dt.datetime.now(dt.UTC)
        async with self.db.uow() as uow:
            await load_mine(uow, request.licence_id, who)
            mine = sa.and_(
                licence_grants.c.id == request.grant_id, licence_grants.c.licence_id == request.licence_id
            )
            await uow.conn.execute(
                licence_grants.update()
                .where(mine, licence_grants.c.revoked_at.is_(None))
                .values(revoked_at=now)
            )
            row = (await uow.conn.execute(sa.select(licence_grants).where(mine))).first()
            if row is None:
                raise DomainError("GRANT_NOT_FOUND", "no such grant", "授权不存在", ErrorKind.NOT_FOUND)
            await uow.commit()
        return as_grant(row, now)

    async def accesses(self, request: pb.ListAccessesRequest) -> pb.ListAccessesResponse:
        who = holder()
        number, size = paging(request.page)
        a, g = licence_accesses, licence_grants
        async with self.db.reader() as uow:
            await load_mine(uow, request.licence_id, who)
            where = a.c.licence_id == request.licence_id
            total = await uow.conn.scalar(sa.select(sa.func.count()).select_from(a).where(where))
            rows = (
                await uow.conn.execute(
                    sa.select(a, g.c.case_id)
                    .join(g, g.c.id == a.c.grant_id)
                    .where(where)
                    .order_by(a.c.at.desc(), a.c.id)
                    .limit(size)
                    .offset((number - 1) * size)
                )
            ).all()
        return pb.ListAccessesResponse(
            accesses=[
                pb.Access(
                    id=r.id,
                    grant_id=r.grant_id,
                    case_id=r.case_id,
                    reader_name=r.reader_name,
                    department_code=r.department_code,
                    site_code=r.site_code,
                    what=r.what,
                    at=_ts(r.at),
                )
                for r in rows
            ],
            page=page_info(number, size, total or 0),
        )

    # The case's handling staff.

    async def read(self, request: pb.GetGrantedLicenceRequest) -> licences_pb2.Licence:
        return as_message(await self._through_grant(request, "licence"))

    async def file(self, request: pb.GetGrantedLicenceRequest) -> licences_pb2.LicenceFile:
        row = await self._through_grant(request, "file")
        if not row.file_hash:
            raise DomainError(
                "LICENCE_FILE_NOT_FOUND", "this licence has no file", "该证照没有文件", ErrorKind.NOT_FOUND
            )
        content = await self.files.aget(row.file_hash)
        family = sniff(content) or "pdf"
        return licences_pb2.LicenceFile(
            file_name=f"{row.type_name}-{row.number}.{family}",
            media_type=MEDIA_TYPES[family],
            content=content,
            sha256=row.file_hash,
        )

    async def _through_grant(self, request: pb.GetGrantedLicenceRequest, what: str) -> Any:
        """The licence, if a living grant lets this staff member read it for this case; the
        read is recorded in the same transaction (no read without its record)."""
        caller = current_caller()
        if caller.kind != common_pb2.CALLER_KIND_STAFF or not caller.department_code or not caller.site_code:
            raise not_found()
        access.object_id(request.case_id, "case_id")
        access.object_id(request.licence_id, "licence_id")
        now = dt.datetime.now(dt.UTC)
        g = licence_grants.c
        async with self.db.uow() as uow:
            grant = (
                await uow.conn.execute(
                    sa.select(licence_grants)
                    .where(
                        g.case_id == request.case_id,
                        g.licence_id == request.licence_id,
                        g.department_code == caller.department_code,
                        g.site_code == caller.site_code,
                        g.revoked_at.is_(None),
                        g.expires_at > now,
                    )
                    .order_by(g.expires_at.desc())
                    .limit(1)
                )
            ).first()
            if grant is None:
                raise not_found()
            row = (
                await uow.conn.execute(
                    sa.select(licences, licence_types.c.name.label("type_name"))
                    .join(licence_types, licence_types.c.code == licences.c.type_code)
                    .where(licences.c.id == request.licence_id)
                )
            ).first()
            if row is None:
                raise not_found()
            try:
                await uow.conn.execute(
                    licence_accesses.insert().values(
                        id=new_id(),
                        grant_id=grant.id,
                        licence_id=row.id,
                        reader_subject=caller.subject,
                        reader_name=caller.name,
                        department_code=caller.department_code,
                        site_code=caller.site_code,
                        what=what,
                        at=now,
                    )
                )
            except sa.exc.IntegrityError:
                # The holder deleted the licence as the grant died (revoked or expired while
                # this read was under way): nothing left to read.
                raise not_found() from None
            await uow.commit()
        return row


class _Values:
    """A just-inserted grant's values read as a row."""

    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)
