"""The baseline of the benchmarks: bare FastAPI JSON endpoints, no I/O.

For bench/search_vs_bare.py, one GET route shaped like the gateway's search
(`/api/v1/sites/{site}/search?q=...`) that returns a body shaped and sized like a gateway search
result: 10 hits of Chinese text, about 3 KB of JSON. The body is built once at start-up; each
request only validates the parameters, copies the query into the reply and serialises it, the
way an ordinary FastAPI handler returning a dict does.

For bench/identity_vs_bare.py, `POST /api/v1/auth/login` validates a password-login body like
the gateway's and returns a reply shaped like its token pair (an access token of a real one's
length, a refresh token, the account), and `GET /api/v1/me` requires a bearer header and returns
an account-shaped reply: no hashing, no token checks, no I/O. They are declared after the search
route, so a search request matches first, as before they existed.

For bench/consult_inbox.py, `GET /api/v1/me/messages` (page, page_size, unread_only) and
`GET /api/v1/me/messages/unread-count` require a bearer header and return an inbox page of
messages shaped like the gateway's (built once at start-up) and an unread count.

Served by uvicorn exactly as the gateway is (same loop and HTTP implementation, same logging set-up
and log level, proxy headers on), so the difference a benchmark measures is the gateway's own
work: its middleware and rate limiter, the gRPC calls, the services and their back ends, and the
response models.

For bench/appointments_booking.py, `POST /api/v1/appointments` is the one route with I/O, since
the database's decision is what booking is about: with `--dsn`, it requires a bearer header,
validates a body of the gateway's shape and, in one transaction on a plain PostgreSQL table
(asyncpg, a pool of 10 to 20 connections as the services' engines), takes the place with the
same conditional UPDATE as appointments (`booked = booked + 1 WHERE booked < capacity AND NOT
closed`) and inserts a booking row: 201 with a booking-shaped reply, or 409 problem+json
SLOT_FULL when no row was updated. No token check, no rules, no gRPC, no events, no encryption.

    python bench/bare_app.py --port 8765 [--log-level info] [--dsn postgresql://.../db]
"""

from __future__ import annotations

import argparse
import base64
import secrets
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any, Literal

import uvicorn
from fastapi import FastAPI, Header, HTTPException, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field

from govhall.kit import observability

TYPE_LABELS = {
    "licensing": "行政许可",
    "confirmation": "行政确认",
    "benefit": "行政给付",
    "public_service": "公共服务",
    "other_power": "其他行政权力",
}
SITE_NAMES = {"420000": "湖北省", "420500": "宜昌市", "420502": "西陵区"}


def _hit(code: str, name: str, department: str, type_: str, audiences: str, score: float) -> dict[str, Any]:
    return {
        "code": code,
        "name": name,
        "site_code": code[:6],
        "site_name": SITE_NAMES[code[:6]],
        "department_name": department,
        "type": type_,
        "type_label": TYPE_LABELS[type_],
        "audiences": audiences.split(),
        "online_application": True,
        "score": score,
    }


# Demo matters of the sites 西陵区 sees, so the JSON has a reply's length and character mix.
HITS: list[dict[str, Any]] = [
    _hit(
        "420502-SCJGJ-0002",
        "营业执照设立登记（个体工商户）",
        "西陵区市场监督管理局",
        "licensing",
        "person",
        12.4187,
    ),
    _hit(
        "420502-SCJGJ-0001",
        "食品经营许可",
        "西陵区市场监督管理局",
        "licensing",
        "person legal_person",
        11.9731,
    ),
    _hit("420502-GAFJ-0001", "居民身份证补领", "宜昌市公安局西陵区分局", "public_service", "person", 8.2264),
    _hit(
        "420502-RSJ-0001", "社会保障卡申领", "西陵区人力资源和社会保障局", "public_service", "person", 6.0518
    ),
    _hit("420502-MZJ-0001", "结婚登记（内地居民）", "西陵区民政局", "confirmation", "person", 5.4402),
    _hit(
        "420500-GJJ-0001",
        "住房公积金提取（离休、退休）",
        "宜昌市住房公积金中心",
        "public_service",
        "person",
        4.8876,
    ),
    _hit("420500-RSJ-0001", "失业保险金申领", "宜昌市人力资源和社会保障局", "benefit", "person", 4.1093),
    _hit("420500-STHJJ-0001", "排污许可证核发", "宜昌市生态环境局", "licensing", "legal_person", 3.7715),
    _hit(
        "420000-RST-0001",
        "社会保险个人权益记录查询打印",
        "湖北省人力资源和社会保障厅",
        "public_service",
        "person",
        3.3021,
    ),
    _hit("420000-GAT-0001", "保安服务公司设立许可", "湖北省公安厅", "licensing", "legal_person", 2.9964),
]

