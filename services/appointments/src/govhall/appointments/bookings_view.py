"""What the booking area shares: who owns a booking, who may see it, loading one with its hall,
window and site names, and the message a caller sees (contact details masked, times in China
time)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from govhall.appointments.events import china_time
from govhall.appointments.tables import bookings, halls, sites, windows
from govhall.kit import qr
from govhall.kit.caller import current_caller
from govhall.kit.db import UnitOfWork
from govhall.kit.errors import DomainError, ErrorKind
from govhall.protos.appointments.v1 import bookings_pb2 as pb
from govhall.protos.common.v1 import common_pb2

ACTIVE = ("pending_reply", "confirmed")
QR_TYPES = {pb.BOOKING_QR_FORMAT_SVG: qr.SVG}
OWNER_KINDS = {common_pb2.CALLER_KIND_PERSON: "person", common_pb2.CALLER_KIND_LEGAL_PERSON: "legal_person"}
# Staff who may read and reply to a site's bookings.
REPLY_ROLES = frozenset({"window_clerk", "supervisor", "site_admin"})


@dataclass(frozen=True)
class Owner:
    kind: str  # person | legal_person
    subject: str
    agent: str  # the agent's own subject when an enterprise books through one


def owner() -> Owner:
    """The signed-in person or enterprise calling; anyone else is refused."""
    caller = current_caller()
    kind = OWNER_KINDS.get(caller.kind)
    if kind is not None and caller.subject:
        return Owner(kind, caller.subject, caller.actor_subject if kind == "legal_person" else "")
    if caller.kind in (common_pb2.CALLER_KIND_UNSPECIFIED, common_pb2.CALLER_KIND_ANONYMOUS):
        raise DomainError(
            "SIGN_IN_REQUIRED",
            "sign in as a person or an enterprise first",
            "请先以个人或法人身份登录",
            ErrorKind.UNAUTHENTICATED,
        )
    raise DomainError(
        "OWNER_ONLY",
        "only a person or an enterprise books, not staff or administrators",
        "仅个人或法人用户可预约，工作人员和管理员不可预约",
        ErrorKind.FORBIDDEN,
    )


def owns(row: Any, caller: common_pb2.CallerIdentity) -> bool:
    return OWNER_KINDS.get(caller.kind) == row.owner_kind and caller.subject == row.owner_subject


def staff_of_site(row: Any, caller: common_pb2.CallerIdentity) -> bool:
    """Platform administrators, or staff of the booking's hall's site."""
    if caller.kind == common_pb2.CALLER_KIND_ADMIN:
        return True
    return caller.kind == common_pb2.CALLER_KIND_STAFF and caller.site_code == row.site_code


def not_found() -> DomainError:
    # Someone else's booking is told apart from none at all by nobody.
    return DomainError("BOOKING_NOT_FOUND", "no such booking", "预约不存在", ErrorKind.NOT_FOUND)


def aware(value: dt.datetime) -> dt.datetime:
    """A stored time as an aware UTC time (SQLite hands naive UTC back)."""
    return value.replace(tzinfo=dt.UTC) if value.tzinfo is None else value


def now() -> dt.datetime:
    return dt.datetime.now(dt.UTC)


async def load(uow: UnitOfWork, booking_id: str) -> Any:
    """The booking with its hall's and window's names, or None."""
    query = (
        sa.select(bookings, halls.c.name.label("hall_name"), windows.c.name.label("window_name"))
        .join(halls, halls.c.id == bookings.c.hall_id)
        .join(windows, windows.c.id == bookings.c.window_id)
        .where(bookings.c.id == booking_id)
    )
    return (await uow.conn.execute(query)).first()


async def site_name(uow: UnitOfWork, code: str) -> str:
    site = await sites.get(uow, code)
    return site.name if site else ""


def mask_name(name: str) -> str:
    """张三 → 张*: enough for the person to recognise, not for a passer-by at the terminal."""
    return name[:1] + "*" * max(1, len(name) - 1) if name else ""


def view(row: Any, site: str, name: str) -> pb.Booking:
    """`row` from `load`; `name` the decrypted contact name (shown masked)."""
    return pb.Booking(
        id=row.id,
        code=row.code,
        slot_id=row.slot_id,
        site_code=row.site_code,
        site_name=site,
        hall_id=row.hall_id,
        hall_name=row.hall_name,
        window_id=row.window_id,
        window_name=row.window_name,
        matter_code=row.matter_code,
        matter_name=row.matter_name,
        situation=row.situation,
        starts_at=china_time(row.starts_at).isoformat(),
        ends_at=china_time(row.ends_at).isoformat(),
        state=row.state,
        state_reason=row.state_reason,
        contact_name_masked=mask_name(name),
        contact_mobile_masked=row.mobile_masked,
        email=row.email,
        purpose=row.purpose,
        revision=row.revision,
        created_at=china_time(row.created_at).isoformat(),
    )


def code_qr(code: str, qr_format: pb.BookingQrFormat.ValueType) -> pb.BookingQr:
    """The booking code's QR as PNG (the default) or SVG: the one rendering Book's answer and
    GetBooking's detail share, so both show the same QR."""
    media_type = QR_TYPES.get(qr_format, qr.PNG)
    return pb.BookingQr(media_type=media_type, data=qr.render(code, media_type))
