"""Chinese names of the catalogue's enums, as portals, facets and import files spell them.

Search labels its facets with them, the gateway adds them to matters and hits, and the
catalogue's import reads them from files: one spelling for all three. They are part of the
catalogue's public vocabulary, so they live beside its contract, not in the kit (which knows no
service's contract; its `kit.labels` has the generic short names of any enum).
"""

from __future__ import annotations

from govhall.protos.catalogue.v1 import catalogue_pb2 as cat

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
