"""Verification (核验) and the issuing department's status changes.

`verify(code)`: the unguessable code the QR carries → the licence's public fields (holder
masked) and its status from two bits of its issuer's status lists (status.py): revoked if the
revocation bit is set, suspended if the suspension bit is, otherwise expired once the China date
is past `valid_until`, otherwise valid. Expiry is read from the dates at every answer, not
stored as a state: `state` stays valid (expiry is not an act of the department, and a licence
renewed by correcting its date needs no reinstatement); the sweep only announces it, once
(`licence_expiries`' primary key), with a `licences.licence.expired` event. Any unknown or
malformed code is the same 404, so the answer never tells whether a code exists.

Revoke, suspend, reinstate: staff of the issuing department (`issuer_department_code`) with a
role that decides on licences (approver, supervisor, site_admin), a reason, and the revision
they read (409 if it changed). A licence of another department is 404, as if it did not exist.
The state, the bits and the event change in one transaction.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import re
import secrets
from typing import Any
from zoneinfo import ZoneInfo

import sqlalchemy as sa

from govhall.kit.caller import current_caller
from govhall.kit.db import Database, UnitOfWork
from govhall.kit.errors import DomainError, ErrorKind, invalid
from govhall.licences import access, events, status
from govhall.licences.status_tables import licence_expiries
from govhall.licences.tables import licence_types, licences
from govhall.protos.common.v1 import common_pb2
from govhall.protos.licences.v1 import verification_pb2 as pb

log = logging.getLogger(__name__)
CHINA = ZoneInfo("Asia/Shanghai")
# Roles of the issuing department that decide on its licences.
DECIDING_ROLES = frozenset({"approver", "supervisor", "site_admin"})
# secrets.token_urlsafe's alphabet, bounded: anything else is not a code (and is the same 404).
CODE = re.compile(r"^[A-Za-z0-9_-]{8,64}$")
# (from states, to state, the purpose whose bit it sets, the purpose whose bit it clears, event)
CHANGES: dict[str, tuple[frozenset[str], str, str | None, str | None]] = {
    "revoked": (frozenset({"valid", "suspended"}), "revoked", "revocation", "suspension"),
    "suspended": (frozenset({"valid"}), "suspended", "suspension", None),
    "reinstated": (frozenset({"suspended"}), "valid", None, "suspension"),
}


def china_today() -> dt.date:
    return dt.datetime.now(CHINA).date()


def mask_name(name: str) -> str:
    """张三 → 张*: enough for the holder to recognise, not for a stranger with the QR."""
    return name[:1] + "*" * max(1, len(name) - 1) if name else ""


def not_found() -> DomainError:
    return DomainError("LICENCE_NOT_FOUND", "no such licence", "证照不存在", ErrorKind.NOT_FOUND)


class Verification:
    def __init__(self, db: Database, cache: status.StatusCache, today: Any = china_today) -> None:
        self.db = db
        self.cache = cache
        self.today = today

    async def verify(self, r: pb.VerifyRequest) -> pb.VerifyResponse:
        if not CODE.match(r.code or ""):
            raise not_found()
        async with self.db.reader() as uow:
            row = (
                await uow.conn.execute(
                    sa.select(licences, licence_types.c.name.label("type_name"))
                    .join(licence_types, licence_types.c.code == licences.c.type_code)
                    .where(licences.c.verify_code == r.code)
                )
            ).first()
        # A constant-time compare is moot: the lookup is by unique index, and a 128-bit code
        # cannot be found by timing. The row must still be issued into a list to be verifiable.
        if row is None or row.status_index is None:
            raise not_found()
        return pb.VerifyResponse(
            status=await self.status_of(row),
            identifier=row.identifier or "",
            number=row.number,
            type_code=row.type_code,
            type_name=row.type_name,
            level=row.level,
            holder_name=mask_name(row.holder_name),
            holder_code=row.holder_code_masked,
            issuer_name=row.issuer_name,
            issuer_code=row.issuer_code,
            issued_on=row.issued_on.isoformat() if row.issued_on else "",
            valid_until=row.valid_until.isoformat() if row.valid_until else "",
        )

    async def status_of(self, row: Any) -> str:
        if await self.cache.bit(row.issuer_code, "revocation", row.status_index):
            return "revoked"
        if await self.cache.bit(row.issuer_code, "suspension", row.status_index):
            return "suspended"
        if row.valid_until is not None and row.valid_until < self.today():
            return "expired"
        return "valid"

    async def status_list(self, r: pb.GetStatusListRequest) -> pb.StatusList:
        if r.purpose not in status.PURPOSES:
            raise invalid(
                "PURPOSE_INVALID",
                "purpose is revocation or suspension",
                "用途应为 revocation 或 suspension",
                "purpose",
            )
        if not re.match(r"^[0-9A-Z]{18}$", r.issuer_code or ""):
            raise invalid(
                "ISSUER_CODE_INVALID",
                "issuer_code is an 18-character credit code",
                "发证机关代码应为18位统一社会信用代码",
                "issuer_code",
            )
        bits, revision = await self.cache.read(r.issuer_code, r.purpose)
        return pb.StatusList(
            issuer_code=r.issuer_code, purpose=r.purpose, encoded_list=status.encode(bits), revision=revision
        )

    async def change(self, r: pb.ChangeLicenceStatusRequest, name: str) -> pb.LicenceStatus:
        """revoked | suspended | reinstated (CHANGES), by the issuing department's staff."""
        licence_id = access.object_id(r.licence_id, "licence_id")
        reason = (r.reason or "").strip()
        if not reason or len(reason) > 200:
            raise invalid(
                "REASON_REQUIRED",
                "a reason of 1-200 characters is required",
                "请填写原因（1至200字）",
                "reason",
            )
        caller = current_caller()
        if caller.kind != common_pb2.CALLER_KIND_STAFF:
            raise DomainError(
                "STAFF_ONLY",
                "only the issuing department's staff change a licence's status",
                "仅发证部门工作人员可变更证照状态",
                ErrorKind.FORBIDDEN,
            )
        from_states, to_state, set_purpose, clear_purpose = CHANGES[name]
        async with self.db.uow() as uow:
            row = await load(uow, licence_id)
            if row is None or row.level == "C" or row.issuer_department_code != caller.department_code:
                raise not_found()
            if not DECIDING_ROLES.intersection(caller.roles):
                raise DomainError(
                    "ROLE_REQUIRED",
                    "an approver, supervisor or site administrator decides on licences",
                    "需由审批、监督或站点管理人员办理",
                    ErrorKind.FORBIDDEN,
                )
            if r.revision and r.revision != row.revision:
                raise DomainError(
                    "REVISION_MISMATCH",
                    "the licence changed since you read it; reload and try again",
                    "该证照已被更新，请刷新后重试",
                    ErrorKind.CONFLICT,
                )
            if row.state not in from_states or row.status_index is None:
                raise DomainError(
                    "LICENCE_STATE",
                    f"a {row.state} licence cannot be {name}",
                    f"当前状态（{row.state}）的证照不能执行该操作",
                    ErrorKind.WRONG_STATE,
                )
            changed = await uow.conn.execute(
                licences.update()
                .where(licences.c.id == row.id, licences.c.revision == row.revision)
                .values(
                    state=to_state,
                    state_reason=reason,
                    revision=row.revision + 1,
                    updated_at=dt.datetime.now(dt.UTC),
                )
            )
            if changed.rowcount != 1:  # a concurrent change won between our read and write
                raise DomainError(
                    "REVISION_MISMATCH",
                    "the licence changed since you read it; reload and try again",
                    "该证照已被更新，请刷新后重试",
                    ErrorKind.CONFLICT,
                )
            if set_purpose:
                await status.set_bit(uow, row.issuer_code, set_purpose, row.status_index, True)
            if clear_purpose:
                await status.set_bit(uow, row.issuer_code, clear_purpose, row.status_index, False)
            after = await load(uow, licence_id)
            uow.emit(
                events.licence_event(
                    name, after, type_name=row.type_name, from_state=row.state, reason=reason
                )
            )
            await uow.commit()
        log.info("licence %s %s by %s", licence_id, name, caller.subject)
        return pb.LicenceStatus(licence_id=licence_id, state=to_state, reason=reason, revision=after.revision)


