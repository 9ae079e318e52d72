"""Licences put straight into the tables for verification's tests (issuance is its own area)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import sqlalchemy as sa

from govhall.kit.eventstore import OUTBOX
from govhall.kit.ids import new_id
from govhall.licences import tables
from govhall.licences.verification import new_verify_code
from govhall.protos.licences.v1 import events_pb2

from .conftest import DEPT, FOOD_TYPE, ISSUER_CODE, World


async def a_licence(world: World, **kw: Any) -> Any:
    """A level-A licence of FOOD_TYPE issued by DEPT (its status place next in the issuer's list)."""
    now = dt.datetime.now(dt.UTC)
    async with world.db.uow() as uow:
        place = (
            await uow.conn.execute(
                sa.select(sa.func.coalesce(sa.func.max(tables.licences.c.status_index), -1) + 1).where(
                    tables.licences.c.issuer_code == kw.get("issuer_code", ISSUER_CODE)
                )
            )
        ).scalar_one()
        values = {
            "id": new_id(),
            "identifier": f"1.2.156.3005.2.{FOOD_TYPE}.{ISSUER_CODE}.{20260000000 + place}.001.X",
            "verify_code": new_verify_code(),
            "level": "A",
            "type_code": FOOD_TYPE,
            "number": f"JY1420502{place:07d}",
            "holder_kind": "person",
            "holder_subject": "person-1",
            "holder_name": "张三丰",
            "holder_code": "encrypted",
            "holder_code_masked": "4205**********1234",
            "issuer_department_code": DEPT,
            "issuer_name": "西陵区市场监督管理局",
            "issuer_code": ISSUER_CODE,
            "site_code": "420502",
            "issued_on": dt.date(2026, 1, 5),
            "valid_until": dt.date(2031, 1, 4),
            "state": "valid",
            "status_index": place,
            "created_at": now,
            "updated_at": now,
        } | kw
        await uow.conn.execute(tables.licences.insert().values(**values))
        await uow.commit()
    return await licence_row(world, values["id"])


async def licence_row(world: World, licence_id: str) -> Any:
    async with world.db.reader() as uow:
        return (
            await uow.conn.execute(sa.select(tables.licences).where(tables.licences.c.id == licence_id))
        ).one()


async def published(world: World, name: str) -> list[events_pb2.LicenceChanged]:
    """Licence events `licences.licence.<name>` written to the outbox (in order)."""
    async with world.db.reader() as uow:
        rows = await uow.conn.execute(sa.select(OUTBOX.c.subject, OUTBOX.c.payload).order_by(OUTBOX.c.seq))
        return [
            events_pb2.LicenceChanged.FromString(r.payload)
            for r in rows
            if r.subject == f"licences.licence.{name}"
        ]
