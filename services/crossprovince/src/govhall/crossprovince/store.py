"""Crossprovince tables (SQLAlchemy Core): messages received with their receipts, and the audit
log with its head row. The kit's outbox and inbox come from the kit's own migrations."""

from __future__ import annotations

import sqlalchemy as sa

from govhall.kit.eventstore import add_kit_tables

metadata = sa.MetaData()
add_kit_tables(metadata)

# Every envelope received and verified, with the receipt given for it: the same message id
# again gets these receipt bytes back. Keyed by sender as well, so one partner's ids can never
# shadow another's.
received_messages = sa.Table(
    "received_messages",
    metadata,
    sa.Column("sender", sa.String(6), primary_key=True),
    sa.Column("message_id", sa.String(36), primary_key=True),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("sent_at", sa.String(40), nullable=False),
    sa.Column("request_sha256", sa.String(64), nullable=False),
    sa.Column("envelope", sa.LargeBinary, nullable=False),
    sa.Column("receipt", sa.LargeBinary, nullable=False),
    sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
)

# Append-only evidence of every message sent and received: entry_hash = sha256(prev_hash "\n"
# canonical entry), so a changed, removed or inserted row breaks the chain (audit.py).
audit_log = sa.Table(
    "audit_log",
    metadata,
    sa.Column(
        "seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), primary_key=True, autoincrement=False
    ),
    sa.Column("at", sa.String(40), nullable=False),
    sa.Column("direction", sa.String(8), nullable=False),
    sa.Column("peer", sa.String(6), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("message_id", sa.String(36), nullable=False),
    sa.Column("request_sha256", sa.String(64), nullable=False),
    sa.Column("receipt_sha256", sa.String(64), nullable=False),
    sa.Column("status", sa.String(32), nullable=False),
    sa.Column("prev_hash", sa.String(64), nullable=False),
    sa.Column("entry_hash", sa.String(64), nullable=False),
)

# One row (id 1, made by the migration): the last entry's seq and hash. Locked for each append,
# so concurrent appends on PostgreSQL take turns and each chains to the one before.
audit_head = sa.Table(
    "audit_head",
    metadata,
    sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
    sa.Column("seq", sa.BigInteger().with_variant(sa.Integer, "sqlite"), nullable=False),
    sa.Column("entry_hash", sa.String(64), nullable=False),
)

# Messages to partners, each signed ONCE when enqueued (`envelope`: the same bytes on every
# resend, so the partner's dedup by message id returns its first receipt). `key` says what the
# message is about (a handover sent, a case's revision reported …): an event delivered twice
# enqueues one message. The sender loop (outgoing.py) delivers a row until a valid receipt,
# then hands the receipt to cases (`handed_at`).
outgoing = sa.Table(
    "outgoing_messages",
    metadata,
    sa.Column("message_id", sa.String(36), primary_key=True),
    sa.Column("key", sa.String(200), nullable=False, unique=True),
    sa.Column("receiver", sa.String(6), nullable=False),
    sa.Column("kind", sa.String(40), nullable=False),
    sa.Column("subject_id", sa.String(64), nullable=False),
    sa.Column("request_sha256", sa.String(64), nullable=False),
    sa.Column("envelope", sa.LargeBinary, nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("next_attempt_at", sa.DateTime(timezone=True), nullable=False, index=True),
    sa.Column("attempts", sa.Integer, nullable=False),
    sa.Column("last_error", sa.String(500), nullable=False),
    sa.Column("sent_audited", sa.Boolean, nullable=False),
    sa.Column("receipt", sa.LargeBinary, nullable=True),
    sa.Column("receipted_at", sa.DateTime(timezone=True), nullable=True, index=True),
    sa.Column("handed_at", sa.DateTime(timezone=True), nullable=True),
)

# A handover as this province knows it, on either side: on the home side (B) the case it became
# (GetHandoverStatus answers from it) and the receiving province's acknowledgement of the result;
# on the receiving side (A) the ReturnResult message an Acknowledge names.
handover_links = sa.Table(
    "handover_links",
    metadata,
    sa.Column("partner", sa.String(6), primary_key=True),
    sa.Column("handover_id", sa.String(64), primary_key=True),
    sa.Column("side", sa.String(10), nullable=False),  # home | receiving
    sa.Column("case_id", sa.String(64), nullable=False),
    sa.Column("case_number", sa.String(64), nullable=False),
    sa.Column("result_message_id", sa.String(36), nullable=False),
    sa.Column("acknowledged_message_id", sa.String(36), nullable=False),
    sa.Column("delivered_by", sa.String(20), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
)