# The booking route's database (--dsn): a pool made at start-up, none without it.
DSN: dict[str, str] = {}
POOL: dict[str, Any] = {}


@asynccontextmanager
async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
    if DSN.get("dsn"):
        import asyncpg

        POOL["pool"] = await asyncpg.create_pool(DSN["dsn"], min_size=10, max_size=20)
    try:
        yield
    finally:
        if "pool" in POOL:
            await POOL.pop("pool").close()


app = FastAPI(title="bare baseline", lifespan=lifespan)


@app.get("/healthz")
async def healthz() -> dict[str, str]:
    return {"status": "ok"}


@app.get("/api/v1/sites/{site}/search")
async def search(
    site: Annotated[str, Path(pattern=r"^\d{6}$")],
    q: Annotated[str, Query(min_length=1, max_length=100)],
    page: Annotated[int, Query(ge=1, le=100)] = 1,
    page_size: Annotated[int, Query(ge=1, le=50)] = 10,
) -> dict[str, Any]:
    return {
        "query": q,
        "items": HITS[:page_size],
        "page": {"page": page, "page_size": page_size, "total": 23},
    }


# Identity ------------------------------------------------------------------------------------

ACCOUNT: dict[str, Any] = {
    "id": "01968a3e-5b7c-7d2e-9f10-2a3b4c5d6e7f",
    "kind": "person",
    "username": "",
    "name": "张伟",
    "id_number_masked": "4205**********0016",
    "mobile_masked": "137****2321",
    "real_name_level": "real_name",
    "created_at": "2026-05-01T09:30:00+08:00",
    "site_code": "",
    "department_code": "",
    "roles": [],
}
# As long as an access token of a verified person (EdDSA JWT, about 560 characters).
ACCESS_TOKEN = "eyJhbGciOiJFZERTQSIsImtpZCI6IjAxOTY4YTNl" + "x" * 480 + "." + "s" * 86


class PasswordLoginIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    method: Literal["password"]
    login_name: str = Field(max_length=64)
    password: str = Field(max_length=128)


@app.post("/api/v1/auth/login")
async def login(body: PasswordLoginIn) -> dict[str, Any]:
    return {
        "access_token": ACCESS_TOKEN,
        "token_type": "Bearer",
        "expires_in_seconds": 900,
        "refresh_token": secrets.token_urlsafe(32),
        "refresh_expires_in_seconds": 14 * 24 * 3600,
        "account": ACCOUNT,
    }


@app.get("/api/v1/me")
async def me(authorization: Annotated[str | None, Header()] = None) -> dict[str, Any]:
    if not authorization or not authorization.startswith("Bearer "):
        raise HTTPException(status_code=401, detail="sign in first")
    return ACCOUNT


# Inbox ---------------------------------------------------------------------------------------


def _message(n: int) -> dict[str, Any]:
    return {
        "id": f"01968a3e-5b7c-7d2e-9f10-{n:012d}",
        "subject": "cases.case.submitted",
        "title": "申请已提交：食品经营许可",
        "body": f"您申请的“食品经营许可”已提交（申报号SB2026120500{n:04d}），窗口将在受理时限内审查，请留意后续消息。",
        "link_kind": "case",
        "link_id": f"01968a3e-5b7c-7d2e-9f10-{n + 1000:012d}",
        "created_at": "2026-12-05T09:30:00Z",
        "read": False,
        "read_at": None,
    }


MESSAGES: list[dict[str, Any]] = [_message(n) for n in range(100)]


def _signed_in(authorization: str | None) -> None:
    if not authorization or not authorization.startswith("Bearer "):
        raise HTTPException(status_code=401, detail="sign in first")


