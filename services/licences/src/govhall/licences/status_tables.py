"""Verification's tables: the issuers' status lists and the expiries already announced.

`status_lists` holds one bitstring per (issuer, purpose): purpose `revocation` or `suspension`,
bit `licences.status_index` of the issuer's list set while the licence is revoked / suspended
(status.py argues the design). `licence_expiries` makes the expiry sweep's event once per
licence (its primary key), whatever sweeps overlap.
"""

from __future__ import annotations

import sqlalchemy as sa

from govhall.licences.tables import TS, metadata

status_lists = sa.Table(
    "status_lists",
    metadata,
    sa.Column("issuer_code", sa.String(18), primary_key=True),
    sa.Column("purpose", sa.String(16), primary_key=True),  # revocation | suspension
    sa.Column("bits", sa.LargeBinary(), nullable=False),
    sa.Column("revision", sa.Integer(), nullable=False, server_default="1"),
    sa.Column("updated_at", TS, nullable=False),
)

licence_expiries = sa.Table(
    "licence_expiries",
    metadata,
    sa.Column("licence_id", sa.String(36), sa.ForeignKey("licences.id"), primary_key=True),
    sa.Column("valid_until", sa.Date(), nullable=False),
    sa.Column("swept_at", TS, nullable=False),
)
