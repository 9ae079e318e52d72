"""Site administrators keep their site's halls and windows (which matters each serves, or a
department's). Every change names the revision the administrator saw: a stale one is a 409, so
two administrators editing the same hall never overwrite each other silently.
"""

from __future__ import annotations

import contextlib
import datetime as dt
from collections.abc import Iterator
from typing import Any

import sqlalchemy as sa

from govhall.appointments import access
from govhall.appointments.halls import with_windows
from govhall.appointments.tables import halls, window_matters, windows
from govhall.kit.caller import current_caller
from govhall.kit.db import Database, UnitOfWork
from govhall.kit.errors import DomainError, ErrorKind, FieldError, forbidden, invalid
from govhall.kit.ids import new_id
from govhall.protos.appointments.v1 import hall_admin_pb2 as pb
from govhall.protos.appointments.v1 import halls_pb2
from govhall.protos.common.v1 import common_pb2

MAX_MATTERS_PER_WINDOW = 200


def require_site_admin(site: str) -> None:
    """A platform administrator, or a site administrator of exactly this site."""
    caller = current_caller()
    if caller.kind == common_pb2.CALLER_KIND_ADMIN:
        return
    if (
        caller.kind == common_pb2.CALLER_KIND_STAFF
        and "site_admin" in caller.roles
        and caller.site_code == site
    ):
        return
    raise forbidden("only the site's administrators keep its halls", "仅本站点管理员可维护其办事大厅")


def stale() -> DomainError:
    return DomainError(
        "REVISION_STALE",
        "changed by someone else since you read it: reload and try again",
        "已被他人修改，请刷新后重试",
        ErrorKind.CONFLICT,
    )


def text(value: str, limit: int, field: str, required: bool = False) -> str:
    value = (value or "").strip()
    if required and not value:
        raise invalid("FIELD_REQUIRED", f"{field} is required", f"{field} 为必填项", field)
    if len(value) > limit:
        raise invalid(
            "FIELD_TOO_LONG", f"{field} is at most {limit} characters", f"{field} 最多{limit}个字符", field
        )
    return value


async def admin_hall(uow: UnitOfWork, hall_id: str) -> Any:
    """The hall, once the caller is shown to keep it (someone else's hall is a 403, not hidden:
    halls are public)."""
    access.object_id(hall_id, "hall_id")
    query = sa.select(halls).where(halls.c.id == hall_id)
    row = (await uow.conn.execute(query)).first()
    if row is None:
        raise access.hall_not_found()
    require_site_admin(row.site_code)
    return row


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


