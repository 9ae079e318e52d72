"""What the catalogue publishes. Subjects: catalogue.site.upserted, catalogue.matter.{published,updated,withdrawn}."""

from __future__ import annotations

from govhall.catalogue.model import SiteRecord
from govhall.kit.events import Event, make_event
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb

SITE_UPSERTED = "catalogue.site.upserted"
MATTER_PUBLISHED = "catalogue.matter.published"
MATTER_UPDATED = "catalogue.matter.updated"
MATTER_WITHDRAWN = "catalogue.matter.withdrawn"


def site_message(site: SiteRecord) -> pb.Site:
    return pb.Site(
        code=site.code, name=site.name, level=site.level, parent_code=site.parent_code, path=site.path
    )


def site_upserted(site: SiteRecord) -> Event:
    return make_event(SITE_UPSERTED, pb.SiteUpserted(site=site_message(site)), site.code)


def matter_published(matter: pb.Matter) -> Event:
    return make_event(MATTER_PUBLISHED, pb.MatterPublished(matter=matter), matter.site_code)


def matter_updated(matter: pb.Matter) -> Event:
    return make_event(MATTER_UPDATED, pb.MatterUpdated(matter=matter), matter.site_code)


def matter_withdrawn(matter: pb.Matter) -> Event:
    return make_event(MATTER_WITHDRAWN, pb.MatterWithdrawn(matter=matter), matter.site_code)
