"""Appointments' events: what it publishes (subjects and messages in
`govhall.contracts.appointments`, built with `kit.events.make_event`) and what it consumes
(`subscribe`): its copy of the site tree, from the catalogue's site events.
"""

from __future__ import annotations

from govhall import sitecopy
from govhall.appointments.settings import AppointmentsSettings
from govhall.appointments.tables import sites
from govhall.contracts import appointments as contract
from govhall.kit.service import ServiceContext

REGISTRY = contract.REGISTRY
SITE_COPY = "appointments-site-copy"


async def subscribe(ctx: ServiceContext[AppointmentsSettings]) -> None:
    await sitecopy.subscribe(ctx, sites, durable=SITE_COPY)
