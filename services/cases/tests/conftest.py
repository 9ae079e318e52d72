"""The cases service running for real over gRPC, beside a real catalogue and identity (SQLite,
in-process bus); the cases database is SQLite or PostgreSQL (the `db_url` fixture)."""

from __future__ import annotations

import io
import json
import struct
import uuid
import zlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import grpc
import pytest
import sqlalchemy as sa

from govhall.cases import app as cases_app
from govhall.cases import tables
from govhall.cases.settings import CasesSettings
from govhall.catalogue import app as catalogue_app
from govhall.catalogue import testing as catalogue_world
from govhall.catalogue.settings import CatalogueSettings
from govhall.identity import app as identity_app
from govhall.identity.settings import IdentitySettings
from govhall.kit.bus import InProcessBus
from govhall.kit.caller import caller_metadata
from govhall.kit.errors import DomainError
from govhall.kit.grpcclient import domain_error
from govhall.kit.testing import caller_channel, free_port, wait_until
from govhall.protos.cases.v1 import cases_pb2 as pb
from govhall.protos.cases.v1 import cases_pb2_grpc
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.common.v1 import common_pb2

C = common_pb2
ADMIN = C.CallerIdentity(kind=C.CALLER_KIND_ADMIN, subject="admin")
# The one service that acts as the system at cases: cases itself (its clock sweep).
SERVICE = C.CallerIdentity(kind=C.CALLER_KIND_SERVICE, subject="cases")
PROVINCE, CITY, COUNTY = "420000", "420500", "420502"
DEPT = "420502-SCJG"
OTHER_DEPT = "420502-MZJ"
MATTER = "420502-SCJG-0001"

FORM_SCHEMA = {
    "type": "object",
    "title": "食品经营许可申请表",
    "properties": {
        "shop_name": {"type": "string", "title": "经营者名称", "minLength": 2, "maxLength": 100},
        "address": {"type": "string", "title": "经营场所", "minLength": 4},
        "mobile": {"type": "string", "title": "联系电话", "pattern": "^1[3-9][0-9]{9}$"},
        "agent": {
            "type": "object",
            "title": "代办人信息",
            "properties": {"name": {"type": "string", "title": "代办人姓名", "minLength": 2}},
            "required": ["name"],
        },
    },
    "required": ["shop_name", "address", "mobile"],
}
GOOD_FORM = {"shop_name": "西陵区老张面馆", "address": "宜昌市西陵区夷陵大道1号", "mobile": "13912345678"}


def person(n: int = 1, name: str = "张三", level: int = 2) -> C.CallerIdentity:
    """A natural person; real-name verified (level 2) unless told otherwise."""
    return C.CallerIdentity(
        kind=C.CALLER_KIND_PERSON, subject=f"person-{n}", name=name, real_name_level=level
    )


def staff(roles: list[str], site: str = COUNTY, dept: str = DEPT, n: int = 1) -> C.CallerIdentity:
    return C.CallerIdentity(
        kind=C.CALLER_KIND_STAFF,
        subject=f"staff-{'-'.join(roles)}-{site}-{n}",
        name=f"{roles[0]}{n}",
        roles=roles,
        site_code=site,
        department_code=dept,
    )


CLERK = staff(["window_clerk"])
REVIEWER = staff(["reviewer"])
APPROVER = staff(["approver"])
SUPERVISOR = staff(["supervisor"])


def material(code: str, name: str, necessity: int, **kw: Any) -> cat.Material:
    return cat.Material(
        code=code,
        name=name,
        necessity=necessity,
        form=cat.MATERIAL_FORM_ELECTRONIC,
        source=cat.MATERIAL_SOURCE_APPLICANT,
        **kw,
    )


