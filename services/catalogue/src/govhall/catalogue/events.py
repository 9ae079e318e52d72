"""What the catalogue publishes, and what it consumes.

Publishes (subjects and messages declared once in `govhall.contracts.catalogue`):
catalogue.site.upserted, catalogue.department.upserted, catalogue.matter.published (every time a
version is published), catalogue.matter.withdrawn, catalogue.article.published (published, or
edited while published) and catalogue.article.withdrawn. A draft edit publishes nothing: the
public catalogue has not changed.

Consumes: cases.case.submitted (a CaseChanged, or a CaseSubmitted from before events were
typed), counting applications per matter for the hot services list.
"""

from __future__ import annotations

from datetime import UTC

from govhall.catalogue import store
from govhall.catalogue.model import SiteRecord
from govhall.contracts import cases as cases_events
from govhall.contracts import catalogue as contract
from govhall.kit.db import UnitOfWork
from govhall.kit.events import Delivery, Event, decode, make_event
from govhall.protos.cases.v1 import cases_pb2
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb

SITE_UPSERTED = contract.SITE_UPSERTED
DEPARTMENT_UPSERTED = contract.DEPARTMENT_UPSERTED
MATTER_PUBLISHED = contract.MATTER_PUBLISHED
MATTER_WITHDRAWN = contract.MATTER_WITHDRAWN
ARTICLE_PUBLISHED = contract.ARTICLE_PUBLISHED
ARTICLE_WITHDRAWN = contract.ARTICLE_WITHDRAWN

CASE_SUBMITTED = cases_events.SUBMITTED.subject
HOT_MATTERS_CONSUMER = "catalogue-hot-matters"


def site_message(site: SiteRecord) -> pb.Site:
    return pb.Site(
        code=site.code, name=site.name, level=site.level, parent_code=site.parent_code, path=site.path
    )


def site_upserted(site: SiteRecord) -> Event:
    return make_event(SITE_UPSERTED, pb.SiteUpserted(site=site_message(site)), site.code)


def department_upserted(dept: pb.Department) -> Event:
    return make_event(DEPARTMENT_UPSERTED, pb.DepartmentUpserted(department=dept), dept.site_code)


def matter_published(matter: pb.Matter) -> Event:
    return make_event(MATTER_PUBLISHED, pb.MatterPublished(matter=matter), matter.site_code)


def matter_withdrawn(matter: pb.Matter) -> Event:
    return make_event(MATTER_WITHDRAWN, pb.MatterWithdrawn(matter=matter), matter.site_code)


def article_changed(article: pb.Article) -> Event:
    subject = ARTICLE_WITHDRAWN if article.status == pb.ARTICLE_STATUS_WITHDRAWN else ARTICLE_PUBLISHED
    return make_event(subject, pb.ArticleChanged(article=article), article.site_code)


async def apply_case_submitted(uow: UnitOfWork, delivery: Delivery) -> None:
    """Count one application for the case's matter (run once per event id by the kit's inbox)."""
    submitted = decode(delivery, cases_events.REGISTRY, HOT_MATTERS_CONSUMER)
    # A CaseChanged, or a CaseSubmitted from before events were typed: both name the matter.
    if (
        not isinstance(submitted, cases_pb2.CaseChanged | cases_pb2.CaseSubmitted)
        or not submitted.matter_code
    ):
        return
    at = submitted.meta.occurred_at.ToDatetime(UTC) if submitted.meta.HasField("occurred_at") else store.now()
    await store.count_application(uow, submitted.matter_code, at)
