"""Catalogue tables and queries (SQLAlchemy Core), run inside a kit UnitOfWork.

A matter is one `matters` row and its versions in `matter_versions`. The row holds what belongs
to the matter as a whole (site, revision, which version is latest, published, last published)
and, for browsing, the fields of its listed version (the published one, or the newest when none
is published), with that version's themes, life events and sub-audiences in `matter_tags`. So
browsing a site's 2,000-odd matters filters one table and joins one version per matter.

A version's content is the administrator's MatterDraft stored as serialised protobuf, not JSON:
a full export parses 300,000 of them, and the binary form parses about a hundred times faster.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, TypeVar

import sqlalchemy as sa
from google.protobuf.timestamp_pb2 import Timestamp

from govhall.catalogue import taxonomy
from govhall.catalogue.model import MatterState, SiteRecord, Version
from govhall.kit.db import UnitOfWork
from govhall.kit.dialect import locked, upsert
from govhall.kit.eventstore import add_kit_tables
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb

metadata = sa.MetaData()

sites = sa.Table(
    "sites",
    metadata,
    sa.Column("code", sa.String(6), primary_key=True),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("level", sa.SmallInteger(), nullable=False),
    sa.Column("parent_code", sa.String(6), sa.ForeignKey("sites.code"), nullable=True),
    # Ancestor codes root-first, comma-joined, ending with the site's own.
    sa.Column("path", sa.String(64), nullable=False),
)

departments = sa.Table(
    "departments",
    metadata,
    sa.Column("code", sa.String(40), primary_key=True),
    sa.Column("site_code", sa.String(6), sa.ForeignKey("sites.code"), nullable=False, index=True),
    sa.Column("name", sa.String(200), nullable=False),
)

matters = sa.Table(
    "matters",
    metadata,
    sa.Column("code", sa.String(36), primary_key=True),
    sa.Column("site_code", sa.String(6), sa.ForeignKey("sites.code"), nullable=False),
    # Grows with every change to any version; optimistic concurrency and event order use it.
    sa.Column("revision", sa.BigInteger(), nullable=False),
    sa.Column("latest_version", sa.Integer(), nullable=False),
    sa.Column("published_version", sa.Integer(), nullable=False),  # 0: none
    # The version most recently published, live or withdrawn since (0: never published).
    sa.Column("last_published_version", sa.Integer(), nullable=False),
    sa.Column("listed_version", sa.Integer(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    # The listed version's status and fields, copied here for browsing.
    sa.Column("status", sa.SmallInteger(), nullable=False),
    sa.Column("department_code", sa.String(40), sa.ForeignKey("departments.code"), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("type", sa.SmallInteger(), nullable=False),
    # Audience flags as a small comma list of enum numbers ("1,2"): filterable with LIKE on both back ends.
    sa.Column("audiences", sa.String(16), nullable=False),
    sa.Column("online_application", sa.Boolean(), nullable=False),
    sa.Column("handling_type", sa.SmallInteger(), nullable=False),
    sa.Column("online_depth", sa.SmallInteger(), nullable=False),
    sa.Index("ix_matters_site_status", "site_code", "status"),
    sa.Index("ix_matters_department", "department_code"),
)

matter_versions = sa.Table(
    "matter_versions",
    metadata,
    sa.Column("code", sa.String(36), sa.ForeignKey("matters.code"), primary_key=True),
    sa.Column("version", sa.Integer(), primary_key=True, autoincrement=False),
    sa.Column("status", sa.SmallInteger(), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("department_code", sa.String(40), sa.ForeignKey("departments.code"), nullable=False),
    # The MatterDraft, serialised.
    sa.Column("draft", sa.LargeBinary(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
)

# Themes, life events and sub-audiences of each matter's listed version (kind: taxonomy.KINDS).
# The matter's site is copied here (a matter never moves) so a filter reads only the entries of
# the sites browsed, not every matter of the province with that theme.
matter_tags = sa.Table(
    "matter_tags",
    metadata,
    sa.Column("matter_code", sa.String(36), sa.ForeignKey("matters.code"), primary_key=True),
    sa.Column("kind", sa.String(16), primary_key=True),
    sa.Column("value", sa.String(50), primary_key=True),
    sa.Column("site_code", sa.String(6), nullable=False),
    sa.Index("ix_matter_tags_value", "kind", "value", "site_code", "matter_code"),
)

# Applications per matter, counted from cases.case.submitted (hot services, 热门服务).
matter_applications = sa.Table(
    "matter_applications",
    metadata,
    sa.Column("matter_code", sa.String(36), primary_key=True),
    sa.Column("applications", sa.BigInteger(), nullable=False),
    sa.Column("last_applied_at", sa.DateTime(timezone=True), nullable=False),
)

articles = sa.Table(
    "articles",
    metadata,
    sa.Column("id", sa.String(40), primary_key=True),
    sa.Column("kind", sa.SmallInteger(), nullable=False),
    sa.Column("site_code", sa.String(6), sa.ForeignKey("sites.code"), nullable=False),
    sa.Column("department_code", sa.String(40), sa.ForeignKey("departments.code"), nullable=True),
    sa.Column("matter_code", sa.String(36), sa.ForeignKey("matters.code"), nullable=True),
    sa.Column("title", sa.String(200), nullable=False),
    sa.Column("body", sa.Text(), nullable=False),
    sa.Column("status", sa.SmallInteger(), nullable=False),
    sa.Column("revision", sa.BigInteger(), nullable=False),
    # The publish date shown; the public sees the article from then on. Unset on a draft that
    # will take the moment it is published.
    sa.Column("publish_at", sa.DateTime(timezone=True), nullable=True),
    # Set once, at the first publication: the export carries every article ever published.
    sa.Column("first_published_at", sa.DateTime(timezone=True), nullable=True),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Index("ix_articles_site_status", "site_code", "status", "publish_at"),
    sa.Index("ix_articles_matter", "matter_code"),
)

# Blank forms and samples the site's guides link to (materialfiles.py): small files (at most
# 10 MiB), few per site, kept in the database so the catalogue needs no volume of its own.
material_files = sa.Table(
    "material_files",
    metadata,
    sa.Column("site_code", sa.String(6), sa.ForeignKey("sites.code"), primary_key=True),
    sa.Column("sha256", sa.String(64), primary_key=True),
    sa.Column("file_name", sa.String(120), nullable=False),
    sa.Column("media_type", sa.String(40), nullable=False),
    sa.Column("size", sa.BigInteger(), nullable=False),
    sa.Column("content", sa.LargeBinary(), nullable=False),
    sa.Column("uploaded_by", sa.String(64), nullable=False),
    sa.Column("uploaded_at", sa.DateTime(timezone=True), nullable=False),
)

add_kit_tables(metadata)

# Rows per IN (...) list and per export page: well inside both back ends' parameter limits.
CHUNK = 1_000

T = TypeVar("T")


def chunks(items: Sequence[T], size: int = CHUNK) -> Iterator[Sequence[T]]:
    for start in range(0, len(items), size):
        yield items[start : start + size]


def now() -> datetime:
    return datetime.now(UTC)


def utc(value: datetime | None) -> datetime | None:
    if value is not None and value.tzinfo is None:  # SQLite hands back naive datetimes; we store UTC
        return value.replace(tzinfo=UTC)
    return value


def ts(value: datetime | None, into: Timestamp) -> None:
    value = utc(value)
    if value is not None:
        into.FromDatetime(value)


# Sites and departments ------------------------------------------------------------------------


def _site(row: Any) -> SiteRecord:
    return SiteRecord(row.code, row.name, row.level, row.parent_code or "", row.path.split(","))


async def get_site(uow: UnitOfWork, code: str) -> SiteRecord | None:
    row = (await uow.conn.execute(sa.select(sites).where(sites.c.code == code))).first()
    return _site(row) if row else None


async def save_site(uow: UnitOfWork, site: SiteRecord) -> None:
    values = {
        "name": site.name,
        "level": site.level,
        "parent_code": site.parent_code or None,
        "path": ",".join(site.path),
    }
    updated = await uow.conn.execute(sa.update(sites).where(sites.c.code == site.code).values(**values))
    if updated.rowcount == 0:
        await uow.conn.execute(sa.insert(sites).values(code=site.code, **values))


async def list_sites(uow: UnitOfWork, parent_code: str = "") -> list[SiteRecord]:
    query = sa.select(sites).order_by(sites.c.code)
    if parent_code:
        query = query.where(sites.c.parent_code == parent_code)
    return [_site(r) for r in (await uow.conn.execute(query)).all()]


async def sites_parents_first(uow: UnitOfWork) -> list[SiteRecord]:
    """Every site, each after its parent (province, then cities, then counties)."""
    query = sa.select(sites).order_by(sites.c.level, sites.c.code)
    return [_site(r) for r in (await uow.conn.execute(query)).all()]


async def get_department(uow: UnitOfWork, code: str) -> pb.Department | None:
    row = (await uow.conn.execute(sa.select(departments).where(departments.c.code == code))).first()
    return pb.Department(code=row.code, site_code=row.site_code, name=row.name) if row else None


async def save_department(uow: UnitOfWork, dept: pb.Department) -> None:
    updated = await uow.conn.execute(
        sa.update(departments)
        .where(departments.c.code == dept.code)
        .values(site_code=dept.site_code, name=dept.name)
    )
    if updated.rowcount == 0:
        await uow.conn.execute(
            sa.insert(departments).values(code=dept.code, site_code=dept.site_code, name=dept.name)
        )


async def list_departments(uow: UnitOfWork, site_code: str) -> list[pb.Department]:
    rows = (
        await uow.conn.execute(
            sa.select(departments).where(departments.c.site_code == site_code).order_by(departments.c.code)
        )
    ).all()
    return [pb.Department(code=r.code, site_code=r.site_code, name=r.name) for r in rows]


async def department_names(uow: UnitOfWork, site_code: str) -> dict[str, str]:
    rows = await uow.conn.execute(
        sa.select(departments.c.code, departments.c.name).where(departments.c.site_code == site_code)
    )
    return {r.code: r.name for r in rows}


# Matters: state for changes --------------------------------------------------------------------


def _version(row: Any) -> Version:
    return Version(
        number=row.version,
        status=row.status,
        draft=pb.MatterDraft.FromString(row.draft),
        created_at=utc(row.created_at),  # type: ignore[arg-type]
        updated_at=utc(row.updated_at),  # type: ignore[arg-type]
        published_at=utc(row.published_at),
        ended_at=utc(row.ended_at),
    )


@dataclass(frozen=True)
class LoadedMatter:
    state: MatterState
    # The revision it had when read: a change is written only if it still has it.
    base_revision: int


async def load_states(
    uow: UnitOfWork, codes: Sequence[str], *, for_update: bool = False
) -> dict[str, LoadedMatter]:
    """The matters among codes, with their newest and published versions (row-locked on PostgreSQL)."""
    found: dict[str, LoadedMatter] = {}
    for part in chunks(list(codes)):
        query = sa.select(matters).where(matters.c.code.in_(part))
        if for_update:
            query = locked(uow, query)
        heads = {r.code: r for r in (await uow.conn.execute(query)).all()}
        if not heads:
            continue
        wanted = sa.or_(
            matter_versions.c.version == matters.c.latest_version,
            matter_versions.c.version == matters.c.published_version,
        )
        rows = await uow.conn.execute(
            sa.select(matter_versions)
            .join(matters, matters.c.code == matter_versions.c.code)
            .where(matter_versions.c.code.in_(list(heads)), wanted)
        )
        versions: dict[tuple[str, int], Version] = {(r.code, r.version): _version(r) for r in rows}
        for code, head in heads.items():
            state = MatterState(
                code=code,
                site_code=head.site_code,
                revision=head.revision,
                created_at=utc(head.created_at),  # type: ignore[arg-type]
                updated_at=utc(head.updated_at),  # type: ignore[arg-type]
                latest=versions[(code, head.latest_version)],
                published=versions[(code, head.published_version)] if head.published_version else None,
                last_published=head.last_published_version,
            )
            found[code] = LoadedMatter(state, head.revision)
    return found


async def load_state(uow: UnitOfWork, code: str, *, for_update: bool = False) -> LoadedMatter | None:
    return (await load_states(uow, [code], for_update=for_update)).get(code)


async def existing_codes(uow: UnitOfWork, codes: Sequence[str]) -> dict[str, str]:
    """Which of codes are matters already, with their sites."""
    found: dict[str, str] = {}
    for part in chunks(list(codes)):
        rows = await uow.conn.execute(
            sa.select(matters.c.code, matters.c.site_code).where(matters.c.code.in_(part))
        )
        found.update({r.code: r.site_code for r in rows})
    return found


def _head_values(state: MatterState) -> dict[str, Any]:
    listed = state.listed
    draft = listed.draft
    return {
        "site_code": state.site_code,
        "revision": state.revision,
        "latest_version": state.latest.number,
        "published_version": state.published.number if state.published else 0,
        "last_published_version": state.last_published,
        "listed_version": listed.number,
        "created_at": state.created_at,
        "updated_at": state.updated_at,
        "status": listed.status,
        "department_code": draft.department_code,
        "name": draft.name,
        "type": draft.type,
        "audiences": ",".join(str(a) for a in sorted(draft.audiences)),
        "online_application": draft.online_application,
        "handling_type": draft.handling_type,
        "online_depth": draft.online_depth,
    }


def _version_values(code: str, version: Version) -> dict[str, Any]:
    return {
        "code": code,
        "version": version.number,
        "status": version.status,
        "name": version.draft.name,
        "department_code": version.draft.department_code,
        "draft": version.draft.SerializeToString(),
        "created_at": version.created_at,
        "updated_at": version.updated_at,
        "published_at": version.published_at,
        "ended_at": version.ended_at,
    }


def _tag_rows(state: MatterState) -> list[dict[str, Any]]:
    draft = state.listed.draft
    return [
        {"matter_code": state.code, "kind": kind, "value": value, "site_code": state.site_code}
        for kind in taxonomy.KINDS
        for value in getattr(draft, kind)
    ]


_UPDATE_HEAD = (
    sa.update(matters)
    .where(matters.c.code == sa.bindparam("b_code"))
    .values({c.name: sa.bindparam(f"b_{c.name}") for c in matters.c if c.name != "code"})
)
_UPDATE_VERSION = (
    sa.update(matter_versions)
    .where(
        matter_versions.c.code == sa.bindparam("b_code"),
        matter_versions.c.version == sa.bindparam("b_version"),
    )
    .values(
        {
            c.name: sa.bindparam(f"b_{c.name}")
            for c in matter_versions.c
            if c.name not in ("code", "version", "created_at")
        }
    )
)


def _prefixed(values: dict[str, Any]) -> dict[str, Any]:
    return {f"b_{k}": v for k, v in values.items()}


async def save_states(uow: UnitOfWork, loaded: Iterable[LoadedMatter]) -> bool:
    """Write changed matters: their rows, new and changed versions, and browse tags.

    Returns False when a single matter changed meanwhile (its revision moved on). Many matters
    are written in bulk; the caller holds their rows locked, so none can have moved.
    """
    items = list(loaded)
    conn = uow.conn
    new_heads = [{"code": m.state.code, **_head_values(m.state)} for m in items if m.state.is_new]
    old = [m for m in items if not m.state.is_new]
    if new_heads:
        for part in chunks(new_heads):
            await conn.execute(sa.insert(matters), list(part))
    if len(old) == 1:
        state = old[0].state
        result = await conn.execute(
            sa.update(matters)
            .where(matters.c.code == state.code, matters.c.revision == old[0].base_revision)
            .values(**_head_values(state))
        )
        if result.rowcount != 1:
            return False
    elif old:
        await conn.execute(
            _UPDATE_HEAD, [{"b_code": m.state.code, **_prefixed(_head_values(m.state))} for m in old]
        )

    inserts: list[dict[str, Any]] = []
    updates: list[dict[str, Any]] = []
    for m in items:
        for number, version in m.state.touched.items():
            values = _version_values(m.state.code, version)
            if number in m.state.new_versions:
                inserts.append(values)
            else:
                del values["created_at"]
                updates.append(_prefixed(values))
    for part in chunks(inserts):
        await conn.execute(sa.insert(matter_versions), list(part))
    if updates:
        await conn.execute(_UPDATE_VERSION, updates)

    # Tags follow the listed version; rewrite them only where its content may have changed.
    retag = [m.state for m in items if m.state.listed.number in m.state.touched]
    stale = [s.code for s in retag if not s.is_new]
    for part in chunks(stale):
        await conn.execute(sa.delete(matter_tags).where(matter_tags.c.matter_code.in_(part)))
    tags = [row for s in retag for row in _tag_rows(s)]
    for part in chunks(tags):
        await conn.execute(sa.insert(matter_tags), list(part))
    return True


# Matters: views -----------------------------------------------------------------------------


def matter_message(state: MatterState, version: Version, site: SiteRecord, department_name: str) -> pb.Matter:
    """A version of a matter as the contract shows it."""
    return _message(
        code=state.code,
        site=site,
        revision=state.revision,
        created_at=state.created_at,
        version=version,
        published_version=state.published.number if state.published else 0,
        latest_version=state.latest.number,
        department_name=department_name,
    )


def _message(
    *,
    code: str,
    site: SiteRecord,
    revision: int,
    created_at: datetime | None,
    version: Version,
    published_version: int,
    latest_version: int,
    department_name: str,
) -> pb.Matter:
    matter = pb.Matter(
        code=code,
        site_code=site.code,
        draft=version.draft,
        status=version.status,  # type: ignore[arg-type]
        revision=revision,
        department_name=department_name,
        site_name=site.name,
        version=version.number,
        published_version=published_version,
        latest_version=latest_version,
        site_level=site.level,  # type: ignore[arg-type]
        site_path=site.path,
    )
    ts(created_at, matter.created_at)
    ts(version.updated_at, matter.updated_at)
    ts(version.published_at, matter.published_at)
    return matter


_VIEW_FROM = (
    matters.join(matter_versions, matter_versions.c.code == matters.c.code)
    .join(departments, departments.c.code == matter_versions.c.department_code)
    .join(sites, sites.c.code == matters.c.site_code)
)
_VIEW = sa.select(
    matters.c.code,
    matters.c.site_code,
    matters.c.revision,
    matters.c.created_at.label("matter_created_at"),
    matters.c.published_version,
    matters.c.latest_version,
    matter_versions.c.version,
    matter_versions.c.status,
    matter_versions.c.draft,
    matter_versions.c.created_at,
    matter_versions.c.updated_at,
    matter_versions.c.published_at,
    matter_versions.c.ended_at,
    departments.c.name.label("department_name"),
    sites.c.name.label("site_name"),
    sites.c.level.label("site_level"),
    sites.c.path.label("site_path"),
    sites.c.parent_code.label("site_parent_code"),
).select_from(_VIEW_FROM)


def _view_message(row: Any) -> pb.Matter:
    site = SiteRecord(
        row.site_code, row.site_name, row.site_level, row.site_parent_code or "", row.site_path.split(",")
    )
    return _message(
        code=row.code,
        site=site,
        revision=row.revision,
        created_at=row.matter_created_at,
        version=_version(row),
        published_version=row.published_version,
        latest_version=row.latest_version,
        department_name=row.department_name,
    )


@dataclass(frozen=True)
class MatterHead:
    """What a read needs to decide which version to show, and to whom."""

    code: str
    site_code: str
    latest_version: int
    published_version: int


async def get_head(uow: UnitOfWork, code: str) -> MatterHead | None:
    row = (
        await uow.conn.execute(
            sa.select(
                matters.c.code, matters.c.site_code, matters.c.latest_version, matters.c.published_version
            ).where(matters.c.code == code)
        )
    ).first()
    return MatterHead(row.code, row.site_code, row.latest_version, row.published_version) if row else None


async def get_matter_version(uow: UnitOfWork, code: str, version: int) -> pb.Matter | None:
    query = _VIEW.where(matters.c.code == code, matter_versions.c.version == version)
    row = (await uow.conn.execute(query)).first()
    return _view_message(row) if row else None


async def list_versions(uow: UnitOfWork, code: str) -> list[pb.MatterVersionSummary]:
    rows = await uow.conn.execute(
        sa.select(
            matter_versions.c.version,
            matter_versions.c.status,
            matter_versions.c.name,
            matter_versions.c.created_at,
            matter_versions.c.published_at,
            matter_versions.c.ended_at,
        )
        .where(matter_versions.c.code == code)
        .order_by(matter_versions.c.version.desc())
    )
    out = []
    for r in rows:
        summary = pb.MatterVersionSummary(version=r.version, status=r.status, name=r.name)
        ts(r.created_at, summary.created_at)
        ts(r.published_at, summary.published_at)
        ts(r.ended_at, summary.ended_at)
        out.append(summary)
    return out


def _like(text: str) -> str:
    return "%" + text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _tagged(kind: str, value: str, site_codes: list[str]) -> sa.ColumnElement[bool]:
    return matters.c.code.in_(
        sa.select(matter_tags.c.matter_code).where(
            matter_tags.c.kind == kind,
            matter_tags.c.value == value,
            matter_tags.c.site_code.in_(site_codes),
        )
    )


async def list_matters(
    uow: UnitOfWork,
    request: pb.ListMattersRequest,
    site_codes: list[str],
    status: int,
    page: int,
    size: int,
) -> tuple[list[pb.Matter], int]:
    """A page of matters by their listed version, with the total; ordered by site, then code."""
    cond: list[sa.ColumnElement[bool]] = [matters.c.site_code.in_(site_codes), matters.c.status == status]
    if request.audience:
        cond.append(matters.c.audiences.like(f"%{int(request.audience)}%"))
    if request.type:
        cond.append(matters.c.type == request.type)
    if request.department_code:
        cond.append(matters.c.department_code == request.department_code)
    if request.online_only:
        cond.append(matters.c.online_application.is_(True))
    if request.name_contains:
        cond.append(matters.c.name.like(_like(request.name_contains), escape="\\"))
    if request.handling_type:
        cond.append(matters.c.handling_type == request.handling_type)
    if request.min_online_depth:
        cond.append(matters.c.online_depth >= request.min_online_depth)
    for kind, value in (
        (taxonomy.THEMES, request.theme),
        (taxonomy.LIFE_EVENTS, request.life_event),
        (taxonomy.SUB_AUDIENCES, request.sub_audience),
    ):
        if value:
            cond.append(_tagged(kind, value, site_codes))
    total = await uow.conn.scalar(sa.select(sa.func.count()).select_from(matters).where(*cond))
    rows = (
        await uow.conn.execute(
            _VIEW.where(matter_versions.c.version == matters.c.listed_version, *cond)
            .order_by(matters.c.site_code, matters.c.code)
            .limit(size)
            .offset((page - 1) * size)
        )
    ).all()
    return [_view_message(r) for r in rows], int(total or 0)


async def hot_matters(uow: UnitOfWork, site_codes: list[str], limit: int) -> list[pb.HotMatter]:
    """The most applied-for published matters of these sites."""
    rows = (
        await uow.conn.execute(
            _VIEW.add_columns(matter_applications.c.applications)
            .join(matter_applications, matter_applications.c.matter_code == matters.c.code)
            .where(
                matters.c.site_code.in_(site_codes),
                matters.c.published_version > 0,
                matter_versions.c.version == matters.c.published_version,
            )
            .order_by(matter_applications.c.applications.desc(), matters.c.code)
            .limit(limit)
        )
    ).all()
    return [pb.HotMatter(matter=_view_message(r), applications=r.applications) for r in rows]


async def count_application(uow: UnitOfWork, matter_code: str, at: datetime) -> None:
    """One more application for a matter (an upsert, so concurrent consumers cannot lose one)."""
    t = matter_applications
    statement = upsert(
        uow,
        t,
        {"matter_code": matter_code, "applications": 1, "last_applied_at": at},
        key=["matter_code"],
        update=lambda new: {"applications": t.c.applications + 1, "last_applied_at": new.last_applied_at},
    )
    await uow.conn.execute(statement)


async def count_exported_matters(uow: UnitOfWork) -> int:
    query = sa.select(sa.func.count()).select_from(matters).where(matters.c.last_published_version > 0)
    return int(await uow.conn.scalar(query) or 0)


async def exported_matters(uow: UnitOfWork, after_code: str, limit: int) -> list[pb.Matter]:
    """Matters ever published, by code after after_code: the live version, or the withdrawn one."""
    query = (
        _VIEW.where(
            matters.c.last_published_version > 0,
            matter_versions.c.version == matters.c.last_published_version,
            matters.c.code > after_code,
        )
        .order_by(matters.c.code)
        .limit(limit)
    )
    return [_view_message(r) for r in (await uow.conn.execute(query)).all()]


# Articles -----------------------------------------------------------------------------------


@dataclass
class ArticleRow:
    article: pb.Article
    first_published_at: datetime | None
    publish_at: datetime | None


_ARTICLE_VIEW = sa.select(
    articles,
    sites.c.name.label("site_name"),
    sites.c.level.label("site_level"),
    sites.c.path.label("site_path"),
    departments.c.name.label("department_name"),
).select_from(
    articles.join(sites, sites.c.code == articles.c.site_code).outerjoin(
        departments, departments.c.code == articles.c.department_code
    )
)


def _article(row: Any) -> ArticleRow:
    article = pb.Article(
        id=row.id,
        kind=row.kind,
        site_code=row.site_code,
        site_name=row.site_name,
        site_path=row.site_path.split(","),
        site_level=row.site_level,
        department_code=row.department_code or "",
        department_name=row.department_name or "",
        matter_code=row.matter_code or "",
        title=row.title,
        body=row.body,
        status=row.status,
        revision=row.revision,
    )
    ts(row.publish_at, article.publish_at)
    ts(row.created_at, article.created_at)
    ts(row.updated_at, article.updated_at)
    return ArticleRow(article, utc(row.first_published_at), utc(row.publish_at))


async def get_article(uow: UnitOfWork, article_id: str, *, for_update: bool = False) -> ArticleRow | None:
    query = _ARTICLE_VIEW.where(articles.c.id == article_id)
    if for_update:
        query = locked(uow, query, of=articles)
    row = (await uow.conn.execute(query)).first()
    return _article(row) if row else None


def _article_values(row: ArticleRow) -> dict[str, Any]:
    a = row.article
    return {
        "kind": a.kind,
        "site_code": a.site_code,
        "department_code": a.department_code or None,
        "matter_code": a.matter_code or None,
        "title": a.title,
        "body": a.body,
        "status": a.status,
        "revision": a.revision,
        "publish_at": row.publish_at,
        "first_published_at": row.first_published_at,
        "created_at": a.created_at.ToDatetime(UTC),
        "updated_at": a.updated_at.ToDatetime(UTC),
    }


async def insert_article(uow: UnitOfWork, row: ArticleRow) -> None:
    await uow.conn.execute(sa.insert(articles).values(id=row.article.id, **_article_values(row)))


async def update_article(uow: UnitOfWork, row: ArticleRow, base_revision: int) -> bool:
    result = await uow.conn.execute(
        sa.update(articles)
        .where(articles.c.id == row.article.id, articles.c.revision == base_revision)
        .values(**_article_values(row))
    )
    return result.rowcount == 1


async def list_articles(
    uow: UnitOfWork,
    request: pb.ListArticlesRequest,
    site_codes: list[str],
    status: int,
    due_by: datetime | None,
    page: int,
    size: int,
) -> tuple[list[pb.Article], int]:
    """A page of articles, newest publish date first; due_by hides those published later."""
    cond: list[sa.ColumnElement[bool]] = [articles.c.site_code.in_(site_codes), articles.c.status == status]
    if due_by is not None:
        cond.append(articles.c.publish_at <= due_by)
    if request.kind:
        cond.append(articles.c.kind == request.kind)
    if request.matter_code:
        cond.append(articles.c.matter_code == request.matter_code)
    total = await uow.conn.scalar(sa.select(sa.func.count()).select_from(articles).where(*cond))
    shown = sa.func.coalesce(articles.c.publish_at, articles.c.created_at)
    rows = (
        await uow.conn.execute(
            _ARTICLE_VIEW.where(*cond)
            .order_by(shown.desc(), articles.c.id.desc())
            .limit(size)
            .offset((page - 1) * size)
        )
    ).all()
    return [_article(r).article for r in rows], int(total or 0)


async def count_exported_articles(uow: UnitOfWork) -> int:
    query = sa.select(sa.func.count()).select_from(articles).where(articles.c.first_published_at.is_not(None))
    return int(await uow.conn.scalar(query) or 0)


async def exported_articles(uow: UnitOfWork, after_id: str, limit: int) -> list[pb.Article]:
    query = (
        _ARTICLE_VIEW.where(articles.c.first_published_at.is_not(None), articles.c.id > after_id)
        .order_by(articles.c.id)
        .limit(limit)
    )
    return [_article(r).article for r in (await uow.conn.execute(query)).all()]
