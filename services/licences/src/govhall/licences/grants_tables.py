"""Grants' tables: a holder's grant of one licence to one case's handling staff, and every read.

`licence_grants` names the licence, the case and its material, the grantee (the case's handling
department at the case's site, copied from cases when the grant is made), the purpose and the
expiry; `revoked_at` is set once the holder revokes it (rows are kept: the access log refers to
them). `licence_accesses` records each read by staff through a grant (who, when, which grant,
licence or file), for the holder to list.
"""

from __future__ import annotations

import sqlalchemy as sa

from govhall.licences.tables import TS, metadata

licence_grants = sa.Table(
    "licence_grants",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("licence_id", sa.String(36), sa.ForeignKey("licences.id"), nullable=False),
    sa.Column("case_id", sa.String(36), nullable=False),
    sa.Column("material_code", sa.String(40), nullable=False),
    sa.Column("purpose", sa.String(200), nullable=False),
    sa.Column("department_code", sa.String(64), nullable=False),
    sa.Column("site_code", sa.String(6), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("expires_at", TS, nullable=False),
    sa.Column("revoked_at", TS, nullable=True),
    sa.Index("licence_grants_by_licence", "licence_id", "created_at"),
    sa.Index("licence_grants_by_case", "case_id", "licence_id"),
)

licence_accesses = sa.Table(
    "licence_accesses",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("grant_id", sa.String(36), sa.ForeignKey("licence_grants.id"), nullable=False),
    sa.Column("licence_id", sa.String(36), sa.ForeignKey("licences.id"), nullable=False),
    sa.Column("reader_subject", sa.String(64), nullable=False),
    sa.Column("reader_name", sa.String(200), nullable=False),
    sa.Column("department_code", sa.String(64), nullable=False),
    sa.Column("site_code", sa.String(6), nullable=False),
    sa.Column("what", sa.String(16), nullable=False),  # licence | file
    sa.Column("at", TS, nullable=False),
    sa.Index("licence_accesses_by_licence", "licence_id", "at"),
)