def matter_draft() -> cat.MatterDraft:
    return cat.MatterDraft(
        name="食品经营许可（仅销售预包装食品备案除外）",
        department_code=DEPT,
        audiences=[cat.AUDIENCE_PERSON, cat.AUDIENCE_LEGAL_PERSON],
        type=cat.MATTER_TYPE_LICENSING,
        promised_limit=C.TimeLimit(value=10, unit=C.TIME_LIMIT_UNIT_WORKING_DAY),
        legal_limit=C.TimeLimit(value=20, unit=C.TIME_LIMIT_UNIT_WORKING_DAY),
        online_application=True,
        online_depth=4,
        handling_type=cat.HANDLING_TYPE_PROMISED,
        result_name="食品经营许可证",
        guide=cat.Guide(
            notice="申请人应如实提交有关材料，并对申请材料实质内容的真实性负责。",
            legal_basis="《中华人民共和国食品安全法》第三十五条",
        ),
        steps=[
            cat.ProcessStep(code="accept", name="受理", role="window_clerk"),
            cat.ProcessStep(code="first", name="初审", role="reviewer"),
            cat.ProcessStep(code="second", name="复审", role="reviewer"),
            cat.ProcessStep(code="decide", name="决定", role="approver"),
        ],
        materials=[
            material("M01", "食品经营许可申请书", cat.MATERIAL_NECESSITY_REQUIRED),
            material(
                "M02", "经营场所平面图", cat.MATERIAL_NECESSITY_REQUIRED, accepted_types=["pdf", "jpg", "png"]
            ),
            material("M03", "授权委托书", cat.MATERIAL_NECESSITY_CONDITIONAL, condition="委托他人代办的"),
        ],
        situations=[
            cat.Situation(
                code="S1",
                question="是否委托他人代办？",
                options=[
                    cat.SituationOption(code="S1A", label="否"),
                    cat.SituationOption(
                        code="S1B", label="是", material_codes=["M03"], form_sections=["agent"]
                    ),
                ],
            )
        ],
        form_schema=json.dumps(FORM_SCHEMA, ensure_ascii=False),
    )


def png_bytes(seed: int = 0) -> bytes:
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"\x00" + bytes([seed % 256, 0, 0])
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0))
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def pdf_bytes(text: str = "申请书", *, catalog: bytes = b"", padding: int = 0, page: bytes = b"") -> bytes:
    """The smallest real PDF: one empty page, with a cross-reference table a parser can follow.
    ``text`` goes into a comment (so different texts differ in hash), ``catalog`` and ``page``
    into those dictionaries (actions, names), ``padding`` bytes into a comment line."""
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R " + catalog + b" >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] " + page + b" >>",
    ]
    out = io.BytesIO()
    out.write(b"%PDF-1.4\n% " + text.encode() + b"\n")
    if padding:
        out.write(b"%" + b"0" * padding + b"\n")
    offsets = []
    for number, body in enumerate(objects, 1):
        offsets.append(out.tell())
        out.write(b"%d 0 obj\n" % number + body + b"\nendobj\n")
    xref = out.tell()
    out.write(b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1))
    out.writelines(b"%010d 00000 n \n" % offset for offset in offsets)
    out.write(b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref))
    return out.getvalue()


def pdf_of_size(size: int) -> bytes:
    """A real PDF of exactly ``size`` bytes (padded with a comment)."""
    padding = max(1, size - len(pdf_bytes()) - 2)
    while len(content := pdf_bytes(padding=padding)) != size:
        padding += size - len(content)
    return content


