"""The catalogue's domain: sites, matters, their versions and who may change them. No I/O here.

The rules of a guide's content live in guide.py (re-exported here); this module holds the
version lifecycle: a draft is edited in place, a published version is immutable and an edit
opens the next version, publishing supersedes the previous one, withdrawing ends it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime

from govhall.catalogue.guide import (
    DEPARTMENT_CODE,
    MAX_NAME,
    check_draft,
    default_steps,
    invalid_draft,
    validate_draft,
)
from govhall.kit.errors import DomainError, ErrorKind, FieldError, invalid, invalid_fields
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb
from govhall.protos.common.v1 import common_pb2

__all__ = [
    "MatterState",
    "SiteRecord",
    "Version",
    "check_draft",
    "default_steps",
    "invalid_draft",
    "validate_draft",
]

SITE_CODE = re.compile(r"^\d{6}$")
# 实施编码: up to 36 characters of letters, digits and hyphens.
MATTER_CODE = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]{0,35}$")

LEVEL_NAMES = {
    pb.SITE_LEVEL_PROVINCE: ("province", "省级"),
    pb.SITE_LEVEL_CITY: ("city", "市级"),
    pb.SITE_LEVEL_COUNTY: ("county", "县级"),
}


def check_site_code(code: str, field: str = "site_code") -> str:
    if not SITE_CODE.match(code or ""):
        raise invalid(
            "SITE_CODE_INVALID",
            f"site code must be a 6-digit administrative division code, got {code!r}",
            "站点编码应为6位行政区划代码",
            field,
        )
    return code


def check_matter_code(code: str) -> str:
    if not MATTER_CODE.match(code or ""):
        raise invalid(
            "MATTER_CODE_INVALID",
            "matter code must be 1-36 letters, digits or hyphens",
            "事项编码应为1至36位字母、数字或连字符",
            "code",
        )
    return code


def check_department_code(code: str) -> str:
    if not DEPARTMENT_CODE.match(code or ""):
        raise invalid(
            "DEPARTMENT_CODE_INVALID",
            "department code must be 1-40 letters, digits or hyphens",
            "部门编码应为1至40位字母、数字或连字符",
            "department_code",
        )
    return code


def check_name(name: str, field: str = "name") -> str:
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise invalid(
            "NAME_INVALID",
            f"{field} must be 1-{MAX_NAME} characters",
            f"名称不能为空且不超过{MAX_NAME}个字",
            field,
        )
    return name


def site_path(level: int, parent: SiteRecord | None, code: str) -> list[str]:
    """Where a site sits in the tree; a province has no parent, a city a province, a county a city."""
    if level not in LEVEL_NAMES:
        raise invalid(
            "SITE_LEVEL_INVALID", "site level must be province, city or county", "站点层级无效", "level"
        )
    if level == pb.SITE_LEVEL_PROVINCE:
        if parent is not None:
            raise invalid(
                "SITE_PARENT_INVALID",
                "a province has no parent site",
                "省级站点不应有上级站点",
                "parent_code",
            )
        return [code]
    if parent is None:
        raise invalid(
            "SITE_PARENT_REQUIRED",
            "a city or county needs an existing parent site",
            "市、县级站点须指定已存在的上级站点",
            "parent_code",
        )
    if parent.level != level - 1:
        raise invalid(
            "SITE_PARENT_LEVEL",
            "a city's parent must be a province and a county's parent a city",
            "市级站点的上级应为省级，县级站点的上级应为市级",
            "parent_code",
        )
    return [*parent.path, code]


@dataclass(frozen=True)
class SiteRecord:
    code: str
    name: str
    level: int
    parent_code: str
    path: list[str]


@dataclass
class Version:
    """One version of a matter's guide."""

    number: int
    status: int  # pb.MatterStatus
    draft: pb.MatterDraft
    created_at: datetime
    updated_at: datetime
    published_at: datetime | None = None
    # When it stopped being the published one (superseded or withdrawn).
    ended_at: datetime | None = None


