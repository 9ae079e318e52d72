"""Licence types (证照目录) as anyone reads them: each with its fields and the matters whose
approved conclusion issues it. Keeping types (platform administrators) is its own module."""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa

from govhall.kit.db import Database, UnitOfWork
from govhall.kit.paging import page_info, paging
from govhall.licences import access
from govhall.licences.tables import licence_types, type_matters
from govhall.protos.licences.v1 import types_pb2 as pb


class LicenceTypes:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def listing(self, request: pb.ListLicenceTypesRequest) -> pb.ListLicenceTypesResponse:
        number, size = paging(request.page)
        async with self.db.reader() as uow:
            total = (
                await uow.conn.execute(sa.select(sa.func.count()).select_from(licence_types))
            ).scalar_one()
            rows = (
                await uow.conn.execute(
                    sa.select(licence_types)
                    .order_by(licence_types.c.name, licence_types.c.code)
                    .limit(size)
                    .offset((number - 1) * size)
                )
            ).all()
            found = await as_messages(uow, rows)
        return pb.ListLicenceTypesResponse(types=found, page=page_info(number, size, total))

    async def get(self, request: pb.GetLicenceTypeRequest) -> pb.LicenceType:
        code = access.type_code(request.code, "code")
        async with self.db.reader() as uow:
            row = (
                await uow.conn.execute(sa.select(licence_types).where(licence_types.c.code == code))
            ).first()
            if row is None:
                raise access.type_not_found()
            return (await as_messages(uow, [row]))[0]


async def as_messages(uow: UnitOfWork, rows: Sequence[Any]) -> list[pb.LicenceType]:
    """Type rows as messages, each with the matters it is issued on (code order)."""
    matters: dict[str, list[str]] = defaultdict(list)
    if rows:
        for m in await uow.conn.execute(
            sa.select(type_matters)
            .where(type_matters.c.type_code.in_([r.code for r in rows]))
            .order_by(type_matters.c.matter_code)
        ):
            matters[m.type_code].append(m.matter_code)
    return [
        pb.LicenceType(
            code=r.code,
            name=r.name,
            issuer_department_code=r.issuer_department_code,
            issuer_name=r.issuer_name,
            issuer_code=r.issuer_code,
            holder_kind=r.holder_kind,
            validity_years=r.validity_years,
            fields=[pb.LicenceField(**f) for f in json.loads(r.fields)],
            holder_maintained=r.holder_maintained,
            matter_codes=matters[r.code],
        )
        for r in rows
    ]