@dataclass
class World:
    cases: cases_pb2_grpc.CasesServiceStub
    catalogue: catalogue_pb2_grpc.CatalogueServiceStub
    db: Any = None  # the cases database, for tests that look under the service (pending notices)
    files_dir: Path | None = None
    bus: Any = None  # the in-process bus, for tests that publish other services' events
    licences_address: str = ""  # where cases looks for the cloud drive (a test may start licences there)
    address: str = ""  # cases' own, for a stub of another of its services (CaseHandoversService)

    async def call(self, method: str, request: Any, caller: C.CallerIdentity) -> Any:
        try:
            return await getattr(self.cases, method)(request, metadata=caller_metadata(caller), timeout=30)
        except grpc.aio.AioRpcError as err:
            raise domain_error(err) from None

    async def fails(self, method: str, request: Any, caller: C.CallerIdentity) -> DomainError:
        with pytest.raises(DomainError) as info:
            await self.call(method, request, caller)
        return info.value

    async def draft(self, applicant: C.CallerIdentity | None = None, **kw: Any) -> pb.Case:
        request = pb.CreateDraftRequest(
            site_code=COUNTY,
            matter_code=MATTER,
            situation_answers=[pb.SituationAnswer(situation_code="S1", option_codes=["S1A"])],
            form_json=json.dumps(GOOD_FORM, ensure_ascii=False),
            delivery=pb.Delivery(method=pb.DELIVERY_METHOD_PICK_UP),
        )
        for key, value in kw.items():
            setattr(request, key, value)
        return await self.call("CreateDraft", request, applicant or person())

    async def submitted(self, applicant: C.CallerIdentity | None = None) -> pb.Case:
        who = applicant or person()
        case = await self.draft(who)
        await self.call(
            "UploadMaterial",
            pb.UploadMaterialRequest(
                case_id=case.id, material_code="M01", file_name="申请书.pdf", content=pdf_bytes()
            ),
            who,
        )
        await self.call(
            "UploadMaterial",
            pb.UploadMaterialRequest(
                case_id=case.id, material_code="M02", file_name="平面图.png", content=png_bytes()
            ),
            who,
        )
        return await self.call("SubmitCase", pb.SubmitCaseRequest(case_id=case.id, notice_read=True), who)

    async def handle(self, case_id: str, caller: C.CallerIdentity, **command: Any) -> pb.Case:
        return await self.call("HandleCase", pb.HandleCaseRequest(case_id=case_id, **command), caller)


async def _catalogue_world(stub: catalogue_pb2_grpc.CatalogueServiceStub) -> None:
    await catalogue_world.seed(
        stub,
        departments=[(DEPT, "西陵区市场监督管理局"), (OTHER_DEPT, "西陵区民政局")],
        matters=[(MATTER, matter_draft())],
    )


async def sites_copied(db: Any) -> None:
    """Wait until cases' copy of the site tree has the world's three sites: the catalogue's events
    reach it after the catalogue's commits, and statistics read the subtree from the copy."""

    async def copied() -> bool:
        async with db.reader() as uow:
            return await uow.conn.scalar(sa.select(sa.func.count()).select_from(tables.sites.t)) == 3

    await wait_until(copied, what="cases' copy of the sites")


@pytest.fixture
async def world(start_service: Any, platform: Any, tmp_path: Path, db_url: str) -> AsyncIterator[World]:
    bus = InProcessBus()
    # Cases starts first so that its consumer of site events is subscribed before the catalogue
    # publishes them (the in-process bus delivers only to consumers already there); the other
    # services' ports are chosen before.
    catalogue_address = f"127.0.0.1:{free_port()}"
    identity_address = f"127.0.0.1:{free_port()}"
    licences_address = f"127.0.0.1:{free_port()}"
    cases = await start_service(
        cases_app.SPEC,
        CasesSettings(
            database_url=db_url,
            catalogue_address=catalogue_address,
            identity_address=identity_address,
            licences_address=licences_address,
            files_dir=tmp_path / "files",
            sweep_interval_seconds=0,
        ),
        platform,
        bus,
    )
    await start_service(
        identity_app.SPEC,
        IdentitySettings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'i.db'}",
            grpc_address=identity_address,
            catalogue_address=catalogue_address,
            argon2_time_cost=1,
            argon2_memory_kib=1024,
            dev_sms_file=tmp_path / "sms.jsonl",
            kv_namespace=f"t{uuid.uuid4().hex[:10]}",
        ),
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
    catalogue_stub = catalogue_pb2_grpc.CatalogueServiceStub(caller_channel(catalogue.address, "catalogue"))
    await _catalogue_world(catalogue_stub)
    await sites_copied(cases.db)
    yield World(
        cases_pb2_grpc.CasesServiceStub(caller_channel(cases.address, "cases")),
        catalogue_stub,
        cases.db,
        tmp_path / "files",
        bus,
        licences_address,
        cases.address,
    )
