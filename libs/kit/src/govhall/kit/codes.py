"""The codes requests name things by, checked the same way in every service: a malformed one is a
400 naming its field (never a database error or a 404 that hides the typo).

- site codes: six digits (the administrative division codes of GB/T 2260);
- matter codes: the catalogue's shape, 1-36 letters, digits or hyphens, not starting with one;
- object ids: what `kit.ids` makes (32 hex digits, or a uuid's 36 characters).
"""

from __future__ import annotations

import re

from govhall.kit.errors import invalid

SITE_CODE = re.compile(r"^\d{6}$")
MATTER_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]{0,35}$")
OBJECT_ID = re.compile(r"^[0-9A-Za-z-]{1,36}$")


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
    if not OBJECT_ID.match(value or ""):
        raise invalid("ID_INVALID", f"{field} is not a valid id", f"{field} 不是有效的标识", field)
    return value
