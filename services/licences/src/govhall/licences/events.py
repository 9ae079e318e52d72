"""Licences' events: what it publishes (subjects and messages in `govhall.contracts.licences`,
built here) and what it consumes (`subscribe`): its copy of the site tree, from the catalogue's
site events. The areas add their consumers (cases' conclusions, for level-A issuance) beside it.

Every licence event is built by `licence_event` from the licence's row as committed in the same
transaction (`uow.emit`); the `notice` is what the consult inbox tells the holder.
"""

from __future__ import annotations

from typing import Any

from govhall import sitecopy
from govhall.contracts import licences as contract
from govhall.kit.events import Event, make_event
from govhall.kit.service import ServiceContext
from govhall.licences.settings import LicencesSettings
from govhall.licences.tables import sites
from govhall.protos.common.v1 import common_pb2
from govhall.protos.licences.v1 import events_pb2 as pb

REGISTRY = contract.REGISTRY
SITE_COPY = "licences-site-copy"
HOLDER_KINDS = {"person": common_pb2.CALLER_KIND_PERSON, "legal_person": common_pb2.CALLER_KIND_LEGAL_PERSON}


async def subscribe(ctx: ServiceContext[LicencesSettings]) -> None:
    await sitecopy.subscribe(ctx, sites, durable=SITE_COPY)


def licence_event(
    name: str, licence: Any, *, type_name: str, from_state: str = "", reason: str = ""
) -> Event:
    """`licences.licence.<name>` for a licence row (the `licences` table's columns, as committed)."""
    kind = HOLDER_KINDS.get(licence.holder_kind, common_pb2.CALLER_KIND_UNSPECIFIED)
    message = pb.LicenceChanged(
        licence_id=licence.id,
        identifier=licence.identifier or "",
        number=licence.number,
        type_code=licence.type_code,
        type_name=type_name,
        level=licence.level,
        from_state=from_state,
        state=licence.state,
        reason=reason,
        holder_kind=kind,
        holder_subject=licence.holder_subject,
        issuer_department_code=licence.issuer_department_code,
        case_id=licence.case_id or "",
        revision=licence.revision,
        notice=common_pb2.UserNotice(
            recipient_kind=kind,
            recipient_subject=licence.holder_subject,
            object_id=licence.id,
            object_number=licence.number,
            title=type_name,
            site_name=licence.issuer_name,
            reason=reason,
        ),
    )
    return make_event(contract.licence(name), message, licence.site_code)
