"""Republish: send every case's current state through the outbox again.

The cases stream keeps 14 days (`govhall.kit.streams`: what happened to a case is an event,
not a state to keep for ever), so a consumer deployed later (an inbox, statistics elsewhere)
would start knowing no case. This writes one CaseChanged per case that ever left its draft, on
the subject of the transition that put it in its current state (`cases.case.accepted` for an
accepted case, ...), with `action` "republish" so a consumer can tell a re-send from a new
transition (an inbox shows no notice for it) and the case's own `revision`, so a consumer that
already holds that revision or a newer one drops it (`kit.ordering.newer_only`). Chunks of CHUNK
cases, each its own transaction; the running service's relay publishes them. Running it twice
does no harm.

    python -m govhall.cases republish
"""

from __future__ import annotations

from typing import Final

import sqlalchemy as sa

from govhall.cases import events, views
from govhall.cases.records import record_from_row
from govhall.cases.tables import cases
from govhall.cases.vocabulary import CaseState
from govhall.contracts import cases as contract
from govhall.kit.db import Database
from govhall.kit.events import make_event

CHUNK: Final = 500
ACTION: Final = "republish"

# The subject of the transition that enters each state (a draft was never published).
SUBJECT_OF_STATE: Final = {
    CaseState.SUBMITTED: contract.SUBMITTED,
    CaseState.SUPPLEMENT_REQUESTED: contract.SUPPLEMENT_REQUESTED,
    CaseState.ACCEPTED: contract.ACCEPTED,
    CaseState.NOT_ACCEPTED: contract.NOT_ACCEPTED,
    CaseState.UNDER_REVIEW: contract.STEP_COMPLETED,
    CaseState.SPECIAL_PROCEDURE: contract.SPECIAL_PROCEDURE_STARTED,
    CaseState.CONCLUDED_APPROVED: contract.CONCLUDED,
    CaseState.CONCLUDED_DENIED: contract.CONCLUDED,
    CaseState.TERMINATED: contract.TERMINATED,
    CaseState.WITHDRAWN: contract.WITHDRAWN,
    CaseState.EVALUATED: contract.EVALUATED,
}


async def republish(db: Database, chunk: int = CHUNK) -> int:
    """Write every non-draft case's current state to the outbox; the number written."""
    done, after = 0, ""
    while True:
        async with db.reader() as uow:
            rows = (
                await uow.conn.execute(
                    sa.select(cases)
                    .where(cases.c.id > after, cases.c.state != CaseState.DRAFT.value)
                    .order_by(cases.c.id)
                    .limit(chunk)
                )
            ).all()
        if not rows:
            return done
        async with db.uow() as uow:
            for row in rows:
                rec = record_from_row(row)
                message = events.changed_message(rec, ACTION)
                if rec.case.state is CaseState.CONCLUDED_APPROVED:
                    message.result_name = views.matter_of(rec).draft.result_name
                uow.emit(
                    make_event(
                        SUBJECT_OF_STATE[rec.case.state], message, rec.site_code, ordering_key=rec.case.id
                    )
                )
            await uow.commit()
        done += len(rows)
        after = rows[-1].id
