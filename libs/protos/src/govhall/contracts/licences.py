"""The events licences publishes (see `govhall.contracts` for why the registry lives here).

Every `licences.licence.*` subject carries one `LicenceChanged` with the licence's revision
(consumers apply one licence's changes in order), its holder, and the `common.v1.UserNotice` the
consult inbox turns into a message without calling licences back. Subjects say what happened;
the streams keep them 14 days (`kit.streams`).

- issued: a level-A licence issued on a case concluded approved (exactly once per case);
- imported: a level-B record loaded from an authority's file;
- suspended, reinstated, revoked: by the issuing department, with a reason;
- expired: its validity ended (the expiry sweep, once).
"""

from __future__ import annotations

from typing import Final

from govhall.contracts.registry import EventType, Registry
from govhall.protos.licences.v1 import events_pb2 as pb

LICENCE_PREFIX: Final = "licences.licence."

LICENCE_SUBJECTS: Final = [
    EventType(LICENCE_PREFIX + name, pb.LicenceChanged)
    for name in "issued imported suspended reinstated revoked expired".split()
]

REGISTRY: Final = Registry("licences", LICENCE_SUBJECTS)


def licence(name: str) -> EventType[pb.LicenceChanged]:
    """The subject `licences.licence.<name>` (KeyError for one not declared)."""
    return REGISTRY[LICENCE_PREFIX + name]
