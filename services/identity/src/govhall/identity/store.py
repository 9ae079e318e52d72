"""Identity's tables and queries (SQLAlchemy Core), run inside a kit UnitOfWork.

Mobile and ID numbers are stored only encrypted (`*_enc`) with a blind index (`*_idx`) for
lookups; see crypto.py. Uniqueness is per account kind: an official may also be a citizen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from sqlalchemy.ext.asyncio import AsyncConnection

from govhall.identity.model import AccountRow, AuthorisationRow, normalise_username
from govhall.kit.db import UnitOfWork
from govhall.kit.dialect import locked
from govhall.kit.eventstore import add_kit_tables
from govhall.sitecopy import SiteTable, add_site_table

metadata = sa.MetaData()
TS = sa.DateTime(timezone=True)

accounts = sa.Table(
    "accounts",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("kind", sa.SmallInteger(), nullable=False),
    sa.Column("username", sa.String(32), nullable=True, unique=True),
    # The login name as logins compare it (model.normalise_username): "WangWu" and "wangwu" are
    # one name. NULL only for an account whose name collided with an older one when the column
    # was added (migration 0002); it still logs in by its exact name.
    sa.Column("username_norm", sa.String(32), nullable=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("mobile_enc", sa.String(200), nullable=True),
    sa.Column("mobile_idx", sa.String(64), nullable=True),
    sa.Column("id_number_enc", sa.String(200), nullable=True),
    sa.Column("id_number_idx", sa.String(64), nullable=True),
    sa.Column("password_hash", sa.String(200), nullable=True),
    sa.Column("level", sa.SmallInteger(), nullable=False),
    sa.Column("credit_code", sa.String(18), nullable=True, unique=True),
    sa.Column("legal_person_type", sa.SmallInteger(), nullable=False, server_default="0"),
    sa.Column("representative_id", sa.String(36), sa.ForeignKey("accounts.id"), nullable=True, index=True),
    sa.Column("site_code", sa.String(6), nullable=True),
    sa.Column("department_code", sa.String(40), nullable=True),
    sa.Column("roles", sa.String(200), nullable=False, server_default=""),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("updated_at", TS, nullable=False),
    sa.UniqueConstraint("kind", "mobile_idx", name="uq_accounts_kind_mobile"),
    sa.UniqueConstraint("kind", "id_number_idx", name="uq_accounts_kind_id_number"),
    sa.Index("ix_accounts_site", "site_code"),
    sa.Index("uq_accounts_username_norm", "username_norm", unique=True),
)

sessions = sa.Table(
    "sessions",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("account_id", sa.String(36), sa.ForeignKey("accounts.id"), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("expires_at", TS, nullable=False),
    sa.Column("revoked_at", TS, nullable=True),
    sa.Column("revoked_reason", sa.String(40), nullable=True),
    sa.Column("user_agent", sa.String(200), nullable=True),
    # An agent's session for acting as a legal person hangs off the agent's own session: it
    # ends with it, but ending it leaves the agent's own session alone.
    sa.Column("parent_id", sa.String(36), nullable=True),
    sa.Index("ix_sessions_account", "account_id"),
    sa.Index("ix_sessions_parent", "parent_id"),
)

# Refresh tokens rotate: each use marks the row used and adds its successor. A used token
# presented again means it was copied, so the whole session is revoked.
refresh_tokens = sa.Table(
    "refresh_tokens",
    metadata,
    sa.Column("token_hash", sa.String(64), primary_key=True),
    sa.Column("session_id", sa.String(36), sa.ForeignKey("sessions.id"), nullable=False, index=True),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("expires_at", TS, nullable=False),
    sa.Column("used_at", TS, nullable=True),
)

sms_codes = sa.Table(
    "sms_codes",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("mobile_idx", sa.String(64), nullable=False),
    sa.Column("purpose", sa.SmallInteger(), nullable=False),
    sa.Column("code_hash", sa.String(64), nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("expires_at", TS, nullable=False),
    sa.Column("used_at", TS, nullable=True),
    sa.Index("ix_sms_codes_lookup", "mobile_idx", "purpose", "created_at"),
)

addresses = sa.Table(
    "addresses",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("owner_id", sa.String(36), sa.ForeignKey("accounts.id"), nullable=False, index=True),
    sa.Column("recipient", sa.String(60), nullable=False),
    sa.Column("mobile_enc", sa.String(200), nullable=False),
    sa.Column("county_code", sa.String(6), nullable=False),
    sa.Column("detail", sa.String(200), nullable=False),
    sa.Column("postal_code", sa.String(6), nullable=False, server_default=""),
    sa.Column("is_default", sa.Boolean(), nullable=False),
    sa.Column("created_at", TS, nullable=False),
)

agent_authorisations = sa.Table(
    "agent_authorisations",
    metadata,
    sa.Column("id", sa.String(36), primary_key=True),
    sa.Column("legal_person_id", sa.String(36), sa.ForeignKey("accounts.id"), nullable=False, index=True),
    sa.Column("agent_id", sa.String(36), sa.ForeignKey("accounts.id"), nullable=False, index=True),
    sa.Column("scopes", sa.String(400), nullable=False),
    sa.Column("expires_at", TS, nullable=False),
    sa.Column("created_at", TS, nullable=False),
    sa.Column("revoked_at", TS, nullable=True),
)

signing_keys = sa.Table(
    "signing_keys",
    metadata,
    sa.Column("kid", sa.String(40), primary_key=True),
    sa.Column("private_enc", sa.String(400), nullable=False),
    sa.Column("public_x", sa.String(64), nullable=False),
    sa.Column("created_at", TS, nullable=False),
)

site_table = add_site_table(metadata)
sites = SiteTable(site_table)

add_kit_tables(metadata)


def now() -> datetime:
    return datetime.now(UTC)


def as_utc(value: datetime) -> datetime:
    # SQLite hands back naive datetimes; everything stored is UTC.
    if value.tzinfo is None:
        return value.replace(tzinfo=UTC)
    return value


# Accounts -----------------------------------------------------------------------------------


def _account(row: Any) -> AccountRow:
    return AccountRow(
        id=row.id,
        kind=row.kind,
        name=row.name,
        created_at=as_utc(row.created_at),
        username=row.username,
        mobile_enc=row.mobile_enc,
        id_number_enc=row.id_number_enc,
        password_hash=row.password_hash,
        level=row.level,
        credit_code=row.credit_code,
        legal_person_type=row.legal_person_type,
        representative_id=row.representative_id,
        site_code=row.site_code,
        department_code=row.department_code,
        roles=[r for r in row.roles.split(",") if r],
    )


async def _one_account(uow: UnitOfWork, *where: Any, for_update: bool = False) -> AccountRow | None:
    query = sa.select(accounts).where(*where)
    if for_update:
        query = locked(uow, query)
    row = (await uow.conn.execute(query)).first()
    return _account(row) if row else None


# Built once with its parameters bound at execution: a statement built per call cost GetMe a
# tenth of identity's CPU in py-spy (the expression, then its cache key, on every call); this
# one's cache key is computed once and its compiled form comes from the engine's cache.
_ACCOUNT_AND_SESSION = (
    sa.select(
        accounts,
        sessions.c.id.label("session_row_id"),
        sessions.c.expires_at.label("session_expires_at"),
        sessions.c.revoked_at.label("session_revoked_at"),
    )
    .select_from(accounts.outerjoin(sessions, sessions.c.id == sa.bindparam("session_id")))
    .where(accounts.c.id == sa.bindparam("account_id"))
)


async def account_and_session(
    conn: AsyncConnection, account_id: str, session_id: str
) -> tuple[AccountRow, SessionState | None] | None:
    """An account and one session (None: no such session), in one statement; None: no account."""
    result = await conn.execute(_ACCOUNT_AND_SESSION, {"account_id": account_id, "session_id": session_id})
    row = result.first()
    if row is None:
        return None
    session = (
        None
        if row.session_row_id is None
        else SessionState(expires_at=row.session_expires_at, revoked_at=row.session_revoked_at)
    )
    return _account(row), session


@dataclass(frozen=True)
class SessionState:
    """What `sessionstore.session_live` reads of a session."""

    expires_at: datetime
    revoked_at: datetime | None


async def get_account(uow: UnitOfWork, account_id: str, *, for_update: bool = False) -> AccountRow | None:
    return await _one_account(uow, accounts.c.id == account_id, for_update=for_update)


async def find_account(uow: UnitOfWork, kind: int, **match: str) -> AccountRow | None:
    """By exactly one of mobile_idx, id_number_idx or credit_code, within a kind."""
    ((column, value),) = match.items()
    return await _one_account(uow, accounts.c.kind == kind, accounts.c[column] == value)


async def find_by_username(uow: UnitOfWork, kind: int, username: str) -> AccountRow | None:
    """By login name in any case. The few accounts whose name differed only by case from an
    older one's when names became case-insensitive (migration 0002) keep their exact name."""
    leftover = await _one_account(
        uow, accounts.c.kind == kind, accounts.c.username == username, accounts.c.username_norm.is_(None)
    )
    if leftover is not None:
        return leftover
    return await _one_account(
        uow, accounts.c.kind == kind, accounts.c.username_norm == normalise_username(username)
    )


