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
