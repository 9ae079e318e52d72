"""Licences tables (SQLAlchemy Core); migrations/ creates them.

A licence type (证照目录) lists its metadata fields as JSON text and the matters whose approved
conclusion issues it (`type_matters`). A licence row is one licence of level A (issued here on a
case: `case_id` UNIQUE, so a redelivered `cases.case.concluded` can never issue a second), B
(imported) or C (the holder's own). `identifier` is the GB/T 36904 identifier with its check
character; `verify_code` the unguessable code the QR carries (never the serial). The holder's ID
or credit code is encrypted (`holder_code`) and kept masked for display. `status_index` is the
licence's place in its issuer's status list (verification reads one bit, not the licence).
Grants, accesses and the cloud drive add their tables beside these.
"""

from __future__ import annotations

import sqlalchemy as sa

from govhall.kit.eventstore import add_kit_tables
from govhall.sitecopy import SiteTable, add_site_table

metadata = sa.MetaData()
add_kit_tables(metadata)
sites = SiteTable(add_site_table(metadata))

TS = sa.DateTime(timezone=True)

licence_types = sa.Table(
    "licence_types",
    metadata,
    sa.Column("code", sa.String(40), primary_key=True),
    sa.Column("name", sa.String(100), nullable=False),
    sa.Column("issuer_department_code", sa.String(64), nullable=False),
    sa.Column("issuer_name", sa.String(200), nullable=False),
    sa.Column("issuer_code", sa.String(18), nullable=False),
    sa.Column("holder_kind", sa.String(16), nullable=False),
    sa.Column("validity_years", sa.Integer(), nullable=False, server_default="0"),
    sa.Column("fields", sa.Text(), nullable=False),  # JSON: [{"key", "label", "required"}]
    sa.Column("holder_maintained", sa.Boolean(), nullable=False, server_default=sa.false()),
    sa.Column("revision", sa.Integer(), nullable=False, server_default="1"),
    sa.Column("updated_at", TS, nullable=False),
)

type_matters = sa.Table(
    "type_matters",
    metadata,
    sa.Column("matter_code", sa.String(36), primary_key=True),
    sa.Column("type_code", sa.String(40), sa.ForeignKey("licence_types.code"), nullable=False),
)

licences = sa.Table(
    "licences",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("identifier", sa.String(120), nullable=True, unique=True),
    sa.Column("verify_code", sa.String(64), nullable=True, unique=True),
    sa.Column("level", sa.String(1), nullable=False),  # A | B | C
    sa.Column("type_code", sa.String(40), sa.ForeignKey("licence_types.code"), nullable=False),
    sa.Column("number", sa.String(100), nullable=False),
    sa.Column("holder_kind", sa.String(16), nullable=False),
    sa.Column("holder_subject", sa.String(64), nullable=False),
    sa.Column("holder_name", sa.String(200), nullable=False),
    sa.Column("holder_code", sa.Text(), nullable=False, server_default=""),  # encrypted
    sa.Column("holder_code_masked", sa.String(32), nullable=False, server_default=""),
    sa.Column("issuer_department_code", sa.String(64), nullable=False, server_default=""),
    sa.Column("issuer_name", sa.String(200), nullable=False, server_default=""),
    sa.Column("issuer_code", sa.String(18), nullable=False, server_default=""),
    sa.Column("site_code", sa.String(6), nullable=False, server_default=""),
    sa.Column("issued_on", sa.Date(), nullable=True),
    sa.Column("valid_until", sa.Date(), nullable=True),
    sa.Column("state", sa.String(16), nullable=False),  # valid | suspended | revoked
    sa.Column("state_reason", sa.String(200), nullable=False, server_default=""),
    sa.Column("metadata", sa.Text(), nullable=False, server_default="{}"),  # JSON
    sa.Column("file_hash", sa.String(64), nullable=True),
    sa.Column("case_id", sa.String(36), nullable=True, unique=True),
    sa.Column("status_index", sa.Integer(), nullable=True),
    sa.Column("revision", sa.Integer(), nullable=False, server_default="1"),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.UniqueConstraint("issuer_code", "status_index", name="licences_status_place"),
    sa.Index("licences_by_holder", "holder_kind", "holder_subject", "created_at"),
    sa.Index("licences_by_type", "type_code"),
)
