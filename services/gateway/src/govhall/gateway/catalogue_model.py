"""What the catalogue routes answer: typed response models and the one mapping onto them.

The shapes follow the protos field by field (protojson.model_of), so the OpenAPI document
shows every body; what a route adds or flattens (a matter's guide beside its metadata, lists
as `items` with a `page`) is declared here, once, and nowhere in the routes.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic import Field

from govhall.contracts.labels import MATTER_TYPE_LABELS as TYPE_LABELS
from govhall.gateway.model import PageOut
from govhall.gateway.protojson import Out, field_type, model_of, out, to_dict
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat


# A dynamic base is beyond mypy (hence the ignores); the fields are the message's.
class SiteOut(model_of(cat.Site.DESCRIPTOR)):  # type: ignore[misc]
    """A site (站点): a province, city or county and its ancestors."""


class DepartmentOut(model_of(cat.Department.DESCRIPTOR)):  # type: ignore[misc]
    """A department of a site."""


class TaxonomyOut(model_of(cat.Taxonomy.DESCRIPTOR)):  # type: ignore[misc]
    """Themes, life events and sub-audiences to browse by."""


class ArticleOut(model_of(cat.Article.DESCRIPTOR)):  # type: ignore[misc]
    """An announcement (政策公告) or FAQ (常见问题)."""


class MaterialFileOut(model_of(cat.MaterialFile.DESCRIPTOR)):  # type: ignore[misc]
    """A blank form (空白表格) or sample (示例样表) a site's guides link to, by its `path`."""


class VersionOut(model_of(cat.ListMatterVersionsResponse.DESCRIPTOR.fields_by_name["versions"].message_type)):  # type: ignore[misc]
    """One version of a matter."""


_GUIDE = {f.name: field_type(f) for f in cat.MatterDraft.DESCRIPTOR.fields if f.name != "form_schema"}
_GUIDE["form_schema"] = (
    dict[str, Any] | str,
    Field(description="申请表单 (JSON Schema); text only when stored so by an older version"),
)
_LABEL = (str, Field(description="事项类型（中文）", examples=["行政许可"]))


_MATTER = model_of(
    cat.Matter.DESCRIPTOR, name="Matter_", drop={"draft"}, add={**_GUIDE, "type_label": _LABEL}
)
_HOT_MATTER = model_of(
    cat.Matter.DESCRIPTOR,
    name="HotMatter_",
    drop={"draft"},
    add={**_GUIDE, "type_label": _LABEL, "applications": (int, Field(description="申办次数"))},
)


class MatterOut(_MATTER):  # type: ignore[misc,valid-type]
    """A matter: the version's metadata and its guide fields side by side (as MatterIn writes them)."""


class HotMatterOut(_HOT_MATTER):  # type: ignore[misc,valid-type]
    """A matter and how often it was applied for (热门服务)."""


class SitesOut(Out):
    items: list[SiteOut]


class DepartmentsOut(Out):
    items: list[DepartmentOut]


class MattersOut(Out):
    items: list[MatterOut]
    page: PageOut


class HotMattersOut(Out):
    items: list[HotMatterOut]


class VersionsOut(Out):
    items: list[VersionOut]


class ArticlesOut(Out):
    items: list[ArticleOut]
    page: PageOut


def _matter_fields(m: cat.Matter) -> dict[str, Any]:
    data = to_dict(m)
    draft = data.pop("draft")
    schema = draft.get("form_schema")
    try:
        draft["form_schema"] = json.loads(schema) if schema else {}
    except ValueError:
        pass  # stored by an older version as text: leave it as text
    return {**data, **draft, "type_label": TYPE_LABELS.get(m.draft.type, "")}


def matter_out(m: cat.Matter) -> MatterOut:
    return MatterOut.model_validate(_matter_fields(m))


def hot_matter_out(h: cat.HotMatter) -> HotMatterOut:
    return HotMatterOut.model_validate({**_matter_fields(h.matter), "applications": h.applications})


def site_out(s: cat.Site) -> SiteOut:
    return out(SiteOut, s)


def department_out(d: cat.Department) -> DepartmentOut:
    return out(DepartmentOut, d)


def article_out(a: cat.Article) -> ArticleOut:
    return out(ArticleOut, a)


def taxonomy_out(t: cat.Taxonomy) -> TaxonomyOut:
    return out(TaxonomyOut, t)


def material_file_out(f: cat.MaterialFile) -> MaterialFileOut:
    return out(MaterialFileOut, f)


def versions_out(reply: cat.ListMatterVersionsResponse) -> VersionsOut:
    return VersionsOut(items=[out(VersionOut, v) for v in reply.versions])
