"""Two provinces for the handover flow: 辽宁 210000 (A, the receiving window) and 吉林 220000 (B,
the home province), each with its own in-process bus and a real catalogue, cases and
crossprovince (B also identity and licences, which issues B's matter's licence: 食品经营许可证),
certificates from a test CA made now (devca). A's crossprovince keeps its
outgoing messages in the `db_url` database (SQLite or PostgreSQL); the rest in SQLite files."""

from __future__ import annotations

import datetime as dt
import io
import json
import struct
import uuid
import zlib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import grpc
import sqlalchemy as sa

from govhall.cases import app as cases_app
from govhall.cases.settings import CasesSettings
from govhall.catalogue import app as catalogue_app
from govhall.catalogue import testing as catalogue_world
from govhall.catalogue.settings import CatalogueSettings
from govhall.crossprovince import app as crossprovince_app
from govhall.crossprovince import devca
from govhall.crossprovince.settings import CrossprovinceSettings
from govhall.crossprovince.store import handover_links, outgoing, received_messages
from govhall.identity import app as identity_app
from govhall.identity.settings import IdentitySettings
from govhall.kit.bus import InProcessBus
from govhall.kit.caller import caller_metadata
from govhall.kit.grpcclient import domain_error
from govhall.kit.service import ServiceHost
from govhall.kit.testing import caller_channel, free_port
from govhall.licences import app as licences_app
from govhall.licences import tables as licence_tables
from govhall.licences.settings import LicencesSettings
from govhall.protos.cases.v1 import cases_pb2_grpc, handovers_pb2_grpc
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.common.v1 import common_pb2 as C

A, B = "210000", "220000"
DEPT = "420502-SCJG"
MATTER = "420502-SCJG-0001"  # B's matter (its catalogue's world is 西陵区's)
A_SITE = "210102"  # 和平区: A's window
# B's licence type on MATTER (GB/T 36903 type code, the issuer's credit code).
LICENCE_TYPE = "11100000000013338W011"
ISSUER_CODE = "11420502MB1234567X"
FORM = {"shop_name": "沈阳老张面馆", "address": "沈阳市和平区中华路1号", "mobile": "13912345678"}


def staff(roles: list[str], site: str, dept: str = "") -> C.CallerIdentity:
    return C.CallerIdentity(
        kind=C.CALLER_KIND_STAFF,
        subject=f"staff-{roles[0]}-{site}",
        name=f"{roles[0]}@{site}",
        roles=roles,
        site_code=site,
        department_code=dept,
    )


A_CLERK = staff(["window_clerk"], A_SITE, "210102-ZWFW")
B_CLERK = staff(["window_clerk"], catalogue_world.COUNTY, DEPT)
B_APPROVER = staff(["approver"], catalogue_world.COUNTY, DEPT)
APPLICANT = C.CallerIdentity(kind=C.CALLER_KIND_PERSON, subject="person-ln-1", name="张三", real_name_level=2)


def png_bytes() -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(b"\x00\x01\x00\x00"))
        + chunk(b"IEND", b"")
    )


