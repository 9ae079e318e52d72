"""A small catalogue for other services' tests: 湖北省 > 宜昌市 > 西陵区, departments, and published
matters, written through the catalogue's own gRPC API as the platform administrator.

It lives here, beside the catalogue's contract, so every service's tests seed the same world the
same way (the kit may not depend on a service's contract).
"""

from __future__ import annotations

from collections.abc import Iterable

from govhall.kit.caller import caller_metadata
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.common.v1 import common_pb2 as C

ADMIN = C.CallerIdentity(kind=C.CALLER_KIND_ADMIN, subject="admin")
PROVINCE, CITY, COUNTY = "420000", "420500", "420502"
SITES = (
    (PROVINCE, "湖北省", cat.SITE_LEVEL_PROVINCE, ""),
    (CITY, "宜昌市", cat.SITE_LEVEL_CITY, PROVINCE),
    (COUNTY, "西陵区", cat.SITE_LEVEL_COUNTY, CITY),
)


def matter_draft(name: str, department_code: str, **fields: object) -> cat.MatterDraft:
    """A publishable licensing matter for persons and enterprises, 10 working days promised."""
    draft = cat.MatterDraft(
        name=name,
        department_code=department_code,
        audiences=[cat.AUDIENCE_PERSON, cat.AUDIENCE_LEGAL_PERSON],
        type=cat.MATTER_TYPE_LICENSING,
        promised_limit=C.TimeLimit(value=10, unit=C.TIME_LIMIT_UNIT_WORKING_DAY),
        legal_limit=C.TimeLimit(value=20, unit=C.TIME_LIMIT_UNIT_WORKING_DAY),
        online_application=True,
        online_depth=4,
        handling_type=cat.HANDLING_TYPE_PROMISED,
    )
    for key, value in fields.items():
        setattr(draft, key, value)
    return draft


async def seed(
    stub: catalogue_pb2_grpc.CatalogueServiceStub,
    departments: Iterable[tuple[str, str]],
    matters: Iterable[tuple[str, cat.MatterDraft]],
    site: str = COUNTY,
) -> None:
    """The three sites, then `departments` (code, name) and `matters` (code, draft) at `site`,
    each matter published."""
    md = caller_metadata(ADMIN)
    for code, name, level, parent in SITES:
        await stub.UpsertSite(
            cat.UpsertSiteRequest(code=code, name=name, level=level, parent_code=parent), metadata=md
        )
    for code, name in departments:
        await stub.UpsertDepartment(
            cat.UpsertDepartmentRequest(code=code, site_code=site, name=name), metadata=md
        )
    for code, draft in matters:
        await stub.CreateMatter(cat.CreateMatterRequest(code=code, site_code=site, draft=draft), metadata=md)
        await stub.PublishMatter(cat.ChangeMatterStatusRequest(code=code, site_code=site), metadata=md)
