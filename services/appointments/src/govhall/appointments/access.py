"""Who is calling appointments, and the checks every area shares.

Appointments decides every object from the caller identity itself (the gateway's checks in front
are not relied on): a booking is its owner's (a person, or an enterprise booked by its agent);
staff act on the halls of their own site by role; site administrators keep their site's halls.
"""

from __future__ import annotations

import re

from govhall.kit.errors import DomainError, ErrorKind, invalid
from govhall.protos.common.v1 import common_pb2

SITE_CODE = re.compile(r"^\d{6}$")
# The catalogue's matter codes (catalogue.model.MATTER_CODE).
MATTER_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]{0,35}$")
# Ids appointments makes (kit.ids: 32 hex digits, or a uuid's 36 characters).
OBJECT_ID = re.compile(r"^[0-9A-Za-z-]{1,36}$")
# Appointments itself, when it calls the catalogue or identity on its own behalf.
SERVICE_CALLER = common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_SERVICE, subject="appointments")


def site_code(value: str, field: str = "site_code") -> str:
    if not SITE_CODE.match(value or ""):
        raise invalid("SITE_CODE_INVALID", "a site code is six digits", "站点代码应为6位数字", field)
    return value


def matter_code(value: str, field: str = "matter_code") -> str:
    if not MATTER_CODE.match(value or ""):
        raise invalid(
            "MATTER_CODE_INVALID",
            "a matter code is 1-36 letters, digits or hyphens",
            "事项编码应为1至36位字母、数字或连字符",
            field,
        )
    return value


def object_id(value: str, field: str) -> str:
    """An id in a request: malformed is a 400 naming the field (never a database error)."""
    if not OBJECT_ID.match(value or ""):
        raise invalid("ID_INVALID", f"{field} is not a valid id", f"{field} 不是有效的标识", field)
    return value


def hall_not_found() -> DomainError:
    return DomainError("HALL_NOT_FOUND", "no such hall", "办事大厅不存在", ErrorKind.NOT_FOUND)