async def username_taken(uow: UnitOfWork, username: str) -> bool:
    found = await uow.conn.scalar(
        sa.select(accounts.c.id).where(accounts.c.username_norm == normalise_username(username)).limit(1)
    )
    return found is not None


async def insert_account(
    uow: UnitOfWork, row: AccountRow, *, mobile_idx: str | None, id_number_idx: str | None
) -> bool:
    """False when the username, mobile, ID number or credit code is already taken."""
    values = {
        "id": row.id,
        "kind": row.kind,
        "username": row.username,
        "username_norm": normalise_username(row.username) if row.username else None,
        "name": row.name,
        "mobile_enc": row.mobile_enc,
        "mobile_idx": mobile_idx,
        "id_number_enc": row.id_number_enc,
        "id_number_idx": id_number_idx,
        "password_hash": row.password_hash,
        "level": row.level,
        "credit_code": row.credit_code,
        "legal_person_type": row.legal_person_type,
        "representative_id": row.representative_id,
        "site_code": row.site_code,
        "department_code": row.department_code,
        "roles": ",".join(row.roles),
        "created_at": row.created_at,
        "updated_at": row.created_at,
    }
    return await _insert_unique(uow, accounts, values)


async def _insert_unique(uow: UnitOfWork, table: sa.Table, values: dict[str, Any]) -> bool:
    # A savepoint keeps the surrounding transaction usable after a unique violation.
    try:
        async with uow.conn.begin_nested():
            await uow.conn.execute(sa.insert(table).values(**values))
    except sa.exc.IntegrityError:
        return False
    return True


