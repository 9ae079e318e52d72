"""Level A: a licence issued when a case concludes approved (`cases.case.concluded`, 出证办结).

The durable `licences-issuance` hears cases' conclusions. For a case concluded with result 0
(出证办结) whose matter is linked to a licence type (`type_matters`), it issues exactly one
licence to the case's holder — the applicant, or the enterprise an agent filed for — in the
same transaction as the consumer's inbox row and the `licences.licence.issued` event. Exactly
once: the kit's inbox skips an event id already applied, and `licences.case_id` is UNIQUE, so
two deliveries racing past the inbox check still make one licence (the loser's insert fails, its
transaction rolls back, the bus redelivers it and the inbox or the existing row then skips it).

The licence's place in its issuer's status list is the issuer's next `status_index`
(UNIQUE(issuer_code, status_index): two issues racing for one place make one win and the other
redelivered); the serial is the issue year and that place (never restarting, so it is unique per
issuer whatever the year). The verify code is `secrets.token_urlsafe`, never derived from the
serial. The metadata are the case form's values whose keys are the type's field keys (`forms`:
how licences reads a concluded case's form; None leaves the metadata empty).

The holder's name is the one identity verified, else the applicant name the event or the case
carries; their ID number or credit code is identity's, sealed and masked (`holders`:
holder_identity.py; an unverified person's licence has an empty code; identity unreachable
raises and the conclusion is redelivered). None asks nobody (tests of other parts).
"""

from __future__ import annotations

import datetime as dt
import json
import secrets
from collections.abc import Awaitable, Callable
from typing import Any

import sqlalchemy as sa

from govhall.contracts import cases as cases_contract
from govhall.kit.bus import Handler
from govhall.kit.db import Database, UnitOfWork
from govhall.kit.events import Delivery, decode
from govhall.kit.eventstore import idempotent
from govhall.kit.ids import new_id
from govhall.licences import identifier, rendering
from govhall.licences.case_forms import CaseFacts
from govhall.licences.events import licence_event
from govhall.licences.holder_identity import NOBODY, HolderFacts
from govhall.licences.tables import licence_types, licences, type_matters
from govhall.protos.cases.v1 import cases_pb2

DURABLE = "licences-issuance"
SUBJECT = cases_contract.CONCLUDED.subject
ISSUED_RESULT = 0  # 出证办结 (cases' ResultCode.ISSUED)
CHINA = dt.timezone(dt.timedelta(hours=8))

# A concluded case's form and applicant name, by case id; None when cases no longer has it.
FormReader = Callable[[str], Awaitable[CaseFacts | None]]
# A holder's verified name and sealed, masked code, by holder kind and subject.
HolderReader = Callable[[str, str], Awaitable[HolderFacts]]


def add_years(day: dt.date, years: int) -> dt.date:
    """`years` after `day`, less a day (valid through the eve of the anniversary); 29 Feb → 28 Feb."""
    try:
        end = day.replace(year=day.year + years)
    except ValueError:
        end = day.replace(year=day.year + years, day=28)
    return end - dt.timedelta(days=1)


def metadata_from_form(fields: list[dict[str, Any]], form: dict[str, Any] | None) -> dict[str, str]:
    """The form's top-level values whose keys are the type's field keys, as text."""
    if not form:
        return {}
    found: dict[str, str] = {}
    for field in fields:
        value = form.get(field["key"])
        if value is None or isinstance(value, dict | list):
            continue
        found[field["key"]] = str(value)
    return found


class Issuance:
    def __init__(
        self,
        db: Database,
        renderer: rendering.Renderer | None = None,
        forms: FormReader | None = None,
        holders: HolderReader | None = None,
    ) -> None:
        self.db = db
        self.renderer = renderer
        self.forms = forms
        self.holders = holders

    def handler(self) -> Handler:
        return idempotent(self.db.uow, DURABLE, self.apply)

    async def apply(self, uow: UnitOfWork, delivery: Delivery) -> None:
        message = decode(delivery, cases_contract.REGISTRY, DURABLE)
        if not isinstance(message, cases_pb2.CaseChanged):
            return
        if message.result_code != ISSUED_RESULT or not message.applicant.subject:
            return
        kind = (
            await uow.conn.execute(
                sa.select(licence_types)
                .join(type_matters, type_matters.c.type_code == licence_types.c.code)
                .where(type_matters.c.matter_code == message.matter_code)
            )
        ).first()
        if kind is None:
            return  # the matter's result is not a licence type: nothing to issue
        already = await uow.conn.scalar(sa.select(licences.c.id).where(licences.c.case_id == message.case_id))
        if already is not None:
            return
        await self.issue(uow, message, kind)

    async def issue(self, uow: UnitOfWork, case: cases_pb2.CaseChanged, kind: Any) -> None:
        now = dt.datetime.now(dt.UTC)
        today = now.astimezone(CHINA).date()
        place = (
            await uow.conn.scalar(
                sa.select(sa.func.coalesce(sa.func.max(licences.c.status_index), -1)).where(
                    licences.c.issuer_code == kind.issuer_code
                )
            )
        ) + 1
        serial = identifier.serial(today.year, place + 1)
        fields = json.loads(kind.fields)
        facts = await self.forms(case.case_id) if self.forms is not None else None
        form = facts.form if facts else None
        holder_kind = "legal_person" if case.applicant.kind == "legal_person" else "person"
        holder = await self.holders(holder_kind, case.applicant.subject) if self.holders else NOBODY
        row: dict[str, Any] = {
            "id": new_id(),
            "identifier": identifier.make(kind.code, kind.issuer_code, serial),
            "verify_code": secrets.token_urlsafe(24),
            "level": "A",
            "type_code": kind.code,
            # The licence number (证照编号): the issuer's serial, as people quote it.
            "number": f"{kind.issuer_code[-6:]}{serial}",
            "holder_kind": holder_kind,
            "holder_subject": case.applicant.subject,
            "holder_name": holder.name or case.applicant.name or (facts.applicant_name if facts else ""),
            "holder_code": holder.code_sealed,
            "holder_code_masked": holder.code_masked,
            "issuer_department_code": kind.issuer_department_code,
            "issuer_name": kind.issuer_name,
            "issuer_code": kind.issuer_code,
            "site_code": case.site_code,
            "issued_on": today,
            "valid_until": add_years(today, kind.validity_years) if kind.validity_years > 0 else None,
            "state": "valid",
            "state_reason": "",
            "metadata": json.dumps(metadata_from_form(fields, form), ensure_ascii=False, sort_keys=True),
            "file_hash": None,
            "case_id": case.case_id,
            "status_index": place,
            "revision": 1,
            "created_at": now,
            "updated_at": now,
        }
        if self.renderer is not None:
            row["file_hash"] = await self.renderer.store(row, kind.name, fields)
        await uow.conn.execute(sa.insert(licences).values(**row))
        stored = (await uow.conn.execute(sa.select(licences).where(licences.c.id == row["id"]))).one()
        uow.emit(licence_event("issued", stored, type_name=kind.name))
