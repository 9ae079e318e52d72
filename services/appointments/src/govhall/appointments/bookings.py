"""Booking a slot (预约), reading one, and 我的预约.

A place is taken only by one conditional UPDATE of the slot (`booked = booked + 1 WHERE booked <
capacity AND NOT closed`): two people racing for the last place cannot both get it, on SQLite or
PostgreSQL, because the database decides, not a count read in Python. One owner's bookings are
decided one at a time under a lock on the owner's row, so "at most N active" holds under
concurrency too; "one per matter and day" is the UNIQUE active_key besides.
"""

from __future__ import annotations

import datetime as dt
import secrets
from dataclasses import dataclass, field
from typing import Any

import grpc
import sqlalchemy as sa

from govhall.appointments import access, booking_rules, contacts, events, metrics
from govhall.appointments import bookings_view as bv
from govhall.appointments.bookings_tables import booking_cancellations, booking_owners
from govhall.appointments.slots import bookable_matter
from govhall.appointments.tables import bookings, halls, slots, window_matters, windows
from govhall.kit.caller import current_caller
from govhall.kit.db import Database, UnitOfWork
from govhall.kit.dialect import locked, upsert
from govhall.kit.errors import DomainError, ErrorKind, invalid
from govhall.kit.fieldcipher import FieldCipher
from govhall.kit.grpcclient import call_options, domain_error
from govhall.kit.ids import new_id
from govhall.kit.validators import mask_mobile, parse_mobile
from govhall.protos.appointments.v1 import bookings_pb2 as pb
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.common.v1 import common_pb2
from govhall.protos.identity.v1 import identity_pb2 as ident
from govhall.protos.identity.v1 import identity_pb2_grpc

# 预约号: no 0/O, 1/I/L, so it is read out and typed at the terminal without doubt.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 8
# The agent authorisation scope identity grants for booking on an enterprise's behalf.
AGENT_SCOPE = "appointments.book"
MAX_NAME, MAX_EMAIL, MAX_SITUATION = 30, 100, 200


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def refused(code: str, en: str, zh: str, kind: ErrorKind) -> DomainError:
    return DomainError(code, en, zh, kind)


def slot_full() -> DomainError:
    return refused(
        "SLOT_FULL", "this slot is fully booked", "该时段已约满，请选择其他时段", ErrorKind.CONFLICT
    )


