"""The events the catalogue publishes (see `govhall.contracts` for why the registry lives here).

A draft edit publishes nothing: the public catalogue has not changed. A matter is published
again with every new version; an article is "published" when published or edited while
published.
"""

from __future__ import annotations

from typing import Final

from govhall.contracts.registry import EventType, Registry
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb

SITE_UPSERTED: Final = EventType("catalogue.site.upserted", pb.SiteUpserted)
DEPARTMENT_UPSERTED: Final = EventType("catalogue.department.upserted", pb.DepartmentUpserted)
MATTER_PUBLISHED: Final = EventType("catalogue.matter.published", pb.MatterPublished)
MATTER_WITHDRAWN: Final = EventType("catalogue.matter.withdrawn", pb.MatterWithdrawn)
ARTICLE_PUBLISHED: Final = EventType("catalogue.article.published", pb.ArticleChanged)
ARTICLE_WITHDRAWN: Final = EventType("catalogue.article.withdrawn", pb.ArticleChanged)

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
