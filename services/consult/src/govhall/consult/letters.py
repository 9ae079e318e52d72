"""Letters, the writer's side (咨询/投诉/建议): writing one (signed in, or anonymously with name,
mobile and an SMS code), 我的咨询, reading one, by number and query password, 追问, rating and
reopening once.

Routing is decided here when the letter is written: to the named department of the site (one the
catalogue lists), else the site's office (`<site>-ZWFW`). The letter number is per site and day
(`ZX420502-20261205-0001`), from a counter row updated in the writer's transaction.
"""

from __future__ import annotations

import datetime as dt
import hmac
from dataclasses import dataclass, field
from typing import Any

import grpc
import sqlalchemy as sa

from govhall.consult import access, letter_clock, sites
from govhall.consult import letters_store as ls
from govhall.consult.letters_tables import letter_query_locks, letters
from govhall.contracts import consult as contract
from govhall.kit.caller import current_caller
from govhall.kit.db import Database, UnitOfWork
from govhall.kit.errors import DomainError, ErrorKind, invalid
from govhall.kit.events import make_event
from govhall.kit.fieldcipher import FieldCipher
from govhall.kit.grpcclient import call_options, domain_error
from govhall.kit.ids import new_id
from govhall.kit.validators import parse_mobile
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.common.v1 import common_pb2
from govhall.protos.consult.v1 import letters_pb2 as pb
from govhall.protos.identity.v1 import identity_pb2 as ident
from govhall.protos.identity.v1 import identity_pb2_grpc

PREFIX = {"consultation": "ZX", "complaint": "TS", "suggestion": "JY"}
MAX_TITLE, MAX_CONTENT, MAX_NAME = 50, 2000, 30
QUERY_ATTEMPTS, QUERY_LOCK = 5, dt.timedelta(minutes=30)
REOPEN_WITHIN = dt.timedelta(days=10)


def text(value: str, field_name: str, most: int, what_zh: str) -> str:
    value = (value or "").strip()
    if not value:
        raise invalid(
            f"{field_name.upper()}_REQUIRED", f"{field_name} is required", f"请填写{what_zh}", field_name
        )
    if len(value) > most:
        raise invalid(
            f"{field_name.upper()}_TOO_LONG",
            f"{field_name} is at most {most} characters",
            f"{what_zh}不能超过{most}个字",
            field_name,
        )
    return value


def office(site: str) -> str:
    """The site's government service office, where a letter naming no department goes."""
    return f"{site}-ZWFW"


