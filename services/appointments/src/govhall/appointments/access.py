"""Who is calling appointments, and the checks every area shares.

Appointments decides every object from the caller identity itself (the gateway's checks in front
are not relied on): a booking is its owner's (a person, or an enterprise booked by its agent);
staff act on the halls of their own site by role; site administrators keep their site's halls.
"""

from __future__ import annotations

from govhall.kit.codes import matter_code as matter_code
from govhall.kit.codes import object_id as object_id
from govhall.kit.codes import site_code as site_code  # the checks every service shares
from govhall.kit.errors import DomainError, ErrorKind
from govhall.protos.common.v1 import common_pb2

# Appointments itself, when it calls the catalogue or identity on its own behalf.
SERVICE_CALLER = common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_SERVICE, subject="appointments")


def hall_not_found() -> DomainError:
    return DomainError("HALL_NOT_FOUND", "no such hall", "办事大厅不存在", ErrorKind.NOT_FOUND)
