"""The inbox's REST routes (我的消息): a signed-in user's messages, unread count, mark read (one
or all) and delete. Consult decides from the caller: another user's message id is a 404."""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Path

from govhall.gateway import consult_inbox_model as views
from govhall.gateway.auth import SignedIn
from govhall.gateway.params import PageNo, PageSize
from govhall.gateway.upstreams import Upstreams
from govhall.protos.common.v1 import common_pb2
from govhall.protos.consult.v1 import inbox_pb2 as pb

MessageIdPath = Annotated[str, Path(pattern=r"^[0-9A-Za-z-]{1,36}$", description="message id")]


def inbox_routes(up: Callable[[], Upstreams]) -> APIRouter:
    router = APIRouter(tags=["inbox"])

    @router.get(
        "/api/v1/me/messages",
        summary="我的消息: newest first, page by page (unread_only: the unread ones)",
        operation_id="listMessages",
    )
    async def list_messages(
        caller: SignedIn, page: PageNo = 1, page_size: PageSize = 20, unread_only: bool = False
    ) -> views.MessagesOut:
        request = pb.ListMessagesRequest(
            page=common_pb2.PageRequest(page=page, page_size=page_size), unread_only=unread_only
        )
        return views.messages_out(await up().consult.call(lambda s: s.inbox.ListMessages, request, caller))

    @router.get(
        "/api/v1/me/messages/unread-count",
        summary="How many of my messages are unread",
        operation_id="countUnreadMessages",
    )
    async def unread_count(caller: SignedIn) -> views.UnreadOut:
        reply = await up().consult.call(lambda s: s.inbox.UnreadCount, pb.UnreadCountRequest(), caller)
        return views.UnreadOut(unread=reply.unread)

    @router.post(
        "/api/v1/me/messages/read-all",
        summary="Mark all my messages read",
        operation_id="markAllMessagesRead",
    )
    async def mark_all_read(caller: SignedIn) -> views.MarkedOut:
        reply = await up().consult.call(lambda s: s.inbox.MarkAllRead, pb.MarkAllReadRequest(), caller)
        return views.MarkedOut(marked=reply.marked)

    @router.post(
        "/api/v1/me/messages/{message_id}/read",
        summary="Mark one message read (again: the first read time stays)",
        operation_id="markMessageRead",
    )
    async def mark_read(message_id: MessageIdPath, caller: SignedIn) -> views.MessageOut:
        request = pb.MarkReadRequest(id=message_id)
        return views.message_out(await up().consult.call(lambda s: s.inbox.MarkRead, request, caller))

    @router.delete(
        "/api/v1/me/messages/{message_id}",
        summary="Delete one of my messages",
        operation_id="deleteMessage",
    )
    async def delete_message(message_id: MessageIdPath, caller: SignedIn) -> views.RemovedOut:
        request = pb.DeleteMessageRequest(id=message_id)
        reply = await up().consult.call(lambda s: s.inbox.DeleteMessage, request, caller)
        return views.RemovedOut(removed=reply.removed)

    return router


__all__ = ["inbox_routes"]
