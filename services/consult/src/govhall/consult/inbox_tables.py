"""The inbox's tables (我的消息): messages and the SMS still to send.

One message per (owner, source event): the UNIQUE key makes an event give one message however
often it is delivered, even when two deliveries race past the kit's inbox check. Read state is
per message (read_at). A deleted message keeps its row (deleted = true) so a late redelivery of
its event cannot bring it back.

The SMS outbox holds what to text and to whom (owner kind and subject), never the mobile: the
sender asks identity for it when it sends.
"""

from __future__ import annotations

import sqlalchemy as sa

from govhall.consult.store import metadata

TS = sa.DateTime(timezone=True)

messages = sa.Table(
    "messages",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("owner_kind", sa.String(16), nullable=False),
    sa.Column("owner_subject", sa.String(64), nullable=False),
    sa.Column("source_event_id", sa.String(64), nullable=False),
    # The event's subject (cases.case.accepted): what kind of message this is.
    sa.Column("subject", sa.String(100), nullable=False),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("body", sa.Text(), nullable=False),
    sa.Column("link_kind", sa.String(20), nullable=False),
    sa.Column("link_id", sa.String(64), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("read_at", TS, nullable=True),
    sa.Column("deleted", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.UniqueConstraint("owner_kind", "owner_subject", "source_event_id", name="uq_messages_owner_event"),
    sa.Index("messages_by_owner_time", "owner_kind", "owner_subject", "created_at"),
)

# SMS to send for messages that need action (受理, 补正, 办结): written in the consumer's
# transaction, sent after it by the sender task (inbox_sms), which claims a row for a while so
# two replicas do not both send it.
sms_outbox = sa.Table(
    "sms_outbox",
    metadata,
    sa.Column("message_id", sa.String(36), primary_key=True),
    sa.Column("owner_kind", sa.String(16), nullable=False),
    sa.Column("owner_subject", sa.String(64), nullable=False),
    sa.Column("text", sa.String(500), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("claimed_until", TS, nullable=True),
    sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
    # sent | no_mobile (identity has none to text): set once, when it is done.
    sa.Column("outcome", sa.String(16), nullable=True),
    sa.Column("done_at", TS, nullable=True),
    sa.Index("sms_outbox_pending", "done_at", "created_at"),
)
