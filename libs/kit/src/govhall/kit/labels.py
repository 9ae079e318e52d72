"""How enums are spelled outside gRPC: short names for REST values and filters.

Short names: `MATTER_TYPE_LICENSING` of `MatterType` is "licensing" (the enum's own prefix
dropped, lower case). The gateway maps every enum in and out of REST with them, so a value a
response carries (a facet, a statistics key) is one a filter accepts.

Generic over any enum: the Chinese names of the catalogue's enums are the catalogue's contract
(`govhall.contracts.labels`), not the kit's.
"""

from __future__ import annotations

import re
from functools import cache

from google.protobuf.descriptor import EnumDescriptor


@cache
def enum_prefix(enum: EnumDescriptor) -> str:
    """MaterialForm -> "MATERIAL_FORM_"; a nested Phase of ReindexProgress -> "PHASE_"."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", enum.name).upper() + "_"


def enum_name(enum: EnumDescriptor, number: int) -> str | None:
    """The short name of an enum value; None for the zero value (unspecified) and unknown numbers."""
    if number == 0 or number not in enum.values_by_number:
        return None
    return enum.values_by_number[number].name.removeprefix(enum_prefix(enum)).lower()
