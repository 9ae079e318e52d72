"""Letters' tables (咨询/投诉/建议): the letters, their threads, the numbers and the query lock-outs."""

from __future__ import annotations

import sqlalchemy as sa

from govhall.consult.store import metadata

TS = sa.DateTime(timezone=True)

letters = sa.Table(
    "letters",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("number", sa.String(32), nullable=False, unique=True),
    sa.Column("site_code", sa.String(6), nullable=False),
    # The site's ancestors and itself, "/420000/420500/420502/": a supervisor sees a subtree.
    sa.Column("site_path", sa.String(64), nullable=False),
    sa.Column("department_code", sa.String(64), nullable=False),
    sa.Column("matter_code", sa.String(36), nullable=False),
    sa.Column("kind", sa.String(16), nullable=False),
    sa.Column("title", sa.String(100), nullable=False),
    sa.Column("state", sa.String(16), nullable=False),
    sa.Column("agrees_to_publish", sa.Boolean(), nullable=False),
    sa.Column("case_number", sa.String(64), nullable=False),
    sa.Column("reason", sa.String(16), nullable=False),
    # A signed-in writer (kind and subject), or "" for an anonymous one.
    sa.Column("writer_kind", sa.String(16), nullable=False),
    sa.Column("writer_subject", sa.String(64), nullable=False),
    # An anonymous writer's name and mobile, encrypted (kit.fieldcipher, consult's data key).
    sa.Column("writer_name_enc", sa.Text(), nullable=False),
    sa.Column("writer_mobile_enc", sa.Text(), nullable=False),
    # HMAC of an anonymous writer's query password under the letter id (as cases does).
    sa.Column("query_hash", sa.String(64), nullable=False),
    sa.Column("handler_subject", sa.String(64), nullable=False),
    sa.Column("handler_name", sa.String(64), nullable=False),
    sa.Column("revision", sa.Integer(), nullable=False),
    sa.Column("due_date", sa.Date(), nullable=False),
    sa.Column("rating", sa.String(16), nullable=False),
    sa.Column("reopened", sa.Boolean(), nullable=False),
    sa.Column("public_reply", sa.Boolean(), nullable=False),
    # The clock's level raised so far ("", warning at 80 %, overdue): each raised once.
    sa.Column("warning_level", sa.String(16), nullable=False),
    # An extension (延期) asked for by the department, decided by a supervisor.
    sa.Column("extension_state", sa.String(16), nullable=False),
    sa.Column("extension_days", sa.SmallInteger(), nullable=False),
    sa.Column("extension_reason", sa.String(500), nullable=False),
    sa.Column("submitted_at", TS, nullable=False),
    sa.Column("replied_at", TS, nullable=True),
    sa.Column("updated_at", TS, nullable=False),
    sa.Index("letters_queue", "site_code", "department_code", "state"),
    sa.Index("letters_by_writer", "writer_kind", "writer_subject", "submitted_at"),
    sa.Index("letters_public", "site_code", "matter_code", "replied_at"),
    sa.Index("letters_clock", "state", "due_date"),
)

# The thread, in order: the letter, replies, follow-ups and what happened (reassigned, refused).
letter_messages = sa.Table(
    "letter_messages",
    metadata,
    sa.Column("letter_id", sa.String(36), sa.ForeignKey("letters.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("seq", sa.Integer(), primary_key=True),
    sa.Column("role", sa.String(16), nullable=False),
    sa.Column("action", sa.String(24), nullable=False),
    sa.Column("content", sa.Text(), nullable=False),
    sa.Column("public", sa.Boolean(), nullable=False),
    sa.Column("author_name", sa.String(64), nullable=False),
    sa.Column("created_at", TS, nullable=False),
)

# One row per site and day (China time): the last letter number given out that day.
letter_counters = sa.Table(
    "letter_counters",
    metadata,
    sa.Column("site_code", sa.String(6), primary_key=True),
    sa.Column("day", sa.String(8), primary_key=True),
    sa.Column("last", sa.Integer(), nullable=False),
)

# Wrong query passwords per letter and client, and the lock they lead to.
letter_query_locks = sa.Table(
    "letter_query_locks",
    metadata,
    sa.Column("letter_id", sa.String(36), sa.ForeignKey("letters.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("client", sa.String(64), primary_key=True),
    sa.Column("failures", sa.SmallInteger(), nullable=False),
    sa.Column("locked_until", TS, nullable=True),
)

# Files the writer attached to a message of theirs (the letter, a follow-up), checked by content
# and kept in the content-addressed store (kit.files) by hash. At most three per message: slot 1-3
# is part of a unique key, so two uploads at once cannot both take the third place.
letter_attachments = sa.Table(
    "letter_attachments",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("letter_id", sa.String(36), sa.ForeignKey("letters.id", ondelete="CASCADE"), nullable=False),
    sa.Column("seq", sa.Integer(), nullable=False),
    sa.Column("slot", sa.SmallInteger(), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("file_name", sa.String(255), nullable=False),
    sa.Column("media_type", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger(), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.UniqueConstraint("letter_id", "seq", "slot", name="letter_attachments_slot"),
)