class HallAdmin:
    def __init__(self, db: Database) -> None:
        self.db = db

    async def save_hall(self, r: pb.SaveHallRequest) -> halls_pb2.Hall:
        d = r.hall
        values: dict[str, Any] = {
            "name": text(d.name, 100, "name", required=True),
            "address": text(d.address, 200, "address"),
            "hours": text(d.hours, 200, "hours"),
            "phone": text(d.phone, 40, "phone"),
            "longitude": coordinate(d.longitude, 180, "longitude"),
            "latitude": coordinate(d.latitude, 90, "latitude"),
            "requires_reply": d.requires_reply,
            "updated_at": now(),
        }
        async with self.db.uow() as uow:
            if not r.hall_id:
                site = access.site_code(r.site_code)
                require_site_admin(site)
                hall_id = new_id()
                await self._unique_name(uow, halls.c.site_code == site, halls.c.name, values["name"])
                with names_unique():
                    await uow.conn.execute(
                        halls.insert().values(
                            id=hall_id, site_code=site, created_at=values["updated_at"], **values
                        )
                    )
            else:
                row = await admin_hall(uow, r.hall_id)
                hall_id = row.id
                if r.site_code and r.site_code != row.site_code:
                    raise access.hall_not_found()
                await self._unique_name(
                    uow,
                    sa.and_(halls.c.site_code == row.site_code, halls.c.id != hall_id),
                    halls.c.name,
                    values["name"],
                )
                with names_unique():
                    done = await uow.conn.execute(
                        halls.update()
                        .where(halls.c.id == hall_id, halls.c.revision == r.revision)
                        .values(revision=halls.c.revision + 1, **values)
                    )
                if done.rowcount != 1:
                    raise stale()
            row = (await uow.conn.execute(sa.select(halls).where(halls.c.id == hall_id))).one()
            reply = (await with_windows(uow, [row]))[0]
            await uow.commit()
        return reply

    async def save_window(self, r: pb.SaveWindowRequest) -> halls_pb2.Window:
        d = r.window
        name = text(d.name, 50, "name", required=True)
        department = text(d.department_code, 64, "department_code")
        codes = sorted({access.matter_code(c, "matter_codes") for c in d.matter_codes})
        if len(codes) > MAX_MATTERS_PER_WINDOW:
            raise invalid(
                "TOO_MANY_MATTERS",
                f"a window serves at most {MAX_MATTERS_PER_WINDOW} listed matters",
                f"一个窗口最多列出{MAX_MATTERS_PER_WINDOW}个事项",
                "matter_codes",
            )
        values = {
            "name": name,
            "department_code": department or None,
            "requires_reply": d.requires_reply,
            "active": not d.inactive,
        }
        async with self.db.uow() as uow:
            hall = await admin_hall(uow, r.hall_id)
            if not r.window_id:
                window_id = new_id()
                await self._unique_name(uow, windows.c.hall_id == hall.id, windows.c.name, name)
                with names_unique():
                    await uow.conn.execute(
                        windows.insert().values(id=window_id, hall_id=hall.id, created_at=now(), **values)
                    )
            else:
                window_id = access.object_id(r.window_id, "window_id")
                await self._unique_name(
                    uow,
                    sa.and_(windows.c.hall_id == hall.id, windows.c.id != window_id),
                    windows.c.name,
                    name,
                )
                with names_unique():
                    done = await uow.conn.execute(
                        windows.update()
                        .where(
                            windows.c.id == window_id,
                            windows.c.hall_id == hall.id,
                            windows.c.revision == r.revision,
                        )
                        .values(revision=windows.c.revision + 1, **values)
                    )
                if done.rowcount != 1:
                    exists = await uow.conn.scalar(
                        sa.select(windows.c.id).where(windows.c.id == window_id, windows.c.hall_id == hall.id)
                    )
                    if exists is None:
                        raise DomainError(
                            "WINDOW_NOT_FOUND", "no such window", "窗口不存在", ErrorKind.NOT_FOUND
                        )
                    raise stale()
                await uow.conn.execute(window_matters.delete().where(window_matters.c.window_id == window_id))
            for code in codes:
                await uow.conn.execute(window_matters.insert().values(window_id=window_id, matter_code=code))
            hall_row = (await uow.conn.execute(sa.select(halls).where(halls.c.id == hall.id))).one()
            reply = next(w for w in (await with_windows(uow, [hall_row]))[0].windows if w.id == window_id)
            await uow.commit()
        return reply

    async def _unique_name(self, uow: UnitOfWork, scope: Any, column: Any, name: str) -> None:
        # A clear 409 naming the field instead of the UNIQUE constraint's database error.
        taken = await uow.conn.scalar(sa.select(sa.func.count()).where(scope, column == name))
        if taken:
            raise name_taken()


def name_taken() -> DomainError:
    return DomainError(
        "NAME_TAKEN",
        "that name is already used here",
        "该名称已被使用",
        ErrorKind.CONFLICT,
        [FieldError("name", "that name is already used here", "该名称已被使用")],
    )


@contextlib.contextmanager
def names_unique() -> Iterator[None]:
    """Two administrators naming a hall or window alike at the same instant both pass the check;
    the UNIQUE constraint refuses the second, which is the same 409 (never a 500)."""
    try:
        yield
    except sa.exc.IntegrityError:
        raise name_taken() from None


def coordinate(value: float, bound: float, field: str) -> float | None:
    if value == 0.0:
        return None
    if not -bound <= value <= bound:
        raise invalid(
            "COORDINATE_INVALID", f"{field} is between -{bound} and {bound}", f"{field} 超出范围", field
        )
    return value
