"""Catalogue tables and queries (SQLAlchemy Core), run inside a kit UnitOfWork."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from google.protobuf import json_format
from google.protobuf.timestamp_pb2 import Timestamp

from govhall.catalogue.model import SiteRecord
from govhall.kit.db import UnitOfWork
from govhall.kit.outbox import add_kit_tables
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
    sa.Column("department_code", sa.String(40), sa.ForeignKey("departments.code"), nullable=False),
    sa.Column("name", sa.String(200), nullable=False),
    sa.Column("type", sa.SmallInteger(), nullable=False),
    # Audience flags as a small comma list of enum numbers ("1,2"): filterable with LIKE on both back ends.
    sa.Column("audiences", sa.String(16), nullable=False),
    sa.Column("online_application", sa.Boolean(), nullable=False),
    # The whole administrator draft (guide text, limits...) as proto JSON: the source of truth.
    sa.Column("draft", sa.JSON(), nullable=False),
    sa.Column("status", sa.SmallInteger(), nullable=False),
    sa.Column("revision", sa.BigInteger(), nullable=False),
    sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
    sa.Index("ix_matters_site_status", "site_code", "status"),
    sa.Index("ix_matters_department", "department_code"),
)

add_kit_tables(metadata)


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


def _ts(value: datetime | None, into: Any) -> None:
    if value is not None:
        if value.tzinfo is None:  # SQLite hands back naive datetimes; we store UTC
            value = value.replace(tzinfo=UTC)
        into.FromDatetime(value)


_MATTER_VIEW = (
    sa.select(matters, departments.c.name.label("department_name"), sites.c.name.label("site_name"))
    .join(departments, departments.c.code == matters.c.department_code)
    .join(sites, sites.c.code == matters.c.site_code)
)


def _matter(row: Any) -> pb.Matter:
    matter = pb.Matter(
        code=row.code,
        site_code=row.site_code,
        status=row.status,
        revision=row.revision,
        department_name=row.department_name,
        site_name=row.site_name,
    )
    json_format.ParseDict(row.draft, matter.draft)
    _ts(row.created_at, matter.created_at)
    _ts(row.updated_at, matter.updated_at)
    _ts(row.published_at, matter.published_at)
    return matter


async def get_matter(uow: UnitOfWork, code: str, *, for_update: bool = False) -> pb.Matter | None:
    query = _MATTER_VIEW.where(matters.c.code == code)
    if for_update and uow.conn.dialect.name == "postgresql":
        query = query.with_for_update(of=matters)
    row = (await uow.conn.execute(query)).first()
    return _matter(row) if row else None


def _columns(matter: pb.Matter) -> dict[str, Any]:
    draft = matter.draft
    return {
        "site_code": matter.site_code,
        "department_code": draft.department_code,
        "name": draft.name,
        "type": draft.type,
        "audiences": ",".join(str(a) for a in sorted(draft.audiences)),
        "online_application": draft.online_application,
        "draft": json_format.MessageToDict(draft, preserving_proto_field_name=True),
        "status": matter.status,
        "revision": matter.revision,
        "created_at": matter.created_at.ToDatetime(UTC),
        "updated_at": matter.updated_at.ToDatetime(UTC),
        "published_at": matter.published_at.ToDatetime(UTC) if matter.HasField("published_at") else None,
    }


async def insert_matter(uow: UnitOfWork, matter: pb.Matter) -> bool:
    """Insert a new matter; False when the code is taken."""
    exists = await uow.conn.scalar(
        sa.select(sa.func.count()).select_from(matters).where(matters.c.code == matter.code)
    )
    if exists:
        return False
    await uow.conn.execute(sa.insert(matters).values(code=matter.code, **_columns(matter)))
    return True


async def update_matter(uow: UnitOfWork, matter: pb.Matter, previous_revision: int) -> bool:
    """Write a changed matter if nobody changed it meanwhile (optimistic by revision)."""
    result = await uow.conn.execute(
        sa.update(matters)
        .where(matters.c.code == matter.code, matters.c.revision == previous_revision)
        .values(**_columns(matter))
    )
    return result.rowcount == 1


async def list_matters(
    uow: UnitOfWork,
    request: pb.ListMattersRequest,
    site_codes: list[str],
    statuses: list[int],
    page: int,
    size: int,
) -> tuple[list[pb.Matter], int]:
    cond: list[sa.ColumnElement[bool]] = [matters.c.site_code.in_(site_codes), matters.c.status.in_(statuses)]
    if request.audience:
        cond.append(matters.c.audiences.like(f"%{int(request.audience)}%"))
    if request.type:
        cond.append(matters.c.type == request.type)
    if request.department_code:
        cond.append(matters.c.department_code == request.department_code)
    if request.online_only:
        cond.append(matters.c.online_application.is_(True))
    if request.name_contains:
        escaped = request.name_contains.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        cond.append(matters.c.name.like(f"%{escaped}%", escape="\\"))
    total = await uow.conn.scalar(sa.select(sa.func.count()).select_from(matters).where(*cond))
    rows = (
        await uow.conn.execute(
            _MATTER_VIEW.where(*cond)
            .order_by(matters.c.site_code, matters.c.code)
            .limit(size)
            .offset((page - 1) * size)
        )
    ).all()
    return [_matter(r) for r in rows], int(total or 0)


def now_ts() -> Timestamp:
    ts = Timestamp()
    ts.GetCurrentTime()
    return ts