async def update_account(uow: UnitOfWork, account_id: str, **values: Any) -> bool:
    """False when a unique column (mobile, ID number) would collide with another account."""
    try:
        async with uow.conn.begin_nested():
            await uow.conn.execute(
                sa.update(accounts).where(accounts.c.id == account_id).values(updated_at=now(), **values)
            )
    except sa.exc.IntegrityError:
        return False
    return True


async def legal_persons_represented(uow: UnitOfWork, person_id: str) -> list[AccountRow]:
    rows = await uow.conn.execute(
        sa.select(accounts).where(accounts.c.representative_id == person_id).order_by(accounts.c.created_at)
    )
    return [_account(r) for r in rows]


async def list_staff(uow: UnitOfWork, site_code: str) -> list[AccountRow]:
    rows = await uow.conn.execute(
        sa.select(accounts)
        .where(accounts.c.kind == 3, accounts.c.site_code == site_code)
        .order_by(accounts.c.username)
    )
    return [_account(r) for r in rows]


# Addresses ----------------------------------------------------------------------------------


async def list_addresses(uow: UnitOfWork, owner_id: str) -> list[Any]:
    rows = await uow.conn.execute(
        sa.select(addresses)
        .where(addresses.c.owner_id == owner_id)
        .order_by(addresses.c.is_default.desc(), addresses.c.created_at)
    )
    return list(rows)


