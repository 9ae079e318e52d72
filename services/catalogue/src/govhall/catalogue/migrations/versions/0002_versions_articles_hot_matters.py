"""matter versions, browse tags, hot-matter counts, articles

Each existing matter becomes version 1 with its current status; its content moves from
matters.draft (JSON) to matter_versions.draft (serialised MatterDraft). The guide's free texts
that the contract replaced with structured fields (materials, fees, place and hours) are kept
in the guide's notice (申报须知), so nothing an administrator wrote is lost.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-23 09:00:00
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa
from alembic import op
from google.protobuf import json_format

from govhall.protos.catalogue.v1 import catalogue_pb2 as pb

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

PUBLISHED, WITHDRAWN = pb.MATTER_STATUS_PUBLISHED, pb.MATTER_STATUS_WITHDRAWN
_OLD_GUIDE_TEXTS = (("materials", "申请材料"), ("fees", "收费标准"), ("place_and_hours", "办理地点和时间"))
_NEW_COLUMNS = (
    "latest_version",
    "published_version",
    "last_published_version",
    "listed_version",
    "handling_type",
    "online_depth",
)


def _draft_from_json(data: dict[str, Any]) -> pb.MatterDraft:
    guide = dict(data.get("guide") or {})
    kept = [f"{zh}：{guide.pop(key)}" for key, zh in _OLD_GUIDE_TEXTS if guide.get(key)]
    draft = json_format.ParseDict({**data, "guide": guide}, pb.MatterDraft(), ignore_unknown_fields=True)
    if kept:
        draft.guide.notice = "\n".join(filter(None, [draft.guide.notice, *kept]))
    return draft


def upgrade() -> None:
    op.create_table(
        "matter_versions",
        sa.Column("code", sa.String(length=36), nullable=False),
        sa.Column("version", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        sa.Column("name", sa.String(length=200), nullable=False),
        sa.Column("department_code", sa.String(length=40), nullable=False),
        sa.Column("draft", sa.LargeBinary(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["code"], ["matters.code"]),
        sa.ForeignKeyConstraint(["department_code"], ["departments.code"]),
        sa.PrimaryKeyConstraint("code", "version"),
    )
    op.create_table(
        "matter_tags",
        sa.Column("matter_code", sa.String(length=36), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=50), nullable=False),
        sa.Column("site_code", sa.String(length=6), nullable=False),
        sa.ForeignKeyConstraint(["matter_code"], ["matters.code"]),
        sa.PrimaryKeyConstraint("matter_code", "kind", "value"),
    )
    with op.batch_alter_table("matter_tags", schema=None) as batch_op:
        batch_op.create_index(
            "ix_matter_tags_value", ["kind", "value", "site_code", "matter_code"], unique=False
        )
    op.create_table(
        "matter_applications",
        sa.Column("matter_code", sa.String(length=36), nullable=False),
        sa.Column("applications", sa.BigInteger(), nullable=False),
        sa.Column("last_applied_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("matter_code"),
    )
    op.create_table(
        "articles",
        sa.Column("id", sa.String(length=40), nullable=False),
        sa.Column("kind", sa.SmallInteger(), nullable=False),
        sa.Column("site_code", sa.String(length=6), nullable=False),
        sa.Column("department_code", sa.String(length=40), nullable=True),
        sa.Column("matter_code", sa.String(length=36), nullable=True),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("status", sa.SmallInteger(), nullable=False),
        sa.Column("revision", sa.BigInteger(), nullable=False),
        sa.Column("publish_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("first_published_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(["department_code"], ["departments.code"]),
        sa.ForeignKeyConstraint(["matter_code"], ["matters.code"]),
        sa.ForeignKeyConstraint(["site_code"], ["sites.code"]),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.create_index("ix_articles_matter", ["matter_code"], unique=False)
        batch_op.create_index("ix_articles_site_status", ["site_code", "status", "publish_at"], unique=False)

    with op.batch_alter_table("matters", schema=None) as batch_op:
        for name in _NEW_COLUMNS:
            column_type = sa.SmallInteger() if name in ("handling_type", "online_depth") else sa.Integer()
            batch_op.add_column(sa.Column(name, column_type, nullable=True))

    _move_content_to_versions()

    with op.batch_alter_table("matters", schema=None) as batch_op:
        for name in _NEW_COLUMNS:
            column_type = sa.SmallInteger() if name in ("handling_type", "online_depth") else sa.Integer()
            batch_op.alter_column(name, existing_type=column_type, nullable=False)
        batch_op.drop_column("draft")
        batch_op.drop_column("published_at")


def _move_content_to_versions() -> None:
    conn = op.get_bind()
    old = sa.table(
        "matters",
        sa.column("code"),
        sa.column("draft", sa.JSON()),
        sa.column("status"),
        sa.column("created_at", sa.DateTime(timezone=True)),
        sa.column("updated_at", sa.DateTime(timezone=True)),
        sa.column("published_at", sa.DateTime(timezone=True)),
        *(sa.column(name) for name in _NEW_COLUMNS),
    )
    versions = sa.table(
        "matter_versions",
        *(sa.column(name) for name in ("code", "version", "status", "name", "department_code")),
        sa.column("draft", sa.LargeBinary()),
        *(
            sa.column(name, sa.DateTime(timezone=True))
            for name in ("created_at", "updated_at", "published_at", "ended_at")
        ),
    )
    rows = conn.execute(sa.select(old)).all()
    for row in rows:
        draft = _draft_from_json(row.draft or {})
        published = row.status == PUBLISHED
        ever_published = row.status in (PUBLISHED, WITHDRAWN)
        conn.execute(
            sa.insert(versions).values(
                code=row.code,
                version=1,
                status=row.status,
                name=draft.name,
                department_code=draft.department_code,
                draft=draft.SerializeToString(),
                created_at=row.created_at,
                updated_at=row.updated_at,
                published_at=row.published_at,
                # Version 0001 kept no withdrawal time; its last change is the best there is.
                ended_at=row.updated_at if row.status == WITHDRAWN else None,
            )
        )
        conn.execute(
            sa.update(old)
            .where(old.c.code == row.code)
            .values(
                latest_version=1,
                published_version=1 if published else 0,
                last_published_version=1 if ever_published else 0,
                listed_version=1,
                handling_type=draft.handling_type,
                online_depth=draft.online_depth or 1,
            )
        )


def downgrade() -> None:
    with op.batch_alter_table("matters", schema=None) as batch_op:
        batch_op.add_column(sa.Column("draft", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("published_at", sa.DateTime(timezone=True), nullable=True))
    conn = op.get_bind()
    heads = sa.table(
        "matters",
        sa.column("code"),
        sa.column("listed_version"),
        sa.column("draft", sa.JSON()),
        sa.column("published_at", sa.DateTime(timezone=True)),
    )
    versions = sa.table(
        "matter_versions",
        sa.column("code"),
        sa.column("version"),
        sa.column("draft", sa.LargeBinary()),
        sa.column("published_at", sa.DateTime(timezone=True)),
    )
    rows = conn.execute(
        sa.select(versions.c.code, versions.c.draft, versions.c.published_at).join(
            heads, sa.and_(heads.c.code == versions.c.code, heads.c.listed_version == versions.c.version)
        )
    ).all()
    for row in rows:
        draft = pb.MatterDraft.FromString(row.draft)
        conn.execute(
            sa.update(heads)
            .where(heads.c.code == row.code)
            .values(
                draft=json_format.MessageToDict(draft, preserving_proto_field_name=True),
                published_at=row.published_at,
            )
        )
    with op.batch_alter_table("matters", schema=None) as batch_op:
        batch_op.alter_column("draft", existing_type=sa.JSON(), nullable=False)
        for name in _NEW_COLUMNS:
            batch_op.drop_column(name)
    with op.batch_alter_table("articles", schema=None) as batch_op:
        batch_op.drop_index("ix_articles_site_status")
        batch_op.drop_index("ix_articles_matter")
    op.drop_table("articles")
    op.drop_table("matter_applications")
    with op.batch_alter_table("matter_tags", schema=None) as batch_op:
        batch_op.drop_index("ix_matter_tags_value")
    op.drop_table("matter_tags")
    op.drop_table("matter_versions")
