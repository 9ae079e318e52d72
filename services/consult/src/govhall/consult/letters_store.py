"""Letters' shared plumbing: the vocabulary, loading a letter and its thread, the one conditional
change every action goes through (revision check, thread message, event), and the view."""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from govhall.consult.letters_tables import letter_attachments, letter_counters, letter_messages, letters
from govhall.contracts import consult as contract
from govhall.kit.db import Database, UnitOfWork
from govhall.kit.dialect import upsert
from govhall.kit.errors import DomainError, ErrorKind
from govhall.kit.events import make_event
from govhall.kit.fieldcipher import FieldCipher
from govhall.kit.validators import mask_mobile
from govhall.protos.common.v1 import common_pb2
from govhall.protos.consult.v1 import events_pb2
from govhall.protos.consult.v1 import letters_pb2 as pb

KINDS = {
    pb.LETTER_KIND_CONSULTATION: "consultation",
    pb.LETTER_KIND_COMPLAINT: "complaint",
    pb.LETTER_KIND_SUGGESTION: "suggestion",
}
KIND_PB = {v: k for k, v in KINDS.items()}
STATES = {
    pb.LETTER_STATE_PENDING: "pending",
    pb.LETTER_STATE_PROCESSING: "processing",
    pb.LETTER_STATE_REPLIED: "replied",
    pb.LETTER_STATE_FOLLOWED_UP: "followed_up",
    pb.LETTER_STATE_REFUSED: "refused",
    pb.LETTER_STATE_CLOSED: "closed",
}
STATE_PB = {v: k for k, v in STATES.items()}
OPEN_STATES = ("pending", "processing", "followed_up")
REASONS = {
    pb.COMPLAINT_REASON_EFFICIENCY: "efficiency",
    pb.COMPLAINT_REASON_ATTITUDE: "attitude",
    pb.COMPLAINT_REASON_INACTION: "inaction",
    pb.COMPLAINT_REASON_MISCONDUCT: "misconduct",
    pb.COMPLAINT_REASON_OTHER: "other",
}
REASON_PB = {v: k for k, v in REASONS.items()}
RATINGS = {
    pb.LETTER_RATING_SATISFIED: "satisfied",
    pb.LETTER_RATING_BASICALLY: "basically",
    pb.LETTER_RATING_UNSATISFIED: "unsatisfied",
}
RATING_PB = {v: k for k, v in RATINGS.items()}
ROLE_PB = {"writer": pb.MESSAGE_ROLE_WRITER, "staff": pb.MESSAGE_ROLE_STAFF, "system": pb.MESSAGE_ROLE_SYSTEM}
OWNER_KIND_PB = {"person": common_pb2.CALLER_KIND_PERSON, "legal_person": common_pb2.CALLER_KIND_LEGAL_PERSON}


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


def aware(value: dt.datetime | None) -> dt.datetime | None:
    return value.replace(tzinfo=dt.UTC) if value is not None and value.tzinfo is None else value


def new_query_password() -> str:
    # As cases' query passwords: 8 characters without look-alikes (40 bits), wrong tries locked out.
    return "".join(secrets.choice("23456789ABCDEFGHJKLMNPQRSTUVWXYZ") for _ in range(8))


def query_hash(letter_id: str, password: str) -> str:
    return hmac.new(letter_id.encode(), password.strip().upper().encode(), hashlib.sha256).hexdigest()


def not_found() -> DomainError:
    return DomainError("LETTER_NOT_FOUND", "no such letter", "没有这封来信", ErrorKind.NOT_FOUND)


def stale() -> DomainError:
    return DomainError(
        "LETTER_CHANGED",
        "the letter changed since you read it (someone else acted); reload it",
        "来信已被他人处理或已变更，请刷新后重试",
        ErrorKind.CONFLICT,
    )


def wrong_state(what: str, what_zh: str) -> DomainError:
    return DomainError("LETTER_WRONG_STATE", what, what_zh, ErrorKind.WRONG_STATE)


async def load(uow: UnitOfWork, letter_id: str) -> Any:
    if not letter_id or len(letter_id) > 36:
        raise not_found()
    row = (await uow.conn.execute(sa.select(letters).where(letters.c.id == letter_id))).first()
    if row is None:
        raise not_found()
    return row


class Thread(list[Any]):
    """A letter's messages in order, carrying the files attached to them: a list still, so every
    action that shows the letter after changing it passes its thread to view() as before."""

    attachments: list[Any]


async def thread(uow: UnitOfWork, letter_id: str) -> Thread:
    m = letter_messages.c
    out = Thread(
        await uow.conn.execute(sa.select(letter_messages).where(m.letter_id == letter_id).order_by(m.seq))
    )
    a = letter_attachments.c
    out.attachments = list(
        await uow.conn.execute(
            sa.select(letter_attachments).where(a.letter_id == letter_id).order_by(a.seq, a.slot)
        )
    )
    return out


async def add_message(
    uow: UnitOfWork,
    letter_id: str,
    role: str,
    action: str,
    content: str,
    at: dt.datetime,
    public: bool = False,
    author: str = "",
) -> None:
    m = letter_messages.c
    last = await uow.conn.scalar(sa.select(sa.func.max(m.seq)).where(m.letter_id == letter_id))
    await uow.conn.execute(
        sa.insert(letter_messages).values(
            letter_id=letter_id,
            seq=int(last or 0) + 1,
            role=role,
            action=action,
            content=content,
            public=public,
            author_name=author,
            created_at=at,
        )
    )


