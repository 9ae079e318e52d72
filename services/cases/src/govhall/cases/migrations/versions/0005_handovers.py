"""跨省通办: handovers (receiving side) and the origins of cross-province cases (home side)

Receiving side: ``handovers`` with their files, the home province's reported steps and a number
counter per site and day. Home side: ``case_origins`` with the unique key (sender, handover_id)
that makes one case of a handover delivered twice. ``handover_messages``: partner message ids
already acted on.

Revision ID: 0005_handovers
Revises: 0004_licence_grants
Create Date: 2026-12-05 07:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005_handovers"
down_revision = "0004_licence_grants"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "handovers",
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
        sa.Column("applicant_id_sealed", sa.Text(), nullable=False),
        sa.Column("remote_case_id", sa.String(36), nullable=False),
        sa.Column("remote_case_number", sa.String(64), nullable=False),
        sa.Column("remote_revision", sa.BigInteger(), nullable=False),
        sa.Column("supplement_seq", sa.Integer(), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("details", sa.Text(), nullable=False),
    )
    op.create_index("ix_handovers_site_state", "handovers", ["site_code", "state", "updated_at"])
    op.create_index("ix_handovers_applicant", "handovers", ["applicant_subject", "updated_at"])
    op.create_table(
        "handover_files",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column(
            "handover_id", sa.String(36), sa.ForeignKey("handovers.id", ondelete="CASCADE"), nullable=False
        ),
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
    op.create_index("ix_handover_files_handover_id", "handover_files", ["handover_id"])
    op.create_table(
        "handover_steps",
        sa.Column(
            "handover_id", sa.String(36), sa.ForeignKey("handovers.id", ondelete="CASCADE"), primary_key=True
        ),
        sa.Column("seq", sa.Integer(), primary_key=True),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("step", sa.LargeBinary(), nullable=False),
    )
    op.create_table(
        "handover_numbers",
        sa.Column("site_code", sa.String(6), primary_key=True),
        sa.Column("day", sa.String(8), primary_key=True),
        sa.Column("last", sa.Integer(), nullable=False),
    )
    op.create_table(
        "handover_messages",
        sa.Column("message_id", sa.String(64), primary_key=True),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("subject_id", sa.String(36), nullable=False),
        sa.Column("at", TS, nullable=False),
    )
    op.create_table(
        "case_origins",
        sa.Column("case_id", sa.String(36), sa.ForeignKey("cases.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("sender", sa.String(6), nullable=False),
        sa.Column("handover_id", sa.String(64), nullable=False),
        sa.Column("sealed_id_number", sa.Text(), nullable=False),
        sa.UniqueConstraint("sender", "handover_id", name="uq_case_origins_handover"),
    )


def downgrade() -> None:
    for table in (
        "case_origins",
        "handover_messages",
        "handover_numbers",
        "handover_steps",
        "handover_files",
    ):
        op.drop_table(table)
    op.drop_index("ix_handovers_applicant", "handovers")
    op.drop_index("ix_handovers_site_state", "handovers")
    op.drop_table("handovers")
