"""The appointments service running for real over gRPC beside a real catalogue (SQLite, in-process
bus); appointments' database is SQLite or PostgreSQL (the `db_url` fixture).

Halls, windows and slots are written straight into appointments' tables here (`World.hall`,
`World.slot`), so booking and hall-desk tests do not depend on the admin routes that keep them.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa

from govhall.appointments import app as appointments_app
from govhall.appointments import tables
from govhall.appointments.settings import AppointmentsSettings
from govhall.catalogue import app as catalogue_app
from govhall.catalogue import testing as catalogue_world
from govhall.catalogue.settings import CatalogueSettings
from govhall.kit.bus import InProcessBus
from govhall.kit.testing import ServiceCalls, caller_channel, free_port
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.common.v1 import common_pb2 as C

PROVINCE, CITY, COUNTY = catalogue_world.PROVINCE, catalogue_world.CITY, catalogue_world.COUNTY
DEPT = "420502-SCJG"
MATTER = "420502-SCJG-0001"  # the guide allows appointments
NOT_BOOKABLE = "420502-SCJG-0002"  # its guide does not
CHINA = dt.timezone(dt.timedelta(hours=8))


def person(n: int = 1, name: str = "张三") -> C.CallerIdentity:
    return C.CallerIdentity(kind=C.CALLER_KIND_PERSON, subject=f"person-{n}", name=name, real_name_level=2)


def staff(roles: list[str], site: str = COUNTY, dept: str = DEPT, n: int = 1) -> C.CallerIdentity:
    return C.CallerIdentity(
        kind=C.CALLER_KIND_STAFF,
        subject=f"staff-{'-'.join(roles)}-{site}-{n}",
        name=f"{roles[0]}{n}",
        roles=roles,
        site_code=site,
        department_code=dept,
    )


ANONYMOUS = C.CallerIdentity(kind=C.CALLER_KIND_ANONYMOUS)


class World(ServiceCalls):
    """Appointments' API as the tests call it (stub, call, fails), and the world around it."""

    def __init__(
        self, catalogue: catalogue_pb2_grpc.CatalogueServiceStub, address: str, db: Any, bus: InProcessBus
    ) -> None:
        super().__init__(address, "appointments")
        self.catalogue = catalogue
        self.db = db
        self.bus = bus

    async def hall(
        self,
        name: str = "西陵区政务服务中心",
        site: str = COUNTY,
        matters: tuple[str, ...] = (MATTER,),
        **kw: Any,
    ) -> tuple[str, str]:
        """A hall with one window serving `matters`: (hall id, window id)."""
        now = dt.datetime.now(dt.UTC)
        hall_id, window_id = uuid.uuid4().hex, uuid.uuid4().hex
        async with self.db.uow() as uow:
            await uow.conn.execute(
                tables.halls.insert().values(
                    id=hall_id,
                    site_code=site,
                    name=name,
                    address=kw.get("address", "宜昌市西陵区东山大道100号"),
                    hours=kw.get("hours", "工作日 9:00-12:00, 13:30-17:00"),
                    phone=kw.get("phone", "0717-6222222"),
                    requires_reply=kw.get("requires_reply", False),
                    created_at=now,
                    updated_at=now,
                )
            )
            await uow.conn.execute(
                tables.windows.insert().values(
                    id=window_id, hall_id=hall_id, name=kw.get("window", "1号窗口"), created_at=now
                )
            )
            for code in matters:
                await uow.conn.execute(
                    tables.window_matters.insert().values(window_id=window_id, matter_code=code)
                )
            await uow.commit()
        return hall_id, window_id

    async def slot(
        self, hall_id: str, window_id: str, starts_at: dt.datetime, capacity: int = 5, minutes: int = 30
    ) -> str:
        """One slot of the window (starts_at: an aware datetime)."""
        slot_id = uuid.uuid4().hex
        async with self.db.uow() as uow:
            await uow.conn.execute(
                tables.slots.insert().values(
                    id=slot_id,
                    hall_id=hall_id,
                    window_id=window_id,
                    site_code=COUNTY,
                    day=starts_at.astimezone(CHINA).date(),
                    starts_at=starts_at,
                    ends_at=starts_at + dt.timedelta(minutes=minutes),
                    capacity=capacity,
                )
            )
            await uow.commit()
        return slot_id

    async def slot_row(self, slot_id: str) -> Any:
        async with self.db.reader() as uow:
            return (await uow.conn.execute(sa.select(tables.slots).where(tables.slots.c.id == slot_id))).one()