@dataclass(frozen=True)
class Note:
    """A message the change adds to the thread."""

    role: str
    action: str
    content: str
    public: bool = False
    author: str = ""


async def change(
    uow: UnitOfWork,
    row: Any,
    expected: int,
    subject: str,
    action: str,
    note: Note | None = None,
    **values: Any,
) -> Any:
    """Move the letter if it is still at the revision the actor saw (else 409), add its note to the
    thread, and tell it.

    The conditional UPDATE is what makes two staff acting at once safe: both read revision n,
    only one UPDATE ... WHERE revision = n finds the row (the loser waits for the winner's row
    lock, then finds none). The note goes in after it, so only the winner numbers a message."""
    values.setdefault("updated_at", now())
    result = await uow.conn.execute(
        sa.update(letters)
        .where(letters.c.id == row.id, letters.c.revision == expected)
        .values(revision=expected + 1, **values)
    )
    if result.rowcount != 1:
        raise stale()
    if note is not None:
        at = values["updated_at"]
        await add_message(uow, row.id, note.role, note.action, note.content, at, note.public, note.author)
    new = await load(uow, row.id)
    uow.emit(make_event(contract.letter(subject), changed(new, row.state, action), new.site_code))
    return new


def changed(row: Any, from_state: str, action: str) -> events_pb2.LetterChanged:
    writer = events_pb2.Owner()
    if row.writer_kind:
        writer.kind = OWNER_KIND_PB[row.writer_kind]
        writer.subject = row.writer_subject
    return events_pb2.LetterChanged(
        letter_id=row.id,
        letter_number=row.number,
        site_code=row.site_code,
        department_code=row.department_code,
        kind=row.kind,
        title=row.title,
        from_state=from_state,
        state=row.state,
        action=action,
        writer=writer,
        revision=row.revision,
        due=row.due_date.isoformat(),
    )


def mask_name(name: str) -> str:
    return name[:1] + "*" * max(len(name) - 1, 1) if name else ""


def view(row: Any, messages: list[Any], cipher: FieldCipher) -> pb.Letter:
    out = pb.Letter(
        id=row.id,
        letter_number=row.number,
        site_code=row.site_code,
        department_code=row.department_code,
        matter_code=row.matter_code,
        kind=KIND_PB[row.kind],
        title=row.title,
        state=STATE_PB[row.state],
        agrees_to_publish=row.agrees_to_publish,
        case_number=row.case_number,
        reason=REASON_PB.get(row.reason, pb.COMPLAINT_REASON_UNSPECIFIED),
        anonymous=not row.writer_kind,
        handler_name=row.handler_name,
        revision=row.revision,
        due_date=row.due_date.isoformat(),
        rating=RATING_PB.get(row.rating, pb.LETTER_RATING_UNSPECIFIED),
        reopened=row.reopened,
        public_reply=row.public_reply,
        warning_level=row.warning_level,
        extension_state=row.extension_state,
        extension_days=row.extension_days,
    )
    if row.writer_name_enc:
        out.writer_name_masked = mask_name(cipher.decrypt(row.writer_name_enc, "letter_writer_name"))
    if row.writer_mobile_enc:
        out.writer_mobile_masked = mask_mobile(cipher.decrypt(row.writer_mobile_enc, "letter_writer_mobile"))
    out.submitted_at.FromDatetime(aware(row.submitted_at))  # type: ignore[arg-type]
    out.updated_at.FromDatetime(aware(row.updated_at))  # type: ignore[arg-type]
    if row.replied_at is not None:
        out.replied_at.FromDatetime(aware(row.replied_at))  # type: ignore[arg-type]
    for m in messages:
        item = out.messages.add(
            seq=m.seq,
            role=ROLE_PB[m.role],
            action=m.action,
            content=m.content,
            public=m.public,
            author_name=m.author_name,
        )
        item.created_at.FromDatetime(aware(m.created_at))  # type: ignore[arg-type]
    for f in getattr(messages, "attachments", ()):
        attached = out.attachments.add(
            id=f.id, seq=f.seq, file_name=f.file_name, media_type=f.media_type, size=f.size
        )
        attached.created_at.FromDatetime(aware(f.created_at))  # type: ignore[arg-type]
    return out


async def page_of(
    db: Database, cipher: FieldCipher, where: Any, order: Any, number: int, size: int
) -> pb.ListLettersResponse:
    """A page of letters (without their threads), and how many there are."""
    async with db.reader() as uow:
        total = await uow.conn.scalar(sa.select(sa.func.count()).select_from(letters).where(where))
        rows = await uow.conn.execute(
            sa.select(letters)
            .where(where)
            .order_by(order, letters.c.id)
            .limit(size)
            .offset((number - 1) * size)
        )
        items = [view(row, [], cipher) for row in rows]
    return pb.ListLettersResponse(
        letters=items, page=common_pb2.PageInfo(page=number, page_size=size, total=int(total or 0))
    )


async def next_number(uow: UnitOfWork, prefix: str, site: str, day: dt.date) -> str:
    """The next number of the site's day: one statement on the counter row (unique site + day),
    so two writers at once get two numbers and the row stays locked until the letter commits."""
    key = day.strftime("%Y%m%d")
    t = letter_counters
    last = await uow.conn.scalar(
        upsert(
            uow,
            t,
            {"site_code": site, "day": key, "last": 1},
            key=["site_code", "day"],
            update={"last": t.c.last + 1},
        ).returning(t.c.last)
    )
    return f"{prefix}{site}-{key}-{int(last):04d}"
