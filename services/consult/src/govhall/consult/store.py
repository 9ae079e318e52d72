"""Consult tables and queries (SQLAlchemy Core), run inside a kit UnitOfWork.

The kit's outbox and inbox come from the kit's own migrations (`kit.eventstore`); the tables here
are consult's own. Use-case areas add their tables beside these (letters, evaluations, error
reports, the inbox), each with its own migration.
"""

from __future__ import annotations

import sqlalchemy as sa

from govhall.kit.eventstore import add_kit_tables
from govhall.sitecopy import SiteTable, add_site_table

metadata = sa.MetaData()
add_kit_tables(metadata)

# Consult's copy of the site tree (`govhall.sitecopy`, kept by `sites.subscribe`): which sites
# are below which, for supervisors' scopes and statistics by subtree (`govhall.consult.sites`).
sites = SiteTable(add_site_table(metadata))

# 我的收藏: one row per owner and matter. The owner is the signed-in person or legal person
# (kind and subject); a matter is kept by the site it was found at and its code.
favourites = sa.Table(
    "favourites",
    metadata,
    sa.Column("owner_kind", sa.String(16), primary_key=True),
    sa.Column("owner_subject", sa.String(64), primary_key=True),
    sa.Column("site_code", sa.String(6), primary_key=True),
    sa.Column("matter_code", sa.String(36), primary_key=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("favourites_by_owner_time", "owner_kind", "owner_subject", "created_at"),
)
# Each area's tables, defined on this metadata (imported for that: migrations and tests see them).
from govhall.consult import (  # noqa: E402,F401
    error_report_tables,
    evaluation_tables,
    inbox_tables,
    letters_tables,
)
