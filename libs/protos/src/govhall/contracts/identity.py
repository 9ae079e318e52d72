"""The events identity publishes (see `govhall.contracts` for why the registry lives here):
ids, names and levels only, never an ID number or a mobile number."""

from __future__ import annotations

from typing import Final

from govhall.contracts.registry import EventType, Registry
from govhall.protos.identity.v1 import identity_pb2 as pb

USER_REGISTERED: Final = EventType("identity.user.registered", pb.UserRegistered)
USER_VERIFIED: Final = EventType("identity.user.verified", pb.UserVerified)
AGENT_AUTHORISED: Final = EventType("identity.agent.authorised", pb.AgentAuthorised)
AGENT_REVOKED: Final = EventType("identity.agent.revoked", pb.AgentRevoked)

REGISTRY: Final = Registry("identity", [USER_REGISTERED, USER_VERIFIED, AGENT_AUTHORISED, AGENT_REVOKED])
