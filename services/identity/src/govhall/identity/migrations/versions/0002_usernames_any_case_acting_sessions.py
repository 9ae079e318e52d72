"""login names in any case (accounts.username_norm); acting sessions hang off the agent's own

Revision ID: 0002
Revises: 0001
Create Date: 2026-12-04 19:00:00

Backfill: each username's normalised form (lower case). Where two accounts' names differ only by
case, the oldest keeps the name in any case; the younger ones keep logging in by their exact name
(username_norm stays NULL, store.find_by_username falls back to it) and may set a new one. Each
collision is logged with the account ids so an operator can tell the people concerned.
"""

import logging

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

log = logging.getLogger("alembic.runtime.migration")


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("username_norm", sa.String(length=32), nullable=True))
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("parent_id", sa.String(length=36), nullable=True))
        batch_op.create_index("ix_sessions_parent", ["parent_id"], unique=False)

    accounts = sa.table(
        "accounts",
        sa.column("id", sa.String),
        sa.column("username", sa.String),
        sa.column("username_norm", sa.String),
        sa.column("created_at", sa.DateTime),
    )
    bind = op.get_bind()
    rows = bind.execute(
        sa.select(accounts.c.id, accounts.c.username)
        .where(accounts.c.username.is_not(None))
        .order_by(accounts.c.created_at, accounts.c.id)
    ).all()
    owner: dict[str, str] = {}
    for account_id, username in rows:
        norm = username.strip().lower()
        if norm in owner:
            log.warning(
                "username of account %s differs only by case from account %s's: it keeps logging in "
                "by its exact name only",
                account_id,
                owner[norm],
            )
            continue
        owner[norm] = account_id
        bind.execute(sa.update(accounts).where(accounts.c.id == account_id).values(username_norm=norm))

    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.create_index("uq_accounts_username_norm", ["username_norm"], unique=True)


def downgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_index("uq_accounts_username_norm")
        batch_op.drop_column("username_norm")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_index("ix_sessions_parent")
        batch_op.drop_column("parent_id")
