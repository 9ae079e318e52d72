"""Queries on what proves who someone is: sessions and their refresh tokens, one-time SMS
codes, and the keys that sign access tokens (the tables are in store.py)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

import sqlalchemy as sa

from govhall.identity.store import as_utc, now, refresh_tokens, sessions, signing_keys, sms_codes
from govhall.kit.db import UnitOfWork

# Sessions and refresh tokens ----------------------------------------------------------------


async def insert_session(
    uow: UnitOfWork,
    session_id: str,
    account_id: str,
    expires_at: datetime,
    user_agent: str,
    parent_id: str | None = None,
) -> None:
    await uow.conn.execute(
        sa.insert(sessions).values(
            id=session_id,
            account_id=account_id,
            created_at=now(),
            expires_at=expires_at,
            user_agent=user_agent[:200] or None,
            parent_id=parent_id,
        )
    )


async def get_session(uow: UnitOfWork, session_id: str) -> Any:
    row = (await uow.conn.execute(sa.select(sessions).where(sessions.c.id == session_id))).first()
    return row


def session_live(row: Any, at: datetime) -> bool:
    return row is not None and row.revoked_at is None and as_utc(row.expires_at) > at


async def revoke_session(uow: UnitOfWork, session_id: str, reason: str) -> list[str]:
    """End a session and the acting sessions opened from it; the ids of every session ended."""
    at = now()
    children = await uow.conn.scalars(
        sa.select(sessions.c.id).where(
            sessions.c.parent_id == session_id, sessions.c.revoked_at.is_(None), sessions.c.expires_at > at
        )
    )
    ids = [session_id, *children]
    await uow.conn.execute(
        sa.update(sessions)
        .where(sessions.c.id.in_(ids), sessions.c.revoked_at.is_(None))
        .values(revoked_at=at, revoked_reason=reason)
    )
    return ids


async def revoke_all_sessions(uow: UnitOfWork, account_id: str, reason: str) -> list[str]:
    at = now()
    live = await uow.conn.scalars(
        sa.select(sessions.c.id).where(
            sessions.c.account_id == account_id, sessions.c.revoked_at.is_(None), sessions.c.expires_at > at
        )
    )
    ids = list(live)
    if ids:
        await uow.conn.execute(
            sa.update(sessions).where(sessions.c.id.in_(ids)).values(revoked_at=at, revoked_reason=reason)
        )
    return ids


async def insert_refresh_token(
    uow: UnitOfWork, token_hash: str, session_id: str, expires_at: datetime
) -> None:
    await uow.conn.execute(
        sa.insert(refresh_tokens).values(
            token_hash=token_hash, session_id=session_id, created_at=now(), expires_at=expires_at
        )
    )


async def get_refresh_token(uow: UnitOfWork, token_hash: str) -> Any:
    return (
        await uow.conn.execute(sa.select(refresh_tokens).where(refresh_tokens.c.token_hash == token_hash))
    ).first()


async def use_refresh_token(uow: UnitOfWork, token_hash: str) -> bool:
    """Mark used; False if someone else used it first (a concurrent refresh with a copied token)."""
    result = await uow.conn.execute(
        sa.update(refresh_tokens)
        .where(refresh_tokens.c.token_hash == token_hash, refresh_tokens.c.used_at.is_(None))
        .values(used_at=now())
    )
    return result.rowcount == 1


# SMS codes ----------------------------------------------------------------------------------


async def insert_sms_code(
    uow: UnitOfWork, code_id: str, mobile_idx: str, purpose: int, code_hash: str, expires_at: datetime
) -> None:
    await uow.conn.execute(
        sa.insert(sms_codes).values(
            id=code_id,
            mobile_idx=mobile_idx,
            purpose=purpose,
            code_hash=code_hash,
            created_at=now(),
            expires_at=expires_at,
        )
    )


async def latest_sms_code(uow: UnitOfWork, mobile_idx: str, purpose: int) -> Any:
    """The newest code sent for this number and purpose: sending a new one voids the older."""
    return (
        await uow.conn.execute(
            sa.select(sms_codes)
            .where(sms_codes.c.mobile_idx == mobile_idx, sms_codes.c.purpose == purpose)
            .order_by(sms_codes.c.created_at.desc(), sms_codes.c.id.desc())
            .limit(1)
        )
    ).first()


async def use_sms_code(uow: UnitOfWork, code_id: str) -> bool:
    result = await uow.conn.execute(
        sa.update(sms_codes)
        .where(sms_codes.c.id == code_id, sms_codes.c.used_at.is_(None))
        .values(used_at=now())
    )
    return result.rowcount == 1


def code_expired(row: Any, at: datetime) -> bool:
    return as_utc(row.expires_at) <= at


# Signing keys -------------------------------------------------------------------------------


async def insert_signing_key(
    uow: UnitOfWork, kid: str, private_enc: str, public_x: str, created_at: datetime
) -> None:
    await uow.conn.execute(
        sa.insert(signing_keys).values(
            kid=kid, private_enc=private_enc, public_x=public_x, created_at=created_at
        )
    )


async def verifying_keys(uow: UnitOfWork, since: datetime) -> list[Any]:
    """Keys newest first. The newest signs; an older one still verifies while a token it
    signed can be alive, i.e. until `since` (now minus the token lifetime) passes the moment
    its successor took over."""
    rows = list(await uow.conn.execute(sa.select(signing_keys).order_by(signing_keys.c.created_at.desc())))
    return [row for i, row in enumerate(rows) if i == 0 or as_utc(rows[i - 1].created_at) >= since]
