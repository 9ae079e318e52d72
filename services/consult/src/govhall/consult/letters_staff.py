"""Letters, the staff's side: the department's queue, claiming, replying (公开/私密) and answering
follow-ups, reassigning to another department of the site, refusing as out of scope; and the
public Q&A (咨询公开) anyone may read.

Staff act on the letters of their own site and department only; a supervisor also reads the
letters of their site's subtree. Every action names the revision the staff member saw: two at
once on one letter, one wins and the other gets 409 (letters_store.change).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import sqlalchemy as sa

from govhall.consult import access
from govhall.consult import letters_store as ls
from govhall.consult.letters import MAX_CONTENT, Letters, office, text
from govhall.consult.letters_tables import letter_messages, letters
from govhall.kit.caller import current_caller
from govhall.kit.db import Database
from govhall.kit.errors import DomainError, ErrorKind, invalid
from govhall.kit.fieldcipher import FieldCipher
from govhall.protos.common.v1 import common_pb2
from govhall.protos.consult.v1 import letters_pb2 as pb

MAX_REASON = 500
# Runs of 6 or more digits (an ID number may end in X): mobiles, ID numbers, case numbers.
LONG_NUMBER = re.compile(r"\d{6,}[\dXx]?")


def staff() -> common_pb2.CallerIdentity:
    caller = current_caller()
    if caller.kind != common_pb2.CALLER_KIND_STAFF or not caller.site_code or not caller.department_code:
        raise DomainError(
            "STAFF_ONLY",
            "only staff of a department handle letters",
            "仅部门工作人员可办理来信",
            ErrorKind.FORBIDDEN,
        )
    return caller


def handles(row: Any, caller: common_pb2.CallerIdentity) -> bool:
    return (
        caller.kind == common_pb2.CALLER_KIND_STAFF
        and caller.site_code == row.site_code
        and caller.department_code == row.department_code
    )


def may_read(row: Any, caller: common_pb2.CallerIdentity) -> bool:
    """Its department's staff, and supervisors of a site above it or its own."""
    if handles(row, caller):
        return True
    return (
        caller.kind == common_pb2.CALLER_KIND_STAFF
        and "supervisor" in caller.roles
        and bool(caller.site_code)
        and f"/{caller.site_code}/" in row.site_path
    )


