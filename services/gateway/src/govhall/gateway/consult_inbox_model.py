"""What the inbox routes (我的消息) answer: typed response models and the mapping onto them."""

from __future__ import annotations

from pydantic import Field

from govhall.gateway.model import PageOut, page_out
from govhall.gateway.protojson import Out, model_of, out
from govhall.protos.consult.v1 import inbox_pb2 as pb

_MESSAGE = model_of(pb.Message.DESCRIPTOR, name="InboxMessage_")


class MessageOut(_MESSAGE):  # type: ignore[misc,valid-type]
    """One message: what happened (subject, title, body), what it is about (link_kind and
    link_id: a case, letter, error report, booking or licence), when, and whether it is read."""


class MessagesOut(Out):
    items: list[MessageOut]
    page: PageOut


class UnreadOut(Out):
    unread: int = Field(description="未读消息数")


class MarkedOut(Out):
    marked: int = Field(description="how many were unread and are read now")


class RemovedOut(Out):
    removed: bool = Field(description="whether it was removed")


def message_out(m: pb.Message) -> MessageOut:
    return out(MessageOut, m)


def messages_out(reply: pb.ListMessagesResponse) -> MessagesOut:
    return MessagesOut(items=[message_out(m) for m in reply.messages], page=page_out(reply.page))
