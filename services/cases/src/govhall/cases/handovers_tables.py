"""跨省通办 tables on cases' metadata (store.py imports this module so that they are created with
the rest; migration 0005_handovers creates them in a deployed database).

Receiving side (A): a handover is one `handovers` row (the columns lists filter on, the rest as
JSON), its scanned materials, supplements and the returned result are `handover_files` rows
pointing at content-addressed blobs in cases' file store, and the home province's reports are
`handover_steps`. Home side (B): `case_origins` ties a cross-province case to the handover it
came from; its unique key (sender, handover_id) is what makes a handover sent twice one case.
`handover_messages` holds every partner message id cases has acted on, so a message delivered
again changes nothing.
"""

from __future__ import annotations

import sqlalchemy as sa

from govhall.cases.tables import TS, metadata

handovers = sa.Table(
    "handovers",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("number", sa.String(64), nullable=False, unique=True),
    sa.Column("direction", sa.String(8), nullable=False),
    sa.Column("partner_province", sa.String(6), nullable=False),
    sa.Column("site_code", sa.String(6), nullable=False),
    sa.Column("matter_code", sa.String(64), nullable=False),
    sa.Column("matter_name", sa.String(200), nullable=False),
    sa.Column("state", sa.String(40), nullable=False),
    sa.Column("applicant_subject", sa.String(64), nullable=False),
    sa.Column("applicant_name", sa.String(100), nullable=False),
    # The ID number under cases' FieldCipher; only the mask is ever shown.
    sa.Column("applicant_id_sealed", sa.Text(), nullable=False),
    sa.Column("remote_case_id", sa.String(36), nullable=False),
    sa.Column("remote_case_number", sa.String(64), nullable=False),
    # The home case's revision last applied: a report about an older one changes nothing.
    sa.Column("remote_revision", sa.BigInteger(), nullable=False),
    sa.Column("supplement_seq", sa.Integer(), nullable=False),
    sa.Column("revision", sa.BigInteger(), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    # applicant (masked), form, consent, window, supplement request, result, delivery
    sa.Column("details", sa.Text(), nullable=False),
    sa.Index("ix_handovers_site_state", "site_code", "state", "updated_at"),
    sa.Index("ix_handovers_applicant", "applicant_subject", "updated_at"),
)

handover_files = sa.Table(
    "handover_files",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column(
        "handover_id",
        sa.String(36),
        sa.ForeignKey("handovers.id", ondelete="CASCADE"),
        nullable=False,
        index=True,
    ),
    # material | supplement | result | licence
    sa.Column("kind", sa.String(12), nullable=False),
    sa.Column("supplement_seq", sa.Integer(), nullable=False),
    sa.Column("material_code", sa.String(40), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("file_name", sa.String(200), nullable=False),
    sa.Column("media_type", sa.String(64), nullable=False),
    sa.Column("sha256", sa.String(64), nullable=False),
    sa.Column("size", sa.BigInteger(), nullable=False),
    sa.Column("added_at", TS, nullable=False),
)

handover_steps = sa.Table(
    "handover_steps",
    metadata,
    sa.Column(
        "handover_id", sa.String(36), sa.ForeignKey("handovers.id", ondelete="CASCADE"), primary_key=True
    ),
    sa.Column("seq", sa.Integer(), primary_key=True),
    sa.Column("revision", sa.BigInteger(), nullable=False),
    sa.Column("step", sa.LargeBinary(), nullable=False),  # crossprovince.v1.RemoteStep
)

# Handover numbers (A's number the applicant follows): one counter per site and day.
handover_numbers = sa.Table(
    "handover_numbers",
    metadata,
    sa.Column("site_code", sa.String(6), primary_key=True),
    sa.Column("day", sa.String(8), primary_key=True),
    sa.Column("last", sa.Integer(), nullable=False),
)

handover_messages = sa.Table(
    "handover_messages",
    metadata,
    sa.Column("message_id", sa.String(64), primary_key=True),
    sa.Column("kind", sa.String(32), nullable=False),
    sa.Column("subject_id", sa.String(36), nullable=False),
    sa.Column("at", TS, nullable=False),
)

case_origins = sa.Table(
    "case_origins",
    metadata,
    sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
    sa.Column("sender", sa.String(6), nullable=False),
    sa.Column("handover_id", sa.String(64), nullable=False),
    sa.Column("sealed_id_number", sa.Text(), nullable=False),
    sa.UniqueConstraint("sender", "handover_id", name="uq_case_origins_handover"),
)
