"""Consult's Prometheus metrics (issue 18's metric contract): letters by kind and state and the
open ones past their deadline, refreshed by the letters' clock sweep (not per request), and the
evaluations received by grade."""

from __future__ import annotations

import datetime as dt

import sqlalchemy as sa
from prometheus_client import Counter, Gauge

from govhall.consult import letters_store as ls
from govhall.consult.letters_tables import letters
from govhall.kit.db import Database

LETTERS = Gauge(
    "govhall_consult_letters",
    "Letters (consultations, complaints, suggestions) by kind and state",
    ["kind", "state"],
)
LETTERS_OVERDUE = Gauge("govhall_consult_letters_overdue", "Open letters past their reply deadline", ["kind"])
EVALUATIONS = Counter(
    "govhall_consult_evaluations_total",
    "Evaluations received, by grade (1 very satisfied .. 5 very dissatisfied)",
    ["grade"],
)


async def refresh_letters(db: Database, today: dt.date) -> None:
    c = letters.c
    async with db.reader() as uow:
        by = {
            (k, s): int(n)
            for k, s, n in await uow.conn.execute(
                sa.select(c.kind, c.state, sa.func.count()).group_by(c.kind, c.state)
            )
        }
        late = {
            k: int(n)
            for k, n in await uow.conn.execute(
                sa.select(c.kind, sa.func.count())
                .where(c.state.in_(ls.OPEN_STATES), c.due_date < today)
                .group_by(c.kind)
            )
        }
    # Every pair of the fixed vocabularies, so a state that empties falls to 0.
    for kind in ls.KINDS.values():
        for state in ls.STATES.values():
            LETTERS.labels(kind, state).set(by.get((kind, state), 0))
        LETTERS_OVERDUE.labels(kind).set(late.get(kind, 0))


def evaluated(level: int) -> None:
    EVALUATIONS.labels(str(level)).inc()
