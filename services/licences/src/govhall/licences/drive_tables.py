"""The cloud drive's tables (政务云盘), on licences' metadata.

An item is a folder or a file of one owner (caller kind + subject). Names are unique within a
folder (UNIQUE owner, parent_key, name); the root's parent_key is '' so the constraint holds
there too (NULLs would never collide). `drive_usage` holds each owner's bytes: an upload adds
its size with one conditional UPDATE (`used + size <= quota`), so concurrent uploads can never
pass the quota together. `blob_refs` says which item uses which content hash: the blob sweep
deletes a blob only when no reference is left (and licences' own rows hold none).
"""

from __future__ import annotations

import sqlalchemy as sa

from govhall.licences.tables import TS, metadata

drive_items = sa.Table(
    "drive_items",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("owner_kind", sa.String(16), nullable=False),
    sa.Column("owner_subject", sa.String(64), nullable=False),
    sa.Column("parent_key", sa.String(36), nullable=False, server_default=""),  # '' = root
    sa.Column("kind", sa.String(8), nullable=False),  # folder | file
    sa.Column("name", sa.String(120), nullable=False),
    sa.Column("size", sa.BigInteger(), nullable=False, server_default="0"),
    sa.Column("media_type", sa.String(64), nullable=False, server_default=""),
    sa.Column("sha256", sa.String(64), nullable=True),
    sa.Column("revision", sa.Integer(), nullable=False, server_default="1"),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.UniqueConstraint("owner_kind", "owner_subject", "parent_key", "name", name="drive_items_name"),
)

drive_usage = sa.Table(
    "drive_usage",
    metadata,
    sa.Column("owner_kind", sa.String(16), primary_key=True),
    sa.Column("owner_subject", sa.String(64), primary_key=True),
    sa.Column("used", sa.BigInteger(), nullable=False, server_default="0"),
)

blob_refs = sa.Table(
    "blob_refs",
    metadata,
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("ref", sa.String(48), primary_key=True),  # "drive:<item id>"
    sa.Column("created_at", TS, nullable=False),
)
