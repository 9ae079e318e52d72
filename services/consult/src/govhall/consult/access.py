"""Who is calling consult, as an owner of letters, evaluations, reports, favourites and messages.

Consult decides every object from the caller identity itself (the gateway's checks in front are
not relied on): an owner is a signed-in person or legal person; staff act on their site's and
department's objects (letters, rectifications, error reports) by role.
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from govhall.kit.caller import current_caller
from govhall.kit.codes import matter_code as matter_code
from govhall.kit.codes import site_code as site_code  # the checks every service shares
from govhall.kit.errors import DomainError, ErrorKind
from govhall.kit.grpcclient import call_options, domain_error
from govhall.kit.paging import paging as paging  # consult's lists page as every service's
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.common.v1 import common_pb2

OWNER_KINDS = {common_pb2.CALLER_KIND_PERSON: "person", common_pb2.CALLER_KIND_LEGAL_PERSON: "legal_person"}
# Consult itself, when it calls the catalogue or identity on its own behalf.
SERVICE_CALLER = common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_SERVICE, subject="consult")


@dataclass(frozen=True)
class Owner:
    kind: str  # person | legal_person
    subject: str


def owner() -> Owner:
    """The signed-in person or legal person calling; anyone else is refused."""
    caller = current_caller()
    kind = OWNER_KINDS.get(caller.kind)
    if kind is not None and caller.subject:
        return Owner(kind, caller.subject)
    if caller.kind in (common_pb2.CALLER_KIND_UNSPECIFIED, common_pb2.CALLER_KIND_ANONYMOUS):
        raise DomainError(
            "SIGN_IN_REQUIRED",
            "sign in as a person or an enterprise first",
            "请先以个人或法人身份登录",
            ErrorKind.UNAUTHENTICATED,
        )
    raise DomainError(
        "OWNER_ONLY",
        "only a person or an enterprise keeps these, not staff or administrators",
        "仅个人或法人用户可使用此功能，工作人员和管理员不可使用",
        ErrorKind.FORBIDDEN,
    )


async def published_matter(
    catalogue: catalogue_pb2_grpc.CatalogueServiceStub, site: str, code: str
) -> cat.Matter:
    """The matter as the catalogue publishes it, seen from `site` (its own or an ancestor's);
    MATTER_NOT_FOUND when it has none published there (favourites, error reports)."""
    try:
        matter = await catalogue.GetMatter(
            cat.GetMatterRequest(site_code=site, code=code), **call_options(SERVICE_CALLER)
        )
    except grpc.aio.AioRpcError as err:
        if err.code() != grpc.StatusCode.NOT_FOUND:
            raise domain_error(err) from None
        matter = None
    if matter is None or matter.status != cat.MATTER_STATUS_PUBLISHED:
        raise DomainError(
            "MATTER_NOT_FOUND",
            "no published matter with this code at this site",
            "该站点没有此事项或事项未发布",
            ErrorKind.NOT_FOUND,
        )
    return matter