@dataclass
class Bookings:
    db: Database
    catalogue: catalogue_pb2_grpc.CatalogueServiceStub
    identity: identity_pb2_grpc.IdentityServiceStub
    cipher: FieldCipher
    clock: Any = field(default=bv.now)

    async def book(self, r: pb.BookRequest) -> pb.BookResponse:
        who = bv.owner()
        caller = current_caller()
        slot_id = access.object_id(r.slot_id, "slot_id")
        matter_code = access.matter_code(r.matter_code)
        async with self.db.reader() as uow:
            slot = (await uow.conn.execute(sa.select(slots).where(slots.c.id == slot_id))).first()
        if slot is None:
            raise DomainError("SLOT_NOT_FOUND", "no such slot", "预约时段不存在", ErrorKind.NOT_FOUND)
        rules = booking_rules.for_site(slot.site_code)
        if who.agent:
            await self._check_agent(who)
        level, account = caller.real_name_level, None
        if who.kind == "person" and (level < rules.min_real_name_level or not caller.name):
            account = await self._account(caller)
            level = max(level, account.real_name_level if account else 0)
        if who.kind == "person" and level < rules.min_real_name_level:
            raise refused(
                "REAL_NAME_REQUIRED",
                "verify your real name (name and ID number) before booking",
                "请先完成实名认证（在“我的—实名认证”中填写本人姓名和身份证号码）后再预约",
                ErrorKind.FORBIDDEN,
            )
        at = self.clock()
        starts = bv.aware(slot.starts_at)
        if starts - at < rules.min_notice:
            minutes = int(rules.min_notice.total_seconds() // 60)
            raise invalid(
                "BOOKING_TOO_SOON",
                f"book at least {minutes} minutes before the start",
                f"请至少提前{minutes}分钟预约",
                "slot_id",
            )
        if starts - at > rules.horizon:
            raise invalid(
                "BOOKING_TOO_FAR",
                f"slots can be booked at most {rules.horizon.days} days ahead",
                f"只能预约{rules.horizon.days}天内的时段",
                "slot_id",
            )
        if slot.closed:
            raise refused("SLOT_CLOSED", "this slot is closed", "该时段已停止预约", ErrorKind.WRONG_STATE)
        if slot.booked >= slot.capacity:
            # Refused before the catalogue and identity are asked: in a rush for a few places nearly
            # every request is refused, and those calls were most of its cost (1,000 at once queued
            # past their deadline: bench/appointments_booking.py). A read only ever refuses; a place
            # is taken only by the conditional UPDATE below.
            metrics.refused_full()
            raise slot_full()
        matter = await bookable_matter(self.catalogue, slot.site_code, matter_code, "matter_code")
        situation = _situation(matter, r.situation)
        name, mobile = await self._contact(caller, r, account.name if account else "")
        email = _email(r.email)
        purpose = (r.purpose or "").strip()
        if len(purpose) > rules.max_purpose:
            raise invalid(
                "PURPOSE_TOO_LONG",
                f"purpose is at most {rules.max_purpose} characters",
                f"预约内容不能超过{rules.max_purpose}个字",
                "purpose",
            )
        async with self.db.uow() as uow:
            hall = (await uow.conn.execute(sa.select(halls).where(halls.c.id == slot.hall_id))).one()
            window = (await uow.conn.execute(sa.select(windows).where(windows.c.id == slot.window_id))).one()
            if not window.active or not await _serves(uow, window, matter):
                raise invalid(
                    "MATTER_NOT_SERVED",
                    "this slot's window does not handle this matter",
                    "该时段的窗口不办理此事项",
                    "slot_id",
                )
            day = events.china_time(starts).date()
            active_key = f"{who.kind}:{who.subject}:{matter_code}:{day.isoformat()}"
            warning = await self._owner_checks(uow, who, rules, at, active_key)
            taken = await uow.conn.execute(
                sa.update(slots)
                .where(slots.c.id == slot.id, slots.c.booked < slots.c.capacity, sa.not_(slots.c.closed))
                .values(booked=slots.c.booked + 1)
            )
            if taken.rowcount == 0:
                metrics.refused_full()
                raise slot_full()
            state = "pending_reply" if hall.requires_reply or window.requires_reply else "confirmed"
            booking_id = new_id()
            await uow.conn.execute(
                bookings.insert().values(
                    id=booking_id,
                    code=new_code(),
                    slot_id=slot.id,
                    hall_id=slot.hall_id,
                    window_id=slot.window_id,
                    site_code=slot.site_code,
                    matter_code=matter_code,
                    matter_name=matter.draft.name,
                    situation=situation,
                    day=day,
                    starts_at=slot.starts_at,
                    ends_at=slot.ends_at,
                    owner_kind=who.kind,
                    owner_subject=who.subject,
                    agent_subject=who.agent,
                    contact_name=contacts.seal_name(self.cipher, name),
                    contact_mobile=contacts.seal_mobile(self.cipher, mobile),
                    contact_mobile_hash=contacts.mobile_hash(self.cipher, mobile),
                    mobile_masked=mask_mobile(mobile),
                    email=email,
                    purpose=purpose,
                    state=state,
                    active_key=active_key,
                    revision=1,
                    created_at=at,
                    updated_at=at,
                )
            )
            row = await bv.load(uow, booking_id)
            site = await bv.site_name(uow, row.site_code)
            name_of_event = "booked" if state == "pending_reply" else "confirmed"
            uow.emit(
                events.booking_event(
                    name_of_event,
                    row,
                    from_state="",
                    site_name=site,
                    hall_name=row.hall_name,
                    window_name=row.window_name,
                )
            )
            await uow.commit()
        return pb.BookResponse(
            booking=bv.view(row, site, name), qr=bv.code_qr(row.code, r.qr_format), warning=warning
        )

    async def _owner_checks(
        self, uow: UnitOfWork, who: bv.Owner, rules: booking_rules.Rules, at: dt.datetime, active_key: str
    ) -> str:
        """Under the owner's lock: suspensions, at most N active, one per matter and day. Returns
        the warning to give (one short of a no-show suspension), or ""."""
        await uow.conn.execute(
            upsert(
                uow.conn,
                booking_owners,
                {"owner_kind": who.kind, "owner_subject": who.subject, "created_at": at},
                key=["owner_kind", "owner_subject"],
                update={},
            )
        )
        o = booking_owners.c
        await uow.conn.execute(
            locked(
                uow.conn,
                sa.select(o.owner_kind).where(o.owner_kind == who.kind, o.owner_subject == who.subject),
            )
        )
        c = bookings.c
        mine = sa.and_(c.owner_kind == who.kind, c.owner_subject == who.subject)
        since = at - max(
            rules.no_shows.within + rules.no_shows.suspend,
            rules.cancellations.within + rules.cancellations.suspend,
        )
        no_shows = [
            bv.aware(t)
            for t in (
                await uow.conn.execute(
                    sa.select(c.starts_at).where(mine, c.state == "no_show", c.starts_at >= since)
                )
            ).scalars()
        ]
        k = booking_cancellations.c
        cancelled = [
            bv.aware(t)
            for t in (
                await uow.conn.execute(
                    sa.select(k.cancelled_at).where(
                        k.owner_kind == who.kind, k.owner_subject == who.subject, k.cancelled_at >= since
                    )
                )
            ).scalars()
        ]
        for strikes, what, what_zh in (
            (rules.no_shows, "no-shows", "预约未到"),
            (rules.cancellations, "cancellations", "取消预约"),
        ):
            until = strikes.suspended_until(no_shows if strikes is rules.no_shows else cancelled, at)
            if until is not None:
                day = events.china_time(until).strftime("%Y-%m-%d")
                raise refused(
                    "BOOKING_SUSPENDED",
                    f"booking is suspended until {day} after {strikes.count} {what} in {strikes.within.days} days",
                    f"您{strikes.within.days}天内{what_zh}已达{strikes.count}次，{day}前暂停预约",
                    ErrorKind.FORBIDDEN,
                )
        active = (
            await uow.conn.execute(
                sa.select(sa.func.count()).where(mine, c.state.in_(bv.ACTIVE), c.ends_at > at)
            )
        ).scalar_one()
        if active >= rules.max_active:
            raise refused(
                "TOO_MANY_ACTIVE_BOOKINGS",
                f"at most {rules.max_active} bookings may be active at once",
                f"同时有效的预约最多{rules.max_active}个，请先办理或取消已有预约",
                ErrorKind.CONFLICT,
            )
        if (await uow.conn.execute(sa.select(c.id).where(c.active_key == active_key))).first():
            raise refused(
                "ALREADY_BOOKED_THAT_DAY",
                "you already have a booking for this matter on this day",
                "您当天已预约过此事项",
                ErrorKind.CONFLICT,
            )
        if rules.no_shows.warns(no_shows, at):
            n = rules.no_shows
            return f"您{n.within.days}天内已有{n.count - 1}次预约未到，再有1次将暂停预约{n.suspend.days}天"
        return ""

    async def _check_agent(self, who: bv.Owner) -> None:
        """An agent's authorisation is re-read from identity on every booking: a revoked one
        stops working at once, whatever the token says."""
        try:
            answer = await self.identity.CheckAgent(
                ident.CheckAgentRequest(legal_person_id=who.subject, agent_id=who.agent, scope=AGENT_SCOPE),
                **call_options(access.SERVICE_CALLER),
            )
        except grpc.aio.AioRpcError as err:
            raise domain_error(err) from None
        if not answer.allowed:
            raise refused(
                "AGENT_NOT_AUTHORISED",
                "the agent's authorisation for this legal person has ended or does not cover booking",
                "您对该单位的办事授权已失效或不包含预约办事",
                ErrorKind.FORBIDDEN,
            )

    async def _account(self, caller: common_pb2.CallerIdentity) -> ident.Account | None:
        """The person's account at identity (the token keeps the level and name it was issued
        with; they may have verified since), or None when no account is behind the token."""
        try:
            return await self.identity.GetMe(ident.GetMeRequest(), **call_options(caller))
        except grpc.aio.AioRpcError as err:
            refused_by = domain_error(err)
            if refused_by.kind not in (ErrorKind.UNAUTHENTICATED, ErrorKind.NOT_FOUND, ErrorKind.FORBIDDEN):
                raise refused_by from None
            return None

    async def _contact(self, caller: Any, r: pb.BookRequest, known: str) -> tuple[str, str]:
        """The contact name and mobile: as given, else the caller's (or account's, `known`) name
        and identity's notification mobile."""
        name = (r.contact_name or "").strip() or caller.name or known
        if not name:
            raise invalid("CONTACT_NAME_REQUIRED", "give a contact name", "请填写预约人姓名", "contact_name")
        if len(name) > MAX_NAME:
            raise invalid(
                "CONTACT_NAME_TOO_LONG",
                f"contact_name is at most {MAX_NAME} characters",
                f"预约人姓名不能超过{MAX_NAME}个字",
                "contact_name",
            )
        if (r.contact_mobile or "").strip():
            return name, parse_mobile(r.contact_mobile, field="contact_mobile")
        try:
            found = await self.identity.GetNotifyMobile(
                ident.GetNotifyMobileRequest(kind=caller.kind, subject=caller.subject),
                **call_options(access.SERVICE_CALLER),
            )
        except grpc.aio.AioRpcError as err:
            raise domain_error(err) from None
        if not found.mobile:
            raise invalid(
                "CONTACT_MOBILE_REQUIRED", "give a contact mobile number", "请填写联系电话", "contact_mobile"
            )
        return name, found.mobile


async def _serves(uow: UnitOfWork, window: Any, matter: cat.Matter) -> bool:
    if window.department_code and window.department_code == matter.draft.department_code:
        return True
    wm = window_matters.c
    query = sa.select(wm.window_id).where(wm.window_id == window.id, wm.matter_code == matter.code)
    return (await uow.conn.execute(query)).first() is not None


def _situation(matter: cat.Matter, chosen: str) -> str:
    """The chosen situation option: required when the matter has situations, and one of them."""
    options = {o.code: o.label for s in matter.draft.situations for o in s.options}
    chosen = (chosen or "").strip()
    if not options:
        return ""
    if chosen not in options:
        raise invalid(
            "SITUATION_INVALID" if chosen else "SITUATION_REQUIRED",
            "choose one of the matter's situations",
            "请选择办理情形",
            "situation",
        )
    return chosen[:MAX_SITUATION]


def _email(value: str) -> str:
    email = (value or "").strip()
    if email and (len(email) > MAX_EMAIL or "@" not in email.strip("@") or " " in email):
        raise invalid("EMAIL_INVALID", "email is not a valid address", "电子邮箱格式不正确", "email")
    return email