@dataclass
class MatterState:
    """A matter with the versions a change can touch: the newest and the published one.

    The transitions below change it in place and note which versions the store must insert
    (`new_versions`) or rewrite (`touched`); `is_new` says the matter itself is new.
    """

    code: str
    site_code: str
    revision: int
    created_at: datetime
    updated_at: datetime
    latest: Version
    published: Version | None
    # The version most recently published, live or withdrawn since (0: never published).
    last_published: int
    is_new: bool = False
    new_versions: set[int] = field(default_factory=set)
    touched: dict[int, Version] = field(default_factory=dict)

    @property
    def listed(self) -> Version:
        """The version browsing describes: the published one, or the newest when none is."""
        return self.published or self.latest

    def _touch(self, version: Version, now: datetime) -> None:
        version.updated_at = now
        self.touched[version.number] = version

    def _bump(self, now: datetime) -> None:
        self.revision += 1
        self.updated_at = now


def new_matter(code: str, site_code: str, draft: pb.MatterDraft, now: datetime) -> MatterState:
    """Version 1, a draft."""
    first = Version(1, pb.MATTER_STATUS_DRAFT, draft, now, now)
    state = MatterState(code, site_code, 1, now, now, first, None, 0, is_new=True)
    state.new_versions.add(1)
    state.touched[1] = first
    return state


def edit_matter(state: MatterState, draft: pb.MatterDraft, now: datetime) -> Version:
    """Edit the open draft in place, or open the next version as a draft (a published guide is immutable)."""
    latest = state.latest
    if latest.status == pb.MATTER_STATUS_DRAFT:
        latest.draft = draft
        state._touch(latest, now)
    else:
        latest = Version(latest.number + 1, pb.MATTER_STATUS_DRAFT, draft, now, now)
        state.latest = latest
        state.new_versions.add(latest.number)
        state.touched[latest.number] = latest
    state._bump(now)
    return latest


def publish_matter(state: MatterState, now: datetime) -> Version:
    """Publish the newest draft (superseding the published version) or a withdrawn matter again."""
    latest = state.latest
    if latest.status not in (pb.MATTER_STATUS_DRAFT, pb.MATTER_STATUS_WITHDRAWN):
        raise not_in_state(
            "publish",
            "its newest version is already published; edit it to open a new version",
            "最新版本已发布，修改后形成新版本再发布",
        )
    previous = state.published
    if previous is not None and previous is not latest:
        previous.status = pb.MATTER_STATUS_SUPERSEDED
        previous.ended_at = now
        state._touch(previous, now)
    latest.status = pb.MATTER_STATUS_PUBLISHED
    latest.published_at = now
    latest.ended_at = None
    state._touch(latest, now)
    state.published = latest
    state.last_published = latest.number
    state._bump(now)
    return latest


def withdraw_matter(state: MatterState, now: datetime) -> Version:
    """Take the published version off the public catalogue; a newer draft stays a draft."""
    published = state.published
    if published is None:
        raise not_in_state("withdraw", "no version of it is published", "事项没有已发布的版本")
    published.status = pb.MATTER_STATUS_WITHDRAWN
    published.ended_at = now
    state._touch(published, now)
    state.published = None
    state._bump(now)
    return published


def not_in_state(action: str, en: str, zh: str) -> DomainError:
    action_zh = "发布" if action == "publish" else "撤回"
    return DomainError(
        "MATTER_NOT_IN_STATE",
        f"cannot {action} the matter: {en}",
        f"不能{action_zh}：{zh}",
        ErrorKind.WRONG_STATE,
    )


def may_read_version(status: int, administers: bool) -> bool:
    """Any version that was ever published is public (cases cite it); drafts are their administrators'."""
    return status != pb.MATTER_STATUS_DRAFT or administers


def may_administer(caller: common_pb2.CallerIdentity, site: SiteRecord) -> bool:
    """Platform admins administer every site; a site admin, their own site and its descendants."""
    if caller.kind == common_pb2.CALLER_KIND_ADMIN:
        return True
    return (
        caller.kind == common_pb2.CALLER_KIND_STAFF
        and "site_admin" in caller.roles
        and caller.site_code in site.path
    )


