"""The inbox's gRPC servicer: each RPC hands its request to inbox.Inbox."""

from __future__ import annotations

from typing import Any

from govhall.consult.inbox import Inbox
from govhall.protos.consult.v1 import inbox_pb2 as pb
from govhall.protos.consult.v1 import inbox_pb2_grpc


class InboxService(inbox_pb2_grpc.InboxServiceServicer):
    def __init__(self, inbox: Inbox) -> None:
        self._inbox = inbox

    async def ListMessages(self, request: pb.ListMessagesRequest, context: Any) -> pb.ListMessagesResponse:
        return await self._inbox.listing(request)

    async def UnreadCount(self, request: pb.UnreadCountRequest, context: Any) -> pb.UnreadCountResponse:
        return await self._inbox.unread(request)

    async def MarkRead(self, request: pb.MarkReadRequest, context: Any) -> pb.Message:
        return await self._inbox.mark_read(request)

    async def MarkAllRead(self, request: pb.MarkAllReadRequest, context: Any) -> pb.MarkAllReadResponse:
        return await self._inbox.mark_all_read(request)

    async def DeleteMessage(self, request: pb.DeleteMessageRequest, context: Any) -> pb.DeleteMessageResponse:
        return await self._inbox.delete(request)