@pytest.fixture
async def world(start_service: Any, platform: Any, tmp_path: Path, db_url: str) -> AsyncIterator[World]:
    bus = InProcessBus()
    catalogue_address = f"127.0.0.1:{free_port()}"
    appointments = await start_service(
        appointments_app.SPEC,
        AppointmentsSettings(database_url=db_url, catalogue_address=catalogue_address),
        platform,
        bus,
    )
    catalogue = await start_service(
        catalogue_app.SPEC,
        CatalogueSettings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'c.db'}", grpc_address=catalogue_address
        ),
        platform,
        bus,
    )
    stub = catalogue_pb2_grpc.CatalogueServiceStub(caller_channel(catalogue.address, "catalogue"))
    await catalogue_world.seed(
        stub,
        departments=[(DEPT, "西陵区市场监督管理局")],
        matters=[
            (MATTER, catalogue_world.matter_draft("食品经营许可", DEPT, appointment=True)),
            (NOT_BOOKABLE, catalogue_world.matter_draft("药品零售许可", DEPT)),
        ],
    )
    yield World(stub, appointments.address, appointments.db, bus)


# ---- the hall desk's helpers (apptdesk): bookings written straight into the table ----

BOOKING_CODE_LETTERS = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"


def appointments_cipher(platform: Any) -> Any:
    """The cipher appointments' contact fields are under in a test (its key is generated into
    the test's var/ when the service starts)."""
    from govhall.kit.fieldcipher import FieldCipher, load_data_key

    return FieldCipher(load_data_key("", platform.var_dir, "appointments"), "appointments")


async def _world_booking(
    self: World,
    slot_id: str,
    *,
    owner: C.CallerIdentity | None = None,
    state: str = "confirmed",
    code: str = "",
    name: str = "张三",
    mobile: str = "13800001234",
    cipher: Any = None,
    matter: str = MATTER,
) -> tuple[str, str]:
    """A booking of `slot_id` (its place taken), as the booking module would write it: (id, code).
    Without a cipher the contact fields hold placeholders no key opens."""
    import secrets

    from govhall.appointments.contacts import mobile_hash, seal_mobile, seal_name

    owner = owner or person()
    code = code or "".join(secrets.choice(BOOKING_CODE_LETTERS) for _ in range(8))
    slot = await self.slot_row(slot_id)
    now = dt.datetime.now(dt.UTC)
    booking_id = uuid.uuid4().hex
    active = state in ("pending_reply", "confirmed")
    async with self.db.uow() as uow:
        if active:
            taken = await uow.conn.execute(
                sa.update(tables.slots)
                .where(tables.slots.c.id == slot_id, tables.slots.c.booked < tables.slots.c.capacity)
                .values(booked=tables.slots.c.booked + 1)
            )
            assert taken.rowcount == 1, "the slot is full"
        await uow.conn.execute(
            tables.bookings.insert().values(
                id=booking_id,
                code=code,
                slot_id=slot_id,
                hall_id=slot.hall_id,
                window_id=slot.window_id,
                site_code=slot.site_code,
                matter_code=matter,
                matter_name="食品经营许可",
                day=slot.day,
                starts_at=slot.starts_at,
                ends_at=slot.ends_at,
                owner_kind="person",
                owner_subject=owner.subject,
                contact_name=seal_name(cipher, name) if cipher else "placeholder",
                contact_mobile=seal_mobile(cipher, mobile) if cipher else "placeholder",
                contact_mobile_hash=mobile_hash(cipher, mobile) if cipher else "",
                mobile_masked=mobile[:3] + "****" + mobile[-4:],
                state=state,
                active_key=f"person:{owner.subject}:{matter}:{slot.day}" if active else None,
                created_at=now,
                updated_at=now,
            )
        )
        await uow.commit()
    return booking_id, code


World.booking = _world_booking  # type: ignore[attr-defined]


@pytest.fixture(autouse=True)
def _desk_sweep_off(monkeypatch: pytest.MonkeyPatch) -> None:
    """The desk's timer off (the world's settings leave it at its default): tests sweep with a
    time of their choosing. Autouse, so it is set before `world` starts the service."""
    monkeypatch.setenv("GOVHALL_APPOINTMENTS_DESK_SWEEP_SECONDS", "0")