# Articles (announcements and FAQs) ------------------------------------------------------------

ARTICLE_ID = re.compile(r"^[0-9A-Za-z][0-9A-Za-z-]{0,39}$")
MAX_ARTICLE_TITLE = 200
MAX_ARTICLE_BODY = 50_000
ARTICLE_KINDS = (pb.ARTICLE_KIND_ANNOUNCEMENT, pb.ARTICLE_KIND_FAQ)


def check_article_id(article_id: str) -> str:
    if not ARTICLE_ID.match(article_id or ""):
        raise invalid(
            "ARTICLE_ID_INVALID",
            "article id must be 1-40 letters, digits or hyphens",
            "文章编号应为1至40位字母、数字或连字符",
            "id",
        )
    return article_id


def check_article(request: pb.SaveArticleRequest) -> tuple[str, str]:
    """The title and body, trimmed; raises ARTICLE_INVALID naming every bad field."""
    problems: list[FieldError] = []
    if request.id and not ARTICLE_ID.match(request.id):
        problems.append(
            FieldError(
                "id",
                "article id must be 1-40 letters, digits or hyphens",
                "文章编号应为1至40位字母、数字或连字符",
            )
        )
    if request.kind not in ARTICLE_KINDS:
        problems.append(
            FieldError("kind", "kind must be announcement or FAQ", "请选择文章类型（政策公告或常见问题）")
        )
    title = request.title.strip()
    if not title or len(title) > MAX_ARTICLE_TITLE:
        problems.append(
            FieldError(
                "title",
                f"title must be 1-{MAX_ARTICLE_TITLE} characters",
                f"标题不能为空且不超过{MAX_ARTICLE_TITLE}个字",
            )
        )
    body = request.body.strip()
    if len(body) > MAX_ARTICLE_BODY:
        problems.append(
            FieldError(
                "body",
                f"body must be at most {MAX_ARTICLE_BODY} characters",
                f"正文不能超过{MAX_ARTICLE_BODY}字",
            )
        )
    if problems:
        raise invalid_fields("ARTICLE_INVALID", problems)
    return title, body


_ARTICLE_TRANSITIONS: dict[tuple[str, int], int] = {
    ("publish", pb.ARTICLE_STATUS_DRAFT): pb.ARTICLE_STATUS_PUBLISHED,
    ("publish", pb.ARTICLE_STATUS_WITHDRAWN): pb.ARTICLE_STATUS_PUBLISHED,
    ("withdraw", pb.ARTICLE_STATUS_PUBLISHED): pb.ARTICLE_STATUS_WITHDRAWN,
}
_ARTICLE_STATUS_ZH: dict[int, str] = {
    pb.ARTICLE_STATUS_DRAFT: "草稿",
    pb.ARTICLE_STATUS_PUBLISHED: "已发布",
    pb.ARTICLE_STATUS_WITHDRAWN: "已撤回",
}


def next_article_status(action: str, status: int) -> int:
    target = _ARTICLE_TRANSITIONS.get((action, status))
    if target is None:
        action_zh = "发布" if action == "publish" else "撤回"
        raise DomainError(
            "ARTICLE_NOT_IN_STATE",
            f"cannot {action} an article that is {pb.ArticleStatus.Name(status).removeprefix('ARTICLE_STATUS_').lower()}",  # type: ignore[arg-type]
            f"文章当前状态为“{_ARTICLE_STATUS_ZH.get(status, '未知')}”，不能{action_zh}",
            ErrorKind.WRONG_STATE,
        )
    return target


def article_is_public(status: int, publish_at: datetime | None, now: datetime) -> bool:
    """The public sees a published article from its publish date on."""
    return status == pb.ARTICLE_STATUS_PUBLISHED and publish_at is not None and publish_at <= now


def may_export(caller: common_pb2.CallerIdentity) -> bool:
    """The whole catalogue, drafts' existence included, goes to services and platform admins only."""
    return caller.kind in (common_pb2.CALLER_KIND_ADMIN, common_pb2.CALLER_KIND_SERVICE)
