"""The events the catalogue publishes (see `govhall.contracts` for why the registry lives here).

A draft edit publishes nothing: the public catalogue has not changed. A matter is published
again with every new version; an article is "published" when published or edited while
published.

Every catalogue event is the current state of one entity, keyed by it in the subject
(`catalogue.site.upserted.<site code>`, `catalogue.department.upserted.<department code>`,
`catalogue.matter.published.<matter code>`, `catalogue.article.published.<article id>`, ...):
the catalogue's stream keeps the last message per subject with no age limit
(`govhall.kit.streams`), so it always holds the whole catalogue and a consumer added at any time
builds its copy from it. Subscribe to `EventType.pattern`, never to a hand-written subject.
"""

from __future__ import annotations

from typing import Final

from govhall.contracts.registry import EventType, Registry
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb


def _site(m: pb.SiteUpserted) -> str:
    return m.site.code


def _department(m: pb.DepartmentUpserted) -> str:
    return m.department.code


def _matter(m: pb.MatterPublished | pb.MatterWithdrawn) -> str:
    return m.matter.code


def _article(m: pb.ArticleChanged) -> str:
    return m.article.id


SITE_UPSERTED: Final = EventType("catalogue.site.upserted", pb.SiteUpserted, key_of=_site)
DEPARTMENT_UPSERTED: Final = EventType(
    "catalogue.department.upserted", pb.DepartmentUpserted, key_of=_department
)
MATTER_PUBLISHED: Final = EventType("catalogue.matter.published", pb.MatterPublished, key_of=_matter)
MATTER_WITHDRAWN: Final = EventType("catalogue.matter.withdrawn", pb.MatterWithdrawn, key_of=_matter)
ARTICLE_PUBLISHED: Final = EventType("catalogue.article.published", pb.ArticleChanged, key_of=_article)
ARTICLE_WITHDRAWN: Final = EventType("catalogue.article.withdrawn", pb.ArticleChanged, key_of=_article)

REGISTRY: Final = Registry(
    "catalogue",
    [
        SITE_UPSERTED,
        DEPARTMENT_UPSERTED,
        MATTER_PUBLISHED,
        MATTER_WITHDRAWN,
        ARTICLE_PUBLISHED,
        ARTICLE_WITHDRAWN,
    ],
)
