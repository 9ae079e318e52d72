"""identity tables

Revision ID: 0001
Revises:
Create Date: 2026-11-22 23:40:13.125056
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    # The kit's outbox and inbox, frozen as this revision first made them (from the kit's live
    # definitions then). The kit's own history (libs/kit: kit_migrations) now owns them and runs
    # first, so on a fresh database they exist already; run alone, this history still builds them.
    tables = sa.inspect(op.get_bind()).get_table_names()
    if "outbox" not in tables:
        op.create_table(
            "outbox",
            sa.Column(
                "seq",
                sa.BigInteger().with_variant(sa.Integer(), "sqlite"),
                primary_key=True,
                autoincrement=True,
            ),
            sa.Column("event_id", sa.String(36), nullable=False, unique=True),
            sa.Column("subject", sa.String(200), nullable=False),
            sa.Column("payload", sa.LargeBinary(), nullable=False),
            sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
            sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
            sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        )
        op.create_index(
            "ix_outbox_unpublished",
            "outbox",
            ["seq"],
            postgresql_where=sa.text("published_at IS NULL"),
            sqlite_where=sa.text("published_at IS NULL"),
        )
    if "inbox" not in tables:
        op.create_table(
            "inbox",
            sa.Column("consumer", sa.String(100), primary_key=True),
            sa.Column("event_id", sa.String(36), primary_key=True),
            sa.Column("applied_at", sa.DateTime(timezone=True), nullable=False),
        )
    op.create_table(
        "accounts",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.SmallInteger(), nullable=False),
        sa.Column("username", sa.String(length=32), nullable=True),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("mobile_enc", sa.String(length=200), nullable=True),
        sa.Column("mobile_idx", sa.String(length=64), nullable=True),
        sa.Column("id_number_enc", sa.String(length=200), nullable=True),
        sa.Column("id_number_idx", sa.String(length=64), nullable=True),
        sa.Column("password_hash", sa.String(length=200), nullable=True),
        sa.Column("level", sa.SmallInteger(), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=True),
        sa.Column("legal_person_type", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("representative_id", sa.String(length=36), nullable=True),
        sa.Column("site_code", sa.String(length=6), nullable=True),
        sa.Column("department_code", sa.String(length=40), nullable=True),
        sa.Column("roles", sa.String(length=200), server_default="", nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["representative_id"],
            ["accounts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
        sa.UniqueConstraint("credit_code"),
        sa.UniqueConstraint("kind", "id_number_idx", name="uq_accounts_kind_id_number"),
        sa.UniqueConstraint("kind", "mobile_idx", name="uq_accounts_kind_mobile"),
        sa.UniqueConstraint("username"),
    )
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_accounts_representative_id"), ["representative_id"], unique=False
        )
        batch_op.create_index("ix_accounts_site", ["site_code"], unique=False)

    op.create_table(
        "signing_keys",
        sa.Column("kid", sa.String(length=40), nullable=False),
        sa.Column("private_enc", sa.String(length=400), nullable=False),
        sa.Column("public_x", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("kid"),
    )
    op.create_table(
        "sites",
        sa.Column("code", sa.String(length=6), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("level", sa.SmallInteger(), server_default="0", nullable=False),
        sa.Column("path", sa.String(length=64), nullable=False),
        sa.PrimaryKeyConstraint("code"),
    )
    op.create_table(
        "sms_codes",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("mobile_idx", sa.String(length=64), nullable=False),
        sa.Column("purpose", sa.SmallInteger(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sms_codes", schema=None) as batch_op:
        batch_op.create_index("ix_sms_codes_lookup", ["mobile_idx", "purpose", "created_at"], unique=False)

    op.create_table(
        "addresses",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("owner_id", sa.String(length=36), nullable=False),
        sa.Column("recipient", sa.String(length=60), nullable=False),
        sa.Column("mobile_enc", sa.String(length=200), nullable=False),
        sa.Column("county_code", sa.String(length=6), nullable=False),
        sa.Column("detail", sa.String(length=200), nullable=False),
        sa.Column("postal_code", sa.String(length=6), server_default="", nullable=False),
        sa.Column("is_default", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["owner_id"],
            ["accounts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("addresses", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_addresses_owner_id"), ["owner_id"], unique=False)

    op.create_table(
        "agent_authorisations",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("legal_person_id", sa.String(length=36), nullable=False),
        sa.Column("agent_id", sa.String(length=36), nullable=False),
        sa.Column("scopes", sa.String(length=400), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["agent_id"],
            ["accounts.id"],
        ),
        sa.ForeignKeyConstraint(
            ["legal_person_id"],
            ["accounts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("agent_authorisations", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_agent_authorisations_agent_id"), ["agent_id"], unique=False)
        batch_op.create_index(
            batch_op.f("ix_agent_authorisations_legal_person_id"), ["legal_person_id"], unique=False
        )

    op.create_table(
        "sessions",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_reason", sa.String(length=40), nullable=True),
        sa.Column("user_agent", sa.String(length=200), nullable=True),
        sa.ForeignKeyConstraint(
            ["account_id"],
            ["accounts.id"],
        ),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.create_index("ix_sessions_account", ["account_id"], unique=False)

    op.create_table(
        "refresh_tokens",
        sa.Column("token_hash", sa.String(length=64), nullable=False),
        sa.Column("session_id", sa.String(length=36), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
        ),
        sa.PrimaryKeyConstraint("token_hash"),
    )
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_refresh_tokens_session_id"), ["session_id"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("refresh_tokens", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_refresh_tokens_session_id"))

    op.drop_table("refresh_tokens")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_sessions_account")

    op.drop_table("sessions")
    with op.batch_alter_table("agent_authorisations", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_agent_authorisations_legal_person_id"))
        batch_op.drop_index(batch_op.f("ix_agent_authorisations_agent_id"))

    op.drop_table("agent_authorisations")
    with op.batch_alter_table("addresses", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_addresses_owner_id"))

    op.drop_table("addresses")
    with op.batch_alter_table("sms_codes", schema=None) as batch_op:
        batch_op.drop_index("ix_sms_codes_lookup")

    op.drop_table("sms_codes")
    op.drop_table("sites")
    op.drop_table("signing_keys")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index("ix_accounts_site")
        batch_op.drop_index(batch_op.f("ix_accounts_representative_id"))

    op.drop_table("accounts")
    # The outbox and inbox stay: the kit's history owns them now.
