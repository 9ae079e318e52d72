"""Who is calling licences, and the checks every area shares.

Licences decides every object from the caller identity itself (the gateway's checks in front are
not relied on): a licence is its holder's (a person, or an enterprise and its agents with a
licences scope); the issuing department's staff act on the licences it issued; staff of a case
read a licence only through a living grant; platform administrators keep the types.
"""

from __future__ import annotations

import re

from govhall.kit.codes import object_id as object_id  # the checks every service shares
from govhall.kit.errors import DomainError, ErrorKind, invalid
from govhall.protos.common.v1 import common_pb2

# GB/T 36903 licence type codes and the like: letters and digits.
TYPE_CODE = re.compile(r"^[0-9A-Z]{1,40}$")
# Licences itself, when it calls another service on its own behalf.
SERVICE_CALLER = common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_SERVICE, subject="licences")


def type_code(value: str, field: str = "type_code") -> str:
    if not TYPE_CODE.match(value or ""):
        raise invalid(
            "TYPE_CODE_INVALID",
            "a licence type code is 1-40 capital letters or digits",
            "证照类型代码应为1至40位大写字母或数字",
            field,
        )
    return value


def type_not_found() -> DomainError:
    return DomainError(
        "LICENCE_TYPE_NOT_FOUND", "no such licence type", "证照类型不存在", ErrorKind.NOT_FOUND
    )
