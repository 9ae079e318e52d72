"""Search's own tables: the copy of the site tree it keeps from catalogue events, each site's
lexicon (its administrators' synonyms and intent words, and the audit of changes to them), and
the kit's inbox."""

from __future__ import annotations

import sqlalchemy as sa

from govhall.kit.eventstore import add_kit_tables
from govhall.sitecopy import SiteTable, add_site_table

metadata = sa.MetaData()

sites = SiteTable(add_site_table(metadata))

# One row per (site, kind, word): the primary key is the unique key, so two administrators
# putting the same word at once leave one row (the second insert fails and is retried as an update).
lexicon_entries = sa.Table(
    "lexicon_entries",
    metadata,
    sa.Column("site_code", sa.String(6), primary_key=True),
    sa.Column("kind", sa.String(10), primary_key=True),
    sa.Column("word", sa.String(20), primary_key=True),
    # JSON array of the terms, in the administrator's order; [] when removed.
    sa.Column("terms", sa.Text(), nullable=False),
    # A built-in word hidden at this site.
    sa.Column("removed", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("revision", sa.Integer(), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    # The administrator's subject (id) and display name; no other personal data.
    sa.Column("updated_by", sa.String(100), nullable=False),
    sa.Column("updated_by_name", sa.String(100), nullable=False, server_default=""),
)

# Append-only: rows are inserted, never updated or deleted. The newest id of a site is also its
# lexicon's version, which replicas compare to know when to reload (site_lexicons.py).
lexicon_changes = sa.Table(
    "lexicon_changes",
    metadata,
    sa.Column(
        "id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True, autoincrement=True
    ),
    sa.Column("site_code", sa.String(6), nullable=False),
    sa.Column("kind", sa.String(10), nullable=False),
    sa.Column("word", sa.String(20), nullable=False),
    sa.Column("change", sa.String(10), nullable=False),
    # JSON of the entry before and after (terms, removed, revision); NULL when absent.
    sa.Column("before", sa.Text(), nullable=True),
    sa.Column("after", sa.Text(), nullable=True),
    sa.Column("changed_by", sa.String(100), nullable=False),
    sa.Column("changed_by_name", sa.String(100), nullable=False, server_default=""),
    sa.Column("changed_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_lexicon_changes_site", "site_code", "id"),
)

add_kit_tables(metadata)
