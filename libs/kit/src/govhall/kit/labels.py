"""How enums are spelled outside gRPC: short names for REST values and filters, Chinese labels.

Short names: `MATTER_TYPE_LICENSING` of `MatterType` is "licensing" (the enum's own prefix
dropped, lower case). The gateway maps every enum in and out of REST with them, so a value a
response carries (a facet, a statistics key) is one a filter accepts.

Chinese names of the catalogue's enums, as portals, facets and import files spell them: search
labels its facets with them, the gateway adds them to matters and hits, and the catalogue's
import reads them from files: one spelling for all three.
"""

from __future__ import annotations

import re
from functools import cache

from google.protobuf.descriptor import EnumDescriptor

from govhall.protos.catalogue.v1 import catalogue_pb2 as cat


@cache
def enum_prefix(enum: EnumDescriptor) -> str:
    """MaterialForm -> "MATERIAL_FORM_"; a nested Phase of ReindexProgress -> "PHASE_"."""
    return re.sub(r"(?<!^)(?=[A-Z])", "_", enum.name).upper() + "_"


def enum_name(enum: EnumDescriptor, number: int) -> str | None:
    """The short name of an enum value; None for the zero value (unspecified) and unknown numbers."""
    if number == 0 or number not in enum.values_by_number:
        return None
    return enum.values_by_number[number].name.removeprefix(enum_prefix(enum)).lower()


MATTER_TYPE_LABELS: dict[int, str] = {
    cat.MATTER_TYPE_LICENSING: "行政许可",
    cat.MATTER_TYPE_BENEFIT: "行政给付",
    cat.MATTER_TYPE_CONFIRMATION: "行政确认",
    cat.MATTER_TYPE_ADJUDICATION: "行政裁决",
    cat.MATTER_TYPE_REWARD: "行政奖励",
    cat.MATTER_TYPE_OTHER_POWER: "其他行政权力",
    cat.MATTER_TYPE_PUBLIC_SERVICE: "公共服务",
}
AUDIENCE_LABELS: dict[int, str] = {cat.AUDIENCE_PERSON: "自然人", cat.AUDIENCE_LEGAL_PERSON: "法人"}
SITE_LEVEL_LABELS: dict[int, str] = {
    cat.SITE_LEVEL_PROVINCE: "省级",
    cat.SITE_LEVEL_CITY: "市级",
    cat.SITE_LEVEL_COUNTY: "县级",
}
