"""Republish: send identity's current public state through the outbox again.

The identity stream keeps 14 days (`govhall.kit.streams`), so a consumer deployed later (an
inbox naming applicants, a service checking agents from events) would start knowing nobody.
This writes, in chunks of one transaction each, what identity's own changes raise, from the
current rows: per account an `identity.user.registered` (kind, name, a staff member's site)
and, when verified, an `identity.user.verified` (level, name); per agent authorisation an
`identity.agent.authorised`, or `identity.agent.revoked` when revoked, with its current status.
Ids, names, levels and scopes only, as the live events: never an ID number, and no mobile (not
even the masked one a live authorisation event shows its legal person). The running service's
relay publishes them; running it twice does no harm (consumers keep state by id).

    python -m govhall.identity.cli republish
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Final

import sqlalchemy as sa

from govhall.identity import events, store
from govhall.identity.deps import ts
from govhall.identity.model import PERSON, STAFF
from govhall.kit.db import Database
from govhall.kit.events import Event
from govhall.protos.identity.v1 import identity_pb2 as pb

CHUNK: Final = 500


@dataclass
class Republished:
    users: int = 0
    authorisations: int = 0


def _account_events(row: Any) -> list[Event]:
    # As at registration: a person's name is known only once verified (the second event).
    name = "" if row.kind == PERSON else row.name
    out = [events.user_registered(row.id, row.kind, name, row.site_code if row.kind == STAFF else "")]
    if row.level > pb.REAL_NAME_LEVEL_UNVERIFIED:
        out.append(events.user_verified(row.id, row.level, row.name))
    return out


def _authorisation_event(row: Any) -> Event:
    grant = store._authorisation(row)
    view = pb.AgentAuthorisation(
        id=grant.id,
        legal_person_id=grant.legal_person_id,
        legal_person_name=row.legal_person_name,
        agent_id=grant.agent_id,
        agent_name=row.agent_name or "",
        scopes=grant.scopes,
        expires_at=ts(grant.expires_at),
        status=grant.status(store.now()),  # type: ignore[arg-type]
        created_at=ts(grant.created_at),
    )
    if grant.revoked_at:
        view.revoked_at.FromDatetime(grant.revoked_at)
        return events.agent_revoked(view)
    return events.agent_authorised(view)


async def _pages(db: Database, query: Any, key: Any, chunk: int) -> Any:
    after = ""
    while True:
        async with db.reader() as uow:
            rows = (await uow.conn.execute(query.where(key > after).order_by(key).limit(chunk))).all()
        if not rows:
            return
        yield rows
        after = rows[-1].id


async def _emit(db: Database, batch: list[Event]) -> None:
    async with db.uow() as uow:
        for event in batch:
            uow.emit(event)
        await uow.commit()


async def republish(db: Database, chunk: int = CHUNK) -> Republished:
    done = Republished()
    a = store.accounts
    users = sa.select(a.c.id, a.c.kind, a.c.name, a.c.level, a.c.site_code)
    async for rows in _pages(db, users, a.c.id, chunk):
        await _emit(db, [e for row in rows for e in _account_events(row)])
        done.users += len(rows)

    g, lp, agent = store.agent_authorisations, a.alias("lp"), a.alias("agent")
    grants = (
        sa.select(g, lp.c.name.label("legal_person_name"), agent.c.name.label("agent_name"))
        .join(lp, lp.c.id == g.c.legal_person_id)
        .outerjoin(agent, agent.c.id == g.c.agent_id)
    )
    async for rows in _pages(db, grants, g.c.id, chunk):
        await _emit(db, [_authorisation_event(row) for row in rows])
        done.authorisations += len(rows)
    return done
