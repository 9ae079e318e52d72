"""What identity publishes and consumes.

Publishes (subjects and messages declared once in `govhall.contracts.identity`)
identity.user.registered, identity.user.verified, identity.agent.authorised and
identity.agent.revoked: ids, names and levels only, never an ID number or a mobile number.
Consumes the catalogue's site events into its copy of the site tree (addresses, staff scopes).
"""

from __future__ import annotations

from govhall import sitecopy
from govhall.contracts import identity as contract
from govhall.identity import store
from govhall.kit.events import Event, make_event
from govhall.kit.service import ServiceContext
from govhall.protos.identity.v1 import identity_pb2 as pb

USER_REGISTERED = contract.USER_REGISTERED
USER_VERIFIED = contract.USER_VERIFIED
AGENT_AUTHORISED = contract.AGENT_AUTHORISED
AGENT_REVOKED = contract.AGENT_REVOKED

# Not identity-sites any more: that durable filtered the unkeyed catalogue.site.upserted, and a
# durable's filter cannot change in place (kit.bus refuses to subscribe it).
SITES_CONSUMER = "identity-site-copy"


def user_registered(user_id: str, kind: int, name: str, site_code: str = "") -> Event:
    return make_event(USER_REGISTERED, pb.UserRegistered(user_id=user_id, kind=kind, name=name), site_code)  # type: ignore[arg-type]


def user_verified(user_id: str, level: int, name: str) -> Event:
    return make_event(USER_VERIFIED, pb.UserVerified(user_id=user_id, level=level, name=name))  # type: ignore[arg-type]


def agent_authorised(authorisation: pb.AgentAuthorisation) -> Event:
    return make_event(AGENT_AUTHORISED, pb.AgentAuthorised(authorisation=authorisation))


def agent_revoked(authorisation: pb.AgentAuthorisation) -> Event:
    return make_event(AGENT_REVOKED, pb.AgentRevoked(authorisation=authorisation))


async def subscribe(ctx: ServiceContext) -> None:
    await sitecopy.subscribe(ctx, store.sites, durable=SITES_CONSUMER)