async def load(uow: UnitOfWork, licence_id: str) -> Any:
    return (
        await uow.conn.execute(
            sa.select(licences, licence_types.c.name.label("type_name"))
            .join(licence_types, licence_types.c.code == licences.c.type_code)
            .where(licences.c.id == licence_id)
        )
    ).first()


class ExpirySweep:
    """Announces each licence past its `valid_until` once (event `expired`)."""

    def __init__(self, db: Database, today: Any = china_today, batch: int = 200) -> None:
        self.db = db
        self.today = today
        self.batch = batch

    async def sweep(self) -> int:
        announced = 0
        async with self.db.uow() as uow:
            rows = (
                await uow.conn.execute(
                    sa.select(licences, licence_types.c.name.label("type_name"))
                    .join(licence_types, licence_types.c.code == licences.c.type_code)
                    .where(
                        licences.c.valid_until < self.today(),
                        licences.c.state != "revoked",
                        ~sa.exists().where(licence_expiries.c.licence_id == licences.c.id),
                    )
                    .order_by(licences.c.valid_until, licences.c.id)
                    .limit(self.batch)
                )
            ).all()
            for row in rows:
                # The primary key makes the announcement once even if two sweeps overlap: the
                # loser's insert fails its transaction, and its next pass finds nothing left.
                await uow.conn.execute(
                    licence_expiries.insert().values(
                        licence_id=row.id, valid_until=row.valid_until, swept_at=dt.datetime.now(dt.UTC)
                    )
                )
                uow.emit(events.licence_event("expired", row, type_name=row.type_name, from_state=row.state))
                announced += 1
            await uow.commit()
        return announced

    async def run(self, interval: float) -> None:
        while True:
            await asyncio.sleep(interval)  # not at start-up: a service restarting sweeps later
            try:
                while await self.sweep() == self.batch:
                    pass
            except Exception:  # the next pass tries again
                log.exception("licences expiry sweep failed")


def new_verify_code() -> str:
    """What issuance and imports give a licence to verify it by (128 random bits)."""
    return secrets.token_urlsafe(16)
