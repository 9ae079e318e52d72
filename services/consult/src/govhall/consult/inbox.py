"""我的消息: a user's messages, newest first, with read state per message.

Every call is the signed-in owner's own (access.owner()); another user's message id, or a
deleted one, is not found, as if it did not exist. Marking read is idempotent (the first read
time stays); deleting hides the message for good (its row stays, so its event cannot bring it
back).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from govhall.consult import access
from govhall.consult.access import Owner
from govhall.consult.inbox_tables import messages
from govhall.kit.db import Database
from govhall.kit.errors import DomainError, ErrorKind, invalid
from govhall.protos.common.v1 import common_pb2
from govhall.protos.consult.v1 import inbox_pb2 as pb

m = messages.c


def _mine(who: Owner) -> sa.ColumnElement[bool]:
    return sa.and_(m.owner_kind == who.kind, m.owner_subject == who.subject, m.deleted.is_(False))


def _message_id(value: str) -> str:
    if not value or len(value) > 36:
        raise invalid("MESSAGE_ID_INVALID", "id names a message", "请提供消息编号", "id")
    return value


def _not_found(message_id: str) -> DomainError:
    return DomainError(
        "MESSAGE_NOT_FOUND", f"no message {message_id}", f"消息“{message_id}”不存在", ErrorKind.NOT_FOUND
    )


def _ts(value: dt.datetime) -> Any:
    from google.protobuf.timestamp_pb2 import Timestamp

    ts = Timestamp()
    ts.FromDatetime(value if value.tzinfo else value.replace(tzinfo=dt.UTC))
    return ts


def view(row: Any) -> pb.Message:
    out = pb.Message(
        id=row.id,
        subject=row.subject,
        title=row.title,
        body=row.body,
        link_kind=row.link_kind,
        link_id=row.link_id,
        read=row.read_at is not None,
    )
    out.created_at.CopyFrom(_ts(row.created_at))
    if row.read_at is not None:
        out.read_at.CopyFrom(_ts(row.read_at))
    return out


@dataclass
class Inbox:
    db: Database

    async def listing(self, request: pb.ListMessagesRequest) -> pb.ListMessagesResponse:
        who = access.owner()
        number, size = access.paging(request.page)
        where = _mine(who)
        if request.unread_only:
            where = sa.and_(where, m.read_at.is_(None))
        async with self.db.reader() as uow:
            total = (await uow.conn.execute(sa.select(sa.func.count()).where(where))).scalar_one()
            rows = await uow.conn.execute(
                sa.select(messages)
                .where(where)
                .order_by(m.created_at.desc(), m.id.desc())
                .limit(size)
                .offset((number - 1) * size)
            )
            found = [view(r) for r in rows]
        return pb.ListMessagesResponse(
            messages=found, page=common_pb2.PageInfo(page=number, page_size=size, total=int(total))
        )

    async def unread(self, request: pb.UnreadCountRequest) -> pb.UnreadCountResponse:
        who = access.owner()
        async with self.db.reader() as uow:
            count = (
                await uow.conn.execute(sa.select(sa.func.count()).where(_mine(who), m.read_at.is_(None)))
            ).scalar_one()
        return pb.UnreadCountResponse(unread=int(count))

    async def mark_read(self, request: pb.MarkReadRequest) -> pb.Message:
        who = access.owner()
        message_id = _message_id(request.id)
        async with self.db.uow() as uow:
            # Only an unread one changes: the first read time stays.
            await uow.conn.execute(
                sa.update(messages)
                .where(_mine(who), m.id == message_id, m.read_at.is_(None))
                .values(read_at=dt.datetime.now(dt.UTC))
            )
            row = (await uow.conn.execute(sa.select(messages).where(_mine(who), m.id == message_id))).first()
            if row is None:
                raise _not_found(message_id)
            await uow.commit()
        return view(row)

    async def mark_all_read(self, request: pb.MarkAllReadRequest) -> pb.MarkAllReadResponse:
        who = access.owner()
        async with self.db.uow() as uow:
            result = await uow.conn.execute(
                sa.update(messages)
                .where(_mine(who), m.read_at.is_(None))
                .values(read_at=dt.datetime.now(dt.UTC))
            )
            await uow.commit()
        return pb.MarkAllReadResponse(marked=int(result.rowcount or 0))

    async def delete(self, request: pb.DeleteMessageRequest) -> pb.DeleteMessageResponse:
        who = access.owner()
        message_id = _message_id(request.id)
        async with self.db.uow() as uow:
            result = await uow.conn.execute(
                sa.update(messages).where(_mine(who), m.id == message_id).values(deleted=True)
            )
            if not result.rowcount:
                raise _not_found(message_id)
            await uow.commit()
        return pb.DeleteMessageResponse(removed=True)