@dataclass
class Letters:
    db: Database
    catalogue: catalogue_pb2_grpc.CatalogueServiceStub
    identity: identity_pb2_grpc.IdentityServiceStub
    cipher: FieldCipher
    clock: Any = field(default=ls.now)

    # Writing -------------------------------------------------------------------------------

    async def submit(self, r: pb.SubmitLetterRequest) -> pb.SubmitLetterResponse:
        caller = current_caller()
        anonymous = caller.kind in (common_pb2.CALLER_KIND_UNSPECIFIED, common_pb2.CALLER_KIND_ANONYMOUS)
        who = None if anonymous else access.owner()
        site = access.site_code(r.site_code)
        kind = ls.KINDS.get(r.kind)
        if kind is None:
            raise invalid(
                "KIND_INVALID",
                "kind is consultation, complaint or suggestion",
                "类型应为咨询、投诉或建议",
                "kind",
            )
        title = text(r.title, "title", MAX_TITLE, "标题")
        content = text(r.content, "content", MAX_CONTENT, "内容")
        matter = access.matter_code(r.matter_code) if r.matter_code else ""
        reason = ""
        if kind == "complaint":
            reason = ls.REASONS.get(r.reason, "")
            if not reason:
                raise invalid(
                    "REASON_INVALID",
                    "a complaint gives its reason: efficiency, attitude, inaction, misconduct or other",
                    "投诉请选择原因：效能、态度、不作为、乱作为或其他",
                    "reason",
                )
        case_number = (r.case_number or "").strip()
        if len(case_number) > 64 or (case_number and kind != "complaint"):
            raise invalid(
                "CASE_NUMBER_INVALID",
                "only a complaint names a case (at most 64 characters)",
                "仅投诉可填写办件编号",
                "case_number",
            )
        name_enc = mobile_enc = ""
        if anonymous:
            name = text(r.writer_name, "writer_name", MAX_NAME, "姓名")
            mobile = parse_mobile(r.writer_mobile, field="writer_mobile")
            name_enc = self.cipher.encrypt(name, "letter_writer_name")
            mobile_enc = self.cipher.encrypt(mobile, "letter_writer_mobile")
        path = await self._site_path(site)
        department = await self._department(site, r.department_code) if r.department_code else office(site)
        if anonymous:
            # Consumed last: a letter refused for its content leaves the writer's code unspent.
            await self._check_code(mobile, r.sms_code)
        at = self.clock()
        letter_id = new_id()
        password = ls.new_query_password() if anonymous else ""
        async with self.db.uow() as uow:
            number = await ls.next_number(uow, PREFIX[kind], site, letter_clock.china_day(at))
            values = {
                "id": letter_id,
                "number": number,
                "site_code": site,
                "site_path": path,
                "department_code": department,
                "matter_code": matter,
                "kind": kind,
                "title": title,
                "state": "pending",
                "agrees_to_publish": r.agrees_to_publish,
                "case_number": case_number,
                "reason": reason,
                "writer_kind": who.kind if who else "",
                "writer_subject": who.subject if who else "",
                "writer_name_enc": name_enc,
                "writer_mobile_enc": mobile_enc,
                "query_hash": ls.query_hash(letter_id, password) if anonymous else "",
                "handler_subject": "",
                "handler_name": "",
                "revision": 1,
                "due_date": letter_clock.due_date(site, kind, at),
                "rating": "",
                "reopened": False,
                "public_reply": False,
                "warning_level": "",
                "extension_state": "",
                "extension_days": 0,
                "extension_reason": "",
                "submitted_at": at,
                "replied_at": None,
                "updated_at": at,
            }
            await uow.conn.execute(sa.insert(letters).values(**values))
            await ls.add_message(uow, letter_id, "writer", kind, content, at)
            row = await ls.load(uow, letter_id)
            uow.emit(make_event(contract.letter("submitted"), ls.changed(row, "", "submit"), site))
            messages = await ls.thread(uow, letter_id)
            await uow.commit()
        return pb.SubmitLetterResponse(letter=ls.view(row, messages, self.cipher), query_password=password)

    async def _site_path(self, site: str) -> str:
        # From consult's copy of the site tree (asked of the catalogue when the copy lacks it).
        async with self.db.reader() as uow:
            return await sites.path_of(uow, site)

    async def _department(self, site: str, code: str) -> str:
        """A department the catalogue lists at this site, or the site's office."""
        if code == office(site):
            return code
        listed = await self.catalogue.ListDepartments(
            cat.ListDepartmentsRequest(site_code=site), **call_options(access.SERVICE_CALLER)
        )
        if code not in {d.code for d in listed.departments}:
            raise invalid(
                "DEPARTMENT_UNKNOWN",
                "no such department at this site",
                "该站点没有这个部门",
                "department_code",
            )
        return code

    async def _check_code(self, mobile: str, code: str) -> None:
        if not (code or "").strip():
            raise invalid(
                "SMS_CODE_MISSING", "give the SMS verification code", "请输入短信验证码", "sms_code"
            )
        request = ident.CheckSmsCodeRequest(
            mobile=mobile, purpose=ident.SMS_PURPOSE_LETTER, code=code.strip()
        )
        try:
            await self.identity.CheckSmsCode(request, **call_options(access.SERVICE_CALLER))
        except grpc.aio.AioRpcError as err:
            raise domain_error(err) from None

    # Reading -------------------------------------------------------------------------------

    async def mine(self, r: pb.ListMyLettersRequest) -> pb.ListLettersResponse:
        who = access.owner()
        number, size = access.paging(r.page)
        c = letters.c
        where = sa.and_(c.writer_kind == who.kind, c.writer_subject == who.subject)
        return await ls.page_of(self.db, self.cipher, where, c.submitted_at.desc(), number, size)

    async def get(self, r: pb.GetLetterRequest) -> pb.Letter:
        from govhall.consult.letters_staff import may_read  # the staff side decides for staff

        caller = current_caller()
        async with self.db.reader() as uow:
            row = await ls.load(uow, r.letter_id)
            if not (writes(row, caller) or may_read(row, caller)):
                raise ls.not_found()  # not told apart from one that does not exist
            return ls.view(row, await ls.thread(uow, row.id), self.cipher)

    async def query(self, r: pb.QueryLetterRequest) -> pb.Letter:
        async with self.db.uow() as uow:
            row = await self.unlock(uow, r.letter_number, r.query_password, r.client_ip)
            messages = await ls.thread(uow, row.id)
            await uow.commit()
        return ls.view(row, messages, self.cipher)

    async def unlock(self, uow: UnitOfWork, number: str, password: str, client_ip: str) -> Any:
        """The anonymous letter with this number and query password, counting a wrong password
        against the letter and client (committed before LETTER_QUERY_FAILED is raised) and clearing
        the count on a right one (the caller commits)."""
        number, password = number.strip().upper(), password.strip()
        if not number or not password:
            raise invalid(
                "LETTER_QUERY_INVALID",
                "give the letter number and query password",
                "请输入信件编号和查询密码",
            )
        client = client_ip.strip()[:64]
        at = self.clock()
        row = (await uow.conn.execute(sa.select(letters).where(letters.c.number == number))).first()
        if row is None or not row.query_hash:
            raise _query_failed()
        t = letter_query_locks.c
        lock = (
            await uow.conn.execute(
                sa.select(letter_query_locks).where(t.letter_id == row.id, t.client == client)
            )
        ).first()
        failures = int(lock.failures) if lock else 0
        locked_until = ls.aware(lock.locked_until) if lock else None
        if locked_until and locked_until > at:
            local = locked_until.astimezone(letter_clock.CHINA).strftime("%H:%M")
            raise DomainError(
                "LETTER_QUERY_LOCKED",
                "too many wrong passwords for this letter from here; try again later",
                f"查询密码错误次数过多，请于{local}后再试",
                ErrorKind.TOO_MANY,
            )
        if not hmac.compare_digest(row.query_hash, ls.query_hash(row.id, password)):
            failures += 1
            locked = at + QUERY_LOCK if failures >= QUERY_ATTEMPTS else None
            await _set_lock(uow, row.id, client, 0 if locked else failures, locked)
            await uow.commit()
            raise _query_failed()
        if lock is not None:
            await _set_lock(uow, row.id, client, 0, None)
        return row

    # The writer acting on their letter -------------------------------------------------------

    async def follow_up(self, r: pb.FollowUpRequest) -> pb.Letter:
        content = text(r.content, "content", MAX_CONTENT, "追问内容")
        async with self.db.uow() as uow:
            row = await self._own(uow, r.letter_id)
            if row.state != "replied":
                raise ls.wrong_state("only a replied letter can be followed up", "来信答复后才能追问")
            at = self.clock()
            note = ls.Note("writer", "follow_up", content)
            row = await ls.change(
                uow, row, row.revision, "followed_up", "follow_up", note, state="followed_up", updated_at=at
            )
            messages = await ls.thread(uow, row.id)
            await uow.commit()
        return ls.view(row, messages, self.cipher)

    async def rate(self, r: pb.RateLetterRequest) -> pb.Letter:
        rating = ls.RATINGS.get(r.rating)
        if rating is None:
            raise invalid(
                "RATING_INVALID",
                "rating is satisfied, basically or unsatisfied",
                "评价应为满意、基本满意或不满意",
                "rating",
            )
        if r.reopen and rating != "unsatisfied":
            raise invalid(
                "REOPEN_INVALID", "only an unsatisfied writer reopens", "仅不满意时可要求重新办理", "reopen"
            )
        async with self.db.uow() as uow:
            row = await self._own(uow, r.letter_id)
            if row.state != "replied":
                raise ls.wrong_state("only a replied letter can be rated", "来信答复后才能评价")
            at = self.clock()
            if r.reopen:
                # From the reply, not the last change: a rating or follow-up does not extend it.
                if row.reopened or at - ls.aware(row.replied_at) > REOPEN_WITHIN:  # type: ignore[operator]
                    raise ls.wrong_state(
                        "a letter can be reopened once, within 10 days of its reply",
                        "每封来信仅可在答复后10日内要求重新办理一次",
                    )
                row = await ls.change(
                    uow,
                    row,
                    row.revision,
                    "reopened",
                    "reopen",
                    ls.Note("system", "reopened", "不满意，要求重新办理"),
                    state="processing",
                    rating=rating,
                    reopened=True,
                    updated_at=at,
                )
            else:
                state = "replied" if rating == "unsatisfied" else "closed"
                row = await ls.change(
                    uow, row, row.revision, "rated", "rate", state=state, rating=rating, updated_at=at
                )
                if state == "closed":
                    uow.emit(
                        make_event(
                            contract.letter("closed"), ls.changed(row, "replied", "rate"), row.site_code
                        )
                    )
            messages = await ls.thread(uow, row.id)
            await uow.commit()
        return ls.view(row, messages, self.cipher)

    async def _own(self, uow: UnitOfWork, letter_id: str) -> Any:
        caller = current_caller()
        access.owner()  # anonymous writers act by number and password only (QueryLetter)
        row = await ls.load(uow, letter_id)
        if not writes(row, caller):
            raise ls.not_found()
        return row


def writes(row: Any, caller: common_pb2.CallerIdentity) -> bool:
    kind = access.OWNER_KINDS.get(caller.kind)
    return bool(row.writer_kind) and kind == row.writer_kind and caller.subject == row.writer_subject


async def _set_lock(
    uow: UnitOfWork, letter_id: str, client: str, failures: int, until: dt.datetime | None
) -> None:
    t = letter_query_locks
    await uow.conn.execute(sa.delete(t).where(t.c.letter_id == letter_id, t.c.client == client))
    if failures or until:
        await uow.conn.execute(
            sa.insert(t).values(letter_id=letter_id, client=client, failures=failures, locked_until=until)
        )


def _query_failed() -> DomainError:
    # The same answer for an unknown number and a wrong password.
    return DomainError(
        "LETTER_QUERY_FAILED",
        "no letter with this number and password",
        "信件编号或查询密码不正确",
        ErrorKind.NOT_FOUND,
    )