async def get_address(uow: UnitOfWork, address_id: str) -> Any:
    return (await uow.conn.execute(sa.select(addresses).where(addresses.c.id == address_id))).first()


async def save_address(uow: UnitOfWork, values: dict[str, Any], *, new: bool) -> None:
    if values["is_default"]:
        await uow.conn.execute(
            sa.update(addresses).where(addresses.c.owner_id == values["owner_id"]).values(is_default=False)
        )
    if new:
        await uow.conn.execute(sa.insert(addresses).values(created_at=now(), **values))
    else:
        await uow.conn.execute(sa.update(addresses).where(addresses.c.id == values["id"]).values(**values))


async def delete_address(uow: UnitOfWork, address_id: str) -> None:
    await uow.conn.execute(sa.delete(addresses).where(addresses.c.id == address_id))


async def count_addresses(uow: UnitOfWork, owner_id: str) -> int:
    return int(
        await uow.conn.scalar(
            sa.select(sa.func.count()).select_from(addresses).where(addresses.c.owner_id == owner_id)
        )
        or 0
    )


# Agent authorisations ----------------------------------------------------------------------


def _authorisation(row: Any) -> AuthorisationRow:
    return AuthorisationRow(
        id=row.id,
        legal_person_id=row.legal_person_id,
        agent_id=row.agent_id,
        scopes=[s for s in row.scopes.split(",") if s],
        expires_at=as_utc(row.expires_at),
        created_at=as_utc(row.created_at),
        revoked_at=as_utc(row.revoked_at) if row.revoked_at else None,
    )


async def insert_authorisation(uow: UnitOfWork, row: AuthorisationRow) -> None:
    await uow.conn.execute(
        sa.insert(agent_authorisations).values(
            id=row.id,
            legal_person_id=row.legal_person_id,
            agent_id=row.agent_id,
            scopes=",".join(row.scopes),
            expires_at=row.expires_at,
            created_at=row.created_at,
        )
    )


async def get_authorisation(
    uow: UnitOfWork, authorisation_id: str, *, for_update: bool = False
) -> AuthorisationRow | None:
    query = sa.select(agent_authorisations).where(agent_authorisations.c.id == authorisation_id)
    if for_update:
        query = locked(uow, query)
    row = (await uow.conn.execute(query)).first()
    return _authorisation(row) if row else None


async def revoke_authorisation(uow: UnitOfWork, authorisation_id: str, at: datetime) -> None:
    await uow.conn.execute(
        sa.update(agent_authorisations)
        .where(agent_authorisations.c.id == authorisation_id, agent_authorisations.c.revoked_at.is_(None))
        .values(revoked_at=at)
    )


async def authorisations(
    uow: UnitOfWork,
    *,
    legal_person_id: str | None = None,
    agent_id: str | None = None,
    live_at: datetime | None = None,
) -> list[AuthorisationRow]:
    t = agent_authorisations
    query = sa.select(t).order_by(t.c.created_at.desc())
    if legal_person_id:
        query = query.where(t.c.legal_person_id == legal_person_id)
    if agent_id:
        query = query.where(t.c.agent_id == agent_id)
    if live_at is not None:
        query = query.where(t.c.revoked_at.is_(None), t.c.expires_at > live_at)
    return [_authorisation(r) for r in await uow.conn.execute(query)]


async def accounts_by_id(uow: UnitOfWork, ids: list[str]) -> dict[str, AccountRow]:
    if not ids:
        return {}
    rows = await uow.conn.execute(sa.select(accounts).where(accounts.c.id.in_(set(ids))))
    return {r.id: _account(r) for r in rows}
