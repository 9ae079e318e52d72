"""Level-B imports: a CSV of one type is checked row by row (row, field, problem) and loaded all
or nothing; imported licences verify, carry the type's fields, have their holder code encrypted
and masked, and a second load of the same file imports nothing."""

from __future__ import annotations

import datetime as dt
import io
import json

import pytest
import sqlalchemy as sa

from govhall.licences import tables
from govhall.protos.licences.v1 import verification_pb2 as pb
from govhall.protos.licences.v1 import verification_pb2_grpc

from .conftest import ADMIN, ANONYMOUS, FOOD_TYPE, World, person
from .verification_support import published

pytestmark = pytest.mark.integration

HEADER = "number,holder_subject,holder_name,holder_code,issued_on,valid_until,business_scope,address\n"
GOOD = HEADER + (
    "JY14205020000101,enterprise-1,宜昌好味餐饮有限公司,91420500MA4F12345X,2025-03-01,,热食类食品制售,西陵区夷陵大道1号\n"
    "JY14205020000102,enterprise-2,宜昌小馆餐饮有限公司,91420500MA4F67890Y,2024-01-10,2029-01-09,冷食类食品制售,\n"
)


def admin(world: World) -> verification_pb2_grpc.LicenceAdminServiceStub:
    return world.stub(verification_pb2_grpc.LicenceAdminServiceStub)


def request(content: str, filename: str = "食品经营许可.csv") -> pb.ImportLicencesRequest:
    return pb.ImportLicencesRequest(type_code=FOOD_TYPE, filename=filename, content=content.encode())


async def test_a_good_file_imports_level_b_licences_that_verify(world: World) -> None:
    await world.licence_type()
    reply = await world.call(admin(world), "ImportLicences", request(GOOD), ADMIN)
    assert (reply.imported, list(reply.problems)) == (2, [])

    async with world.db.reader() as uow:
        rows = (await uow.conn.execute(sa.select(tables.licences).order_by(tables.licences.c.number))).all()
    assert [(r.level, r.holder_subject, r.holder_kind) for r in rows] == [
        ("B", "enterprise-1", "legal_person"),
        ("B", "enterprise-2", "legal_person"),
    ]
    first = rows[0]
    assert first.valid_until.isoformat() == "2030-02-28"  # five years from the type's validity
    assert json.loads(first.metadata) == {"business_scope": "热食类食品制售", "address": "西陵区夷陵大道1号"}
    assert first.holder_code_masked == "9142**********345X" and "91420500MA4F12345X" not in first.holder_code
    assert {r.status_index for r in rows} == {0, 1} and len({r.verify_code for r in rows}) == 2
    verified = await world.call(
        world.stub(verification_pb2_grpc.VerificationServiceStub),
        "Verify",
        pb.VerifyRequest(code=first.verify_code),
        ANONYMOUS,
    )
    assert (verified.status, verified.level, verified.holder_name) == ("valid", "B", "宜*********")
    assert [e.number for e in await published(world, "imported")] == ["JY14205020000101", "JY14205020000102"]

    again = await world.call(admin(world), "ImportLicences", request(GOOD), ADMIN)
    assert again.imported == 0 and {(p.row, p.field) for p in again.problems} == {
        (2, "number"),
        (3, "number"),
    }


async def test_row_level_problems_and_nothing_written(world: World) -> None:
    await world.licence_type()
    bad = HEADER + (
        "JY1,enterprise-1,甲公司,91420500MA4F12345X,2025-03-01,,热食类,\n"  # good
        ",enterprise-2,乙公司,123,2025-13-01,,,\n"  # number, holder_code, issued_on, business_scope
        "JY1,,丙公司,91420500MA4F12345X,2025-03-01,2020-01-01,冷食类,\n"  # duplicate, subject, valid_until
    )
    reply = await world.call(admin(world), "ImportLicences", request(bad), ADMIN)
    assert reply.imported == 0 and [(p.row, p.field) for p in reply.problems] == [
        (3, "number"),
        (3, "holder_code"),
        (3, "issued_on"),
        (3, "business_scope"),
        (4, "number"),
        (4, "holder_subject"),
        (4, "valid_until"),
    ]
    async with world.db.reader() as uow:
        assert (
            await uow.conn.execute(sa.select(sa.func.count()).select_from(tables.licences))
        ).scalar_one() == 0
    refused = await world.fails(admin(world), "ImportLicences", request(GOOD), person())
    assert refused.code == "ADMIN_ONLY"
    text = await world.fails(admin(world), "ImportLicences", request(GOOD, "a.txt"), ADMIN)
    assert (text.code, [f.field for f in text.fields]) == ("FILE_TYPE", ["file"])
    broken = await world.fails(admin(world), "ImportLicences", request("not a zip", "a.xlsx"), ADMIN)
    assert (broken.code, [f.field for f in broken.fields]) == ("FILE_UNREADABLE", ["file"])
    latin = pb.ImportLicencesRequest(type_code=FOOD_TYPE, filename="a.csv", content="名".encode("gbk"))
    assert (await world.fails(admin(world), "ImportLicences", latin, ADMIN)).code == "FILE_ENCODING"


async def test_an_excel_workbook_imports_like_csv(world: World) -> None:
    from openpyxl import Workbook

    await world.licence_type()
    book = Workbook()
    sheet = book.active
    sheet.append(["number", "holder_subject", "holder_name", "holder_code", "issued_on", "business_scope"])
    sheet.append(["JY9", "enterprise-9", "丁公司", "91420500MA4F12345X", dt.datetime(2025, 3, 1), "热食类"])
    sheet.append([None, None, None, None, None, None])  # an empty row is not a row
    sheet.append([20260001, "enterprise-8", "戊公司", "91420500MA4F67890Y", "2025-04-01", None])
    buffer = io.BytesIO()
    book.save(buffer)
    content = buffer.getvalue()

    reply = await world.call(
        admin(world),
        "ImportLicences",
        pb.ImportLicencesRequest(type_code=FOOD_TYPE, filename="b.xlsx", content=content),
        ADMIN,
    )
    assert reply.imported == 0 and [(p.row, p.field) for p in reply.problems] == [(4, "business_scope")]
    sheet.cell(row=4, column=6, value="冷食类")
    buffer = io.BytesIO()
    book.save(buffer)
    reply = await world.call(
        admin(world),
        "ImportLicences",
        pb.ImportLicencesRequest(type_code=FOOD_TYPE, filename="b.xlsx", content=buffer.getvalue()),
        ADMIN,
    )
    assert reply.imported == 2
    async with world.db.reader() as uow:
        rows = (await uow.conn.execute(sa.select(tables.licences).order_by(tables.licences.c.number))).all()
    assert [(r.number, r.issued_on.isoformat()) for r in rows] == [
        ("20260001", "2025-04-01"),
        ("JY9", "2025-03-01"),
    ]