def pdf_bytes(text: str = "申请书") -> bytes:
    """The smallest real PDF (one empty page); ``text`` in a comment makes its hash differ."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n% " + text.encode() + b"\n")
    offsets = []
    for number, obj in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + obj + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.writelines(b"%010d 00000 n \n" % offset for offset in offsets)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def _matter() -> cat.MatterDraft:
    draft = catalogue_world.matter_draft("食品经营许可", DEPT, result_name="食品经营许可证")
    draft.steps.extend(
        [
            cat.ProcessStep(code="accept", name="受理", role="window_clerk"),
            cat.ProcessStep(code="decide", name="决定", role="approver"),
        ]
    )
    for code, name in (("M01", "食品经营许可申请书"), ("M02", "经营场所平面图")):
        draft.materials.append(
            cat.Material(
                code=code,
                name=name,
                necessity=cat.MATERIAL_NECESSITY_REQUIRED,
                form=cat.MATERIAL_FORM_ELECTRONIC,
                source=cat.MATERIAL_SOURCE_APPLICANT,
            )
        )
    schema = {
        "type": "object",
        "properties": {
            "shop_name": {"type": "string", "title": "经营者名称"},
            "address": {"type": "string", "title": "经营场所"},
            "mobile": {"type": "string", "title": "联系电话"},
        },
        "required": list(FORM),
    }
    draft.form_schema = json.dumps(schema)
    return draft


@dataclass
class Province:
    code: str
    bus: InProcessBus
    cases: ServiceHost
    crossprovince: ServiceHost
    settings: CrossprovinceSettings
    handovers: handovers_pb2_grpc.CaseHandoversServiceStub = field(init=False)
    case_stub: cases_pb2_grpc.CasesServiceStub = field(init=False)

    def __post_init__(self) -> None:
        channel = caller_channel(self.cases.address, "cases")
        self.handovers = handovers_pb2_grpc.CaseHandoversServiceStub(channel)
        self.case_stub = cases_pb2_grpc.CasesServiceStub(channel)

    async def call(self, stub: Any, method: str, request: Any, caller: C.CallerIdentity) -> Any:
        try:
            return await getattr(stub, method)(request, metadata=caller_metadata(caller), timeout=30)
        except grpc.aio.AioRpcError as err:
            raise domain_error(err) from None

    async def handover(self, method: str, request: Any, caller: C.CallerIdentity = A_CLERK) -> Any:
        return await self.call(self.handovers, method, request, caller)

    async def case(self, method: str, request: Any, caller: C.CallerIdentity = B_CLERK) -> Any:
        return await self.call(self.case_stub, method, request, caller)

    async def rows(self, table: sa.Table, *where: Any) -> list[Any]:
        async with self.crossprovince.db.reader() as uow:
            return list((await uow.conn.execute(sa.select(table).where(*where))).all())


@dataclass
class Flow:
    a: Province
    b: Province
    start_service: Any
    platform: Any

    async def restart_b(self) -> None:
        """B's crossprovince again, on its database and port. A fresh in-process bus: that bus
        cannot hand a durable to a restarted consumer (NATS does); the partner endpoint is what
        the partner-down tests need."""
        self.b.bus = InProcessBus()
        self.b.crossprovince = await self.start_service(
            crossprovince_app.SPEC, self.b.settings, self.platform, self.b.bus
        )


async def _province(
    code: str, out: Path, tmp: Path, xp_url: str, endpoints: dict[str, str], start: Any, platform: Any
) -> Province:
    bus = InProcessBus()
    catalogue_address = f"127.0.0.1:{free_port()}"
    identity_address = f"127.0.0.1:{free_port()}"
    licences_address = f"127.0.0.1:{free_port()}"
    cases = await start(
        cases_app.SPEC,
        CasesSettings(
            database_url=f"sqlite+aiosqlite:///{tmp / f'cases-{code}.db'}",
            catalogue_address=catalogue_address,
            identity_address=identity_address,
            licences_address=licences_address,
            files_dir=tmp / f"files-{code}",
            sweep_interval_seconds=0,
        ),
        platform,
        bus,
    )
    d = out / code
    settings = CrossprovinceSettings(
        database_url=xp_url,
        province_code=code,
        partner_host="127.0.0.1",
        partner_port=int(endpoints[code].rsplit(":", 1)[1]),
        tls_cert_file=d / "server.pem",
        tls_key_file=d / "server.key",
        client_cert_file=d / "client.pem",
        client_key_file=d / "client.key",
        signing_key_file=d / "signing.key",
        signing_key_id=f"{code}-dev-1",
        partners_file=d / "partners.json",
        catalogue_address=catalogue_address,
        cases_address=cases.address,
        licences_address=licences_address,
        send_poll_seconds=0.1,
        send_retry_initial_seconds=0.05,
        send_retry_max_seconds=0.3,
        send_timeout_seconds=5.0,
        overdue_after_seconds=0.5,
    )
    crossprovince = await start(crossprovince_app.SPEC, settings, platform, bus)
    catalogue = await start(
        catalogue_app.SPEC,
        CatalogueSettings(
            database_url=f"sqlite+aiosqlite:///{tmp / f'catalogue-{code}.db'}", grpc_address=catalogue_address
        ),
        platform,
        bus,
    )
    if code == B:
        stub = catalogue_pb2_grpc.CatalogueServiceStub(caller_channel(catalogue.address, "catalogue"))
        await catalogue_world.seed(
            stub, departments=[(DEPT, "西陵区市场监督管理局")], matters=[(MATTER, _matter())]
        )
        await _licences(
            tmp, catalogue_address, cases.address, identity_address, licences_address, start, platform, bus
        )
    return Province(code, bus, cases, crossprovince, settings)


async def _licences(
    tmp: Path,
    catalogue_address: str,
    cases_address: str,
    identity_address: str,
    licences_address: str,
    start: Any,
    platform: Any,
    bus: InProcessBus,
) -> None:
    """B's identity (licences asks it for the holder: a cross-province applicant has no account
    at B, so none) and licences, with a licence type its matter issues."""
    await start(
        identity_app.SPEC,
        IdentitySettings(
            database_url=f"sqlite+aiosqlite:///{tmp / 'identity-b.db'}",
            grpc_address=identity_address,
            catalogue_address=catalogue_address,
            kv_namespace=f"t{uuid.uuid4().hex[:10]}",
            dev_sms_file=tmp / "sms-b.jsonl",
        ),
        platform,
        bus,
    )
    licences = await start(
        licences_app.SPEC,
        LicencesSettings(
            database_url=f"sqlite+aiosqlite:///{tmp / 'licences-b.db'}",
            grpc_address=licences_address,
            catalogue_address=catalogue_address,
            identity_address=identity_address,
            cases_address=cases_address,
            files_dir=tmp / "licences-files-b",
        ),
        platform,
        bus,
    )
    async with licences.db.uow() as uow:
        await uow.conn.execute(
            licence_tables.licence_types.insert().values(
                code=LICENCE_TYPE,
                name="食品经营许可证",
                issuer_department_code=DEPT,
                issuer_name="西陵区市场监督管理局",
                issuer_code=ISSUER_CODE,
                holder_kind="person",
                validity_years=5,
                fields=json.dumps([{"key": "shop_name", "label": "经营者名称", "required": True}]),
                holder_maintained=False,
                updated_at=dt.datetime.now(dt.UTC),
            )
        )
        await uow.conn.execute(
            licence_tables.type_matters.insert().values(matter_code=MATTER, type_code=LICENCE_TYPE)
        )
        await uow.commit()


async def make_flow(tmp_path: Path, db_url: str, start_service: Any, platform: Any) -> Flow:
    out = tmp_path / "provinces"
    endpoints = {code: f"127.0.0.1:{free_port()}" for code in (A, B)}
    devca.write_all(out, [A, B], endpoints)
    a = await _province(A, out, tmp_path, db_url, endpoints, start_service, platform)
    b_url = f"sqlite+aiosqlite:///{tmp_path / 'crossprovince-b.db'}"
    b = await _province(B, out, tmp_path, b_url, endpoints, start_service, platform)
    return Flow(a, b, start_service, platform)


async def outgoing_of(p: Province, kind: str) -> list[Any]:
    return await p.rows(outgoing, outgoing.c.kind == kind)


async def received_of(p: Province, kind: str) -> list[Any]:
    return await p.rows(received_messages, received_messages.c.kind == kind)


async def link_of(p: Province, partner: str, handover_id: str) -> Any | None:
    found = await p.rows(
        handover_links, handover_links.c.partner == partner, handover_links.c.handover_id == handover_id
    )
    return found[0] if found else None