@dataclass
class LettersStaff:
    db: Database
    cipher: FieldCipher
    writers: Letters
    clock: Any = field(default=ls.now)

    async def queue(self, r: pb.ListQueueRequest) -> pb.ListLettersResponse:
        caller = staff()
        number, size = access.paging(r.page)
        states = [ls.STATES[s] for s in r.states if s in ls.STATES] or list(ls.OPEN_STATES)
        c = letters.c
        where = sa.and_(
            c.site_code == caller.site_code, c.department_code == caller.department_code, c.state.in_(states)
        )
        return await ls.page_of(self.db, self.cipher, where, c.due_date, number, size)

    async def claim(self, r: pb.ClaimLetterRequest) -> pb.Letter:
        return await self._act(r.letter_id, r.revision, self._claim)

    async def reply(self, r: pb.ReplyLetterRequest) -> pb.Letter:
        content = text(r.content, "content", MAX_CONTENT, "答复内容")

        async def step(uow: Any, row: Any, caller: Any, at: Any) -> Any:
            if row.state not in ("processing", "followed_up"):
                raise ls.wrong_state("claim the letter before replying", "请先签收再答复")
            if row.handler_subject != caller.subject:
                raise DomainError(
                    "NOT_HANDLER",
                    "another staff member handles this letter",
                    "该来信由其他工作人员办理",
                    ErrorKind.FORBIDDEN,
                )
            action = "follow_up_answer" if row.state == "followed_up" else "reply"
            note = ls.Note("staff", action, content, r.public, caller.name)
            values: dict[str, Any] = {"state": "replied", "replied_at": at, "updated_at": at}
            if action == "reply":
                values["public_reply"] = r.public
            return await ls.change(uow, row, r.revision, "replied", action, note, **values)

        return await self._act(r.letter_id, r.revision, step)

    async def reassign(self, r: pb.ReassignLetterRequest) -> pb.Letter:
        reason = text(r.reason, "reason", MAX_REASON, "转办理由")
        caller = staff()
        department = await self.writers._department(
            caller.site_code, r.department_code or office(caller.site_code)
        )
        if department == caller.department_code:
            raise invalid(
                "DEPARTMENT_SAME", "reassign to another department", "请转办至其他部门", "department_code"
            )

        async def step(uow: Any, row: Any, caller: Any, at: Any) -> Any:
            if row.state not in ("pending", "processing"):
                raise ls.wrong_state("only an unanswered letter is reassigned", "仅未答复的来信可转办")
            return await ls.change(
                uow,
                row,
                r.revision,
                "reassigned",
                "reassign",
                ls.Note("system", "reassigned", f"转办至{department}：{reason}", False, caller.name),
                state="pending",
                department_code=department,
                handler_subject="",
                handler_name="",
                updated_at=at,
            )

        return await self._act(r.letter_id, r.revision, step)

    async def refuse(self, r: pb.RefuseLetterRequest) -> pb.Letter:
        reason = text(r.reason, "reason", MAX_REASON, "不予受理理由")

        async def step(uow: Any, row: Any, caller: Any, at: Any) -> Any:
            if row.state not in ("pending", "processing"):
                raise ls.wrong_state("only an unanswered letter is refused", "仅未答复的来信可不予受理")
            note = ls.Note("system", "refused", reason, False, caller.name)
            return await ls.change(
                uow, row, r.revision, "refused", "refuse", note, state="refused", updated_at=at
            )

        return await self._act(r.letter_id, r.revision, step)

    async def _claim(self, uow: Any, row: Any, caller: Any, at: Any) -> Any:
        if row.state != "pending":
            raise ls.wrong_state("only a pending letter is claimed", "仅待办理的来信可签收")
        return await ls.change(
            uow,
            row,
            row_revision(row),
            "claimed",
            "claim",
            state="processing",
            handler_subject=caller.subject,
            handler_name=caller.name or caller.subject,
            updated_at=at,
        )

    async def _act(self, letter_id: str, revision: int, step: Any) -> pb.Letter:
        caller = staff()
        if revision < 1:
            raise invalid("REVISION_REQUIRED", "give the revision you saw", "请提供所见的版本号", "revision")
        async with self.db.uow() as uow:
            row = await ls.load(uow, letter_id)
            if not handles(row, caller):
                raise ls.not_found()
            if row.revision != revision:
                raise ls.stale()
            row = await step(uow, row, caller, self.clock())
            messages = await ls.thread(uow, row.id)
            await uow.commit()
        return ls.view(row, messages, self.cipher)

    # 咨询公开 ---------------------------------------------------------------------------------

    async def public(self, r: pb.ListPublicLettersRequest) -> pb.ListPublicLettersResponse:
        site = access.site_code(r.site_code)
        number, size = access.paging(r.page)
        c = letters.c
        where = [
            c.site_code == site,
            c.agrees_to_publish.is_(True),
            c.public_reply.is_(True),
            c.replied_at.is_not(None),
        ]
        if r.matter_code:
            where.append(c.matter_code == access.matter_code(r.matter_code))
        async with self.db.reader() as uow:
            total = await uow.conn.scalar(sa.select(sa.func.count()).select_from(letters).where(*where))
            rows = list(
                await uow.conn.execute(
                    sa.select(letters)
                    .where(*where)
                    .order_by(c.replied_at.desc(), c.id)
                    .limit(size)
                    .offset((number - 1) * size)
                )
            )
            m = letter_messages.c
            firsts = await uow.conn.execute(
                sa.select(m.letter_id, m.seq, m.action, m.content, m.public)
                .where(
                    m.letter_id.in_([row.id for row in rows]),
                    m.action.in_(("consultation", "complaint", "suggestion", "reply")),
                )
                .order_by(m.letter_id, m.seq)
            )
            parts: dict[str, dict[str, str]] = {}
            for msg in firsts:
                key = "answer" if msg.action == "reply" else "question"
                if key == "answer" and not msg.public:
                    continue
                parts.setdefault(msg.letter_id, {}).setdefault(key, msg.content)
        out = pb.ListPublicLettersResponse(
            page=common_pb2.PageInfo(page=number, page_size=size, total=int(total or 0))
        )
        for row in rows:
            item = out.letters.add(
                site_code=row.site_code,
                matter_code=row.matter_code,
                kind=ls.KIND_PB[row.kind],
                title=row.title,
                question=scrub(parts.get(row.id, {}).get("question", "")),
                answer=scrub(parts.get(row.id, {}).get("answer", "")),
            )
            item.replied_at.FromDatetime(ls.aware(row.replied_at))  # type: ignore[arg-type]
        return out


def scrub(content: str) -> str:
    """Published text without the numbers a writer may have typed (mobiles, ID and case numbers)."""
    return LONG_NUMBER.sub("***", content)


def row_revision(row: Any) -> int:
    return int(row.revision)