@app.get("/api/v1/me/messages")
async def messages(
    authorization: Annotated[str | None, Header()] = None,
    page: Annotated[int, Query(ge=1, le=1000)] = 1,
    page_size: Annotated[int, Query(ge=1, le=100)] = 20,
    unread_only: bool = False,
) -> dict[str, Any]:
    _signed_in(authorization)
    return {"items": MESSAGES[:page_size], "page": {"page": page, "page_size": page_size, "total": 100}}


@app.get("/api/v1/me/messages/unread-count")
async def unread_count(authorization: Annotated[str | None, Header()] = None) -> dict[str, int]:
    _signed_in(authorization)
    return {"unread": 100}


# Appointments ---------------------------------------------------------------------------------

BOOKING_DDL = """
CREATE TABLE bare_slots (
    id uuid PRIMARY KEY, starts_at timestamptz NOT NULL, ends_at timestamptz NOT NULL,
    capacity integer NOT NULL, booked integer NOT NULL DEFAULT 0, closed boolean NOT NULL DEFAULT false,
    CHECK (booked <= capacity));
CREATE TABLE bare_bookings (
    id uuid PRIMARY KEY, code text NOT NULL UNIQUE, slot_id uuid NOT NULL REFERENCES bare_slots (id),
    owner text NOT NULL, matter_code text NOT NULL, created_at timestamptz NOT NULL);
"""
SLOT_FULL = {
    "type": "about:blank",
    "title": "this slot is fully booked",
    "status": 409,
    "code": "SLOT_FULL",
    "detail": "该时段已约满，请选择其他时段",
}


# The booking's QR code, as the gateway's reply carries one (a PNG of about this size, base64).
QR = {"media_type": "image/png", "data": base64.b64encode(secrets.token_bytes(1200)).decode()}


class BookingIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    slot_id: str = Field(pattern=r"^[0-9A-Za-z-]{1,36}$")
    matter_code: str = Field(max_length=36, pattern=r"^[0-9A-Za-z][0-9A-Za-z-]{0,35}$")
    contact_name: str = Field("", max_length=30)
    contact_mobile: str = Field("", max_length=20)
    purpose: str = Field("", max_length=500)


@app.post("/api/v1/appointments", status_code=201, response_model=None)
async def book(
    body: BookingIn, authorization: Annotated[str | None, Header()] = None
) -> dict[str, Any] | JSONResponse:
    _signed_in(authorization)
    assert authorization is not None
    pool = POOL.get("pool")
    if pool is None:
        raise HTTPException(status_code=503, detail="started without --dsn")
    at = datetime.now(UTC)
    code = secrets.token_hex(4).upper()
    async with pool.acquire() as conn, conn.transaction():
        slot = await conn.fetchrow(
            "UPDATE bare_slots SET booked = booked + 1"
            " WHERE id = $1::uuid AND booked < capacity AND NOT closed RETURNING starts_at, ends_at",
            body.slot_id,
        )
        if slot is None:
            return JSONResponse(SLOT_FULL, status_code=409, media_type="application/problem+json")
        booking_id = uuid.uuid4()
        await conn.execute(
            "INSERT INTO bare_bookings (id, code, slot_id, owner, matter_code, created_at)"
            " VALUES ($1, $2, $3::uuid, $4, $5, $6)",
            booking_id,
            code,
            body.slot_id,
            authorization[-16:],
            body.matter_code,
            at,
        )
    return {
        "booking": {
            "id": str(booking_id),
            "code": code,
            "state": "confirmed",
            "slot_id": body.slot_id,
            "matter_code": body.matter_code,
            "starts_at": slot["starts_at"].isoformat(),
            "ends_at": slot["ends_at"].isoformat(),
            "contact_name": body.contact_name or "张伟",
            "mobile_masked": "137****2321",
            "revision": 1,
        },
        "qr": QR,
        "warning": "",
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log-level", default="info")
    parser.add_argument("--dsn", default="", help="PostgreSQL of the booking route (bare_slots)")
    args = parser.parse_args()
    DSN["dsn"] = args.dsn
    # The gateway's own set-up (govhall.gateway.__main__), minus the settings objects: our
    # logging (uvicorn's access lines through the redacting formatter), then uvicorn.
    observability.setup("bare", args.log_level)
    uvicorn.run(
        app,
        host=args.host,
        port=args.port,
        log_level=args.log_level.lower(),
        log_config=None,
        proxy_headers=False,  # as the gateway's server_config: no X-Forwarded-For from loopback
    )
