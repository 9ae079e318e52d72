"""用证授权: a holder grants a case's handling staff their licence; staff read it through
licences only while the grant lives; every read is recorded for the holder (SQLite and PostgreSQL).

Cases is a stand-in gRPC server saying whose case it is and who handles it; the catalogue is real
(the matter's material M02 is taken from a 食品经营许可证)."""

from __future__ import annotations

import asyncio
import datetime as dt
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import grpc
import pytest
import sqlalchemy as sa

from govhall.catalogue import app as catalogue_app
from govhall.catalogue import testing as catalogue_world
from govhall.catalogue.settings import CatalogueSettings
from govhall.kit.bus import InProcessBus
from govhall.kit.errors import DomainError, ErrorKind
from govhall.kit.races import concurrently
from govhall.kit.testing import caller_channel, free_port
from govhall.licences import app as licences_app
from govhall.licences.grants_tables import licence_accesses, licence_grants
from govhall.licences.settings import LicencesSettings
from govhall.protos.cases.v1 import cases_pb2, cases_pb2_grpc
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.licences.v1 import grants_pb2 as pb
from govhall.protos.licences.v1 import grants_pb2_grpc, licences_pb2, licences_pb2_grpc

from .conftest import COUNTY, DEPT, FOOD_TYPE, MATTER, World, staff
from .test_holder import enterprise, issue_a, png

pytestmark = pytest.mark.integration

CASE = "case-9"
OTHER_TYPE = "11100000000013338W099"


class FakeCases(cases_pb2_grpc.CasesServiceServicer):
    """Cases' GetCase as licences sees it: case-9 is ent-1's application for MATTER at COUNTY."""

    def __init__(self) -> None:
        # When set, GetCase waits for it: a grant is then held between its reads and its write.
        self.gate: asyncio.Event | None = None
        self.waiting = asyncio.Event()
        self.cases = {
            CASE: cases_pb2.Case(
                id=CASE,
                matter_code=MATTER,
                site_code=COUNTY,
                matter_site_code=COUNTY,
                department_code=DEPT,
                applicant=cases_pb2.Applicant(kind="legal_person", subject="ent-1"),
                result_code=-1,
            )
        }

    async def GetCase(self, request: cases_pb2.GetCaseRequest, context: Any) -> cases_pb2.Case:
        if request.case_id not in self.cases:
            await context.abort(grpc.StatusCode.NOT_FOUND, "no such case")
        if self.gate is not None:
            self.waiting.set()
            await self.gate.wait()
        return self.cases[request.case_id]


class GrantsWorld(World):
    cases: FakeCases


@pytest.fixture
async def world(start_service: Any, platform: Any, tmp_path: Path, db_url: str) -> AsyncIterator[GrantsWorld]:
    cases = grpc.aio.server()
    fake_cases = FakeCases()
    cases_pb2_grpc.add_CasesServiceServicer_to_server(fake_cases, cases)
    cases_port = cases.add_insecure_port("127.0.0.1:0")
    await cases.start()
    bus = InProcessBus()
    catalogue_address = f"127.0.0.1:{free_port()}"
    licences = await start_service(
        licences_app.SPEC,
        LicencesSettings(
            database_url=db_url, catalogue_address=catalogue_address, cases_address=f"127.0.0.1:{cases_port}"
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
    stub = catalogue_pb2_grpc.CatalogueServiceStub(caller_channel(catalogue.address, "catalogue"))
    draft = catalogue_world.matter_draft("食品经营许可", DEPT, result_name="食品经营许可证")
    draft.materials.extend(
        [
            cat.Material(
                code="M01",
                name="申请书",
                form=cat.MATERIAL_FORM_ORIGINAL,
                necessity=cat.MATERIAL_NECESSITY_REQUIRED,
                source=cat.MATERIAL_SOURCE_APPLICANT,
            ),
            cat.Material(
                code="M02",
                name="营业执照",
                form=cat.MATERIAL_FORM_ORIGINAL,
                necessity=cat.MATERIAL_NECESSITY_REQUIRED,
                source=cat.MATERIAL_SOURCE_LICENCE,
                licence_type_code=FOOD_TYPE,
            ),
        ]
    )
    await catalogue_world.seed(stub, departments=[(DEPT, "西陵区市场监督管理局")], matters=[(MATTER, draft)])
    world = GrantsWorld(stub, licences.address, licences.db, bus)
    world.cases = fake_cases
    yield world
    await cases.stop(None)


def grants(world: World) -> grants_pb2_grpc.LicenceGrantsServiceStub:
    return world.stub(grants_pb2_grpc.LicenceGrantsServiceStub)


async def licence(world: World, subject: str = "ent-1", case_id: str = "case-1") -> str:
    if case_id == "case-1":  # the first licence brings its type
        await world.licence_type()
    await issue_a(world, case_id=case_id, subject=subject)
    async with world.db.reader() as uow:
        return str(
            await uow.conn.scalar(sa.text("select id from licences where case_id = :c"), {"c": case_id})
        )


async def refused(
    world: World, stub: Any, method: str, request: Any, caller: Any, kind: ErrorKind
) -> DomainError:
    err = await world.fails(stub, method, request, caller)
    assert err.kind is kind, err
    return err


def grant_request(licence_id: str, **kw: Any) -> pb.CreateGrantRequest:
    return pb.CreateGrantRequest(
        licence_id=licence_id,
        case_id=kw.get("case_id", CASE),
        material_code=kw.get("material_code", "M02"),
        purpose=kw.get("purpose", "食品经营许可申请"),
    )


HANDLER = staff(["reviewer"])


async def test_staff_read_through_a_grant_until_it_is_revoked(world: World) -> None:
    licence_id = await licence(world)
    stub = grants(world)
    read = pb.GetGrantedLicenceRequest(case_id=CASE, licence_id=licence_id)
    await refused(world, stub, "GetGrantedLicence", read, HANDLER, ErrorKind.NOT_FOUND)

    grant = await world.call(stub, "CreateGrant", grant_request(licence_id), enterprise())
    assert (grant.state, grant.department_code, grant.site_code) == ("active", DEPT, COUNTY)
    seen = await world.call(stub, "GetGrantedLicence", read, HANDLER)
    assert (seen.id, seen.type_code, seen.holder_name) == (licence_id, FOOD_TYPE, "宜昌好味餐饮有限公司")
    assert "*" in seen.holder_code_masked or seen.holder_code_masked == ""
    # The grant lets the file route through (this licence was issued without a rendering).
    no_file = await refused(world, stub, "GetGrantedLicenceFile", read, HANDLER, ErrorKind.NOT_FOUND)
    assert no_file.code == "LICENCE_FILE_NOT_FOUND"

    revoked = await world.call(
        stub, "RevokeGrant", pb.RevokeGrantRequest(licence_id=licence_id, grant_id=grant.id), enterprise()
    )
    assert revoked.state == "revoked"
    await refused(world, stub, "GetGrantedLicence", read, HANDLER, ErrorKind.NOT_FOUND)
    gone = await refused(world, stub, "GetGrantedLicenceFile", read, HANDLER, ErrorKind.NOT_FOUND)
    assert gone.code == "LICENCE_NOT_FOUND"
    listed = await world.call(stub, "ListGrants", pb.ListGrantsRequest(licence_id=licence_id), enterprise())
    assert [(g.id, g.state) for g in listed.grants] == [(grant.id, "revoked")]


async def test_every_read_is_in_the_holders_access_log(world: World) -> None:
    licence_id = await licence(world)
    stub = grants(world)
    grant = await world.call(stub, "CreateGrant", grant_request(licence_id), enterprise())
    read = pb.GetGrantedLicenceRequest(case_id=CASE, licence_id=licence_id)
    await world.call(stub, "GetGrantedLicence", read, HANDLER)
    await world.call(stub, "GetGrantedLicence", read, staff(["approver"], n=2))
    # A refused read is not an access.
    await refused(
        world, stub, "GetGrantedLicence", read, staff(["reviewer"], dept="420502-WJW"), ErrorKind.NOT_FOUND
    )

    log = await world.call(stub, "ListAccesses", pb.ListAccessesRequest(licence_id=licence_id), enterprise())
    assert sorted((a.grant_id, a.case_id, a.reader_name, a.what) for a in log.accesses) == [
        (grant.id, CASE, "approver2", "licence"),
        (grant.id, CASE, "reviewer1", "licence"),
    ]
    assert log.page.total == 2
    # Nobody else lists them.
    await refused(
        world,
        stub,
        "ListAccesses",
        pb.ListAccessesRequest(licence_id=licence_id),
        enterprise(2),
        ErrorKind.NOT_FOUND,
    )
    await refused(
        world,
        stub,
        "ListAccesses",
        pb.ListAccessesRequest(licence_id=licence_id),
        HANDLER,
        ErrorKind.FORBIDDEN,
    )


async def test_an_expired_grant_lets_nobody_read(world: World) -> None:
    licence_id = await licence(world)
    stub = grants(world)
    grant = await world.call(stub, "CreateGrant", grant_request(licence_id), enterprise())
    read = pb.GetGrantedLicenceRequest(case_id=CASE, licence_id=licence_id)
    await world.call(stub, "GetGrantedLicence", read, HANDLER)
    async with world.db.uow() as uow:
        await uow.conn.execute(
            licence_grants.update()
            .where(licence_grants.c.id == grant.id)
            .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
        await uow.commit()
    await refused(world, stub, "GetGrantedLicence", read, HANDLER, ErrorKind.NOT_FOUND)
    listed = await world.call(stub, "ListGrants", pb.ListGrantsRequest(licence_id=licence_id), enterprise())
    assert [g.state for g in listed.grants] == ["expired"]


async def test_other_departments_sites_and_cases_see_nothing(world: World) -> None:
    licence_id = await licence(world)
    stub = grants(world)
    await world.call(stub, "CreateGrant", grant_request(licence_id), enterprise())
    read = pb.GetGrantedLicenceRequest(case_id=CASE, licence_id=licence_id)
    for who in (
        staff(["reviewer"], dept="420502-WJW"),
        staff(["reviewer"], site=catalogue_world.CITY),
        enterprise(2),
        enterprise(),  # the holder reads it as theirs, not through a grant
    ):
        await refused(world, stub, "GetGrantedLicence", read, who, ErrorKind.NOT_FOUND)
    other_case = pb.GetGrantedLicenceRequest(case_id="case-8", licence_id=licence_id)
    await refused(world, stub, "GetGrantedLicence", other_case, HANDLER, ErrorKind.NOT_FOUND)


async def test_only_the_owner_grants_their_licence_for_their_case(world: World) -> None:
    licence_id = await licence(world)
    stub = grants(world)
    # Someone else's licence; a case that is not theirs (twice).
    await refused(world, stub, "CreateGrant", grant_request(licence_id), enterprise(2), ErrorKind.NOT_FOUND)
    theirs = await licence(world, subject="ent-2", case_id="case-2")
    await refused(world, stub, "CreateGrant", grant_request(theirs), enterprise(2), ErrorKind.NOT_FOUND)
    await refused(
        world,
        stub,
        "CreateGrant",
        grant_request(licence_id, case_id="case-8"),
        enterprise(),
        ErrorKind.NOT_FOUND,
    )
    await refused(world, stub, "CreateGrant", grant_request(licence_id), HANDLER, ErrorKind.FORBIDDEN)


async def test_the_material_must_take_a_licence_of_its_type(world: World) -> None:
    licence_id = await licence(world)
    stub = grants(world)
    err = await refused(
        world,
        stub,
        "CreateGrant",
        grant_request(licence_id, material_code="M01"),
        enterprise(),
        ErrorKind.INVALID,
    )
    assert [f.field for f in err.fields] == ["material_code"]
    await world.licence_type(code=OTHER_TYPE, name="营业执照", matters=())
    async with world.db.uow() as uow:
        await uow.conn.execute(
            sa.text("update licences set type_code = :t where id = :i"), {"t": OTHER_TYPE, "i": licence_id}
        )
        await uow.commit()
    err = await refused(
        world, stub, "CreateGrant", grant_request(licence_id), enterprise(), ErrorKind.INVALID
    )
    assert (err.code, [f.field for f in err.fields]) == ("LICENCE_TYPE_MISMATCH", ["licence_id"])
    err = await refused(
        world, stub, "CreateGrant", grant_request(licence_id, purpose=" "), enterprise(), ErrorKind.INVALID
    )


# Deleting a licence of one's own that was granted to a case.


def mine(world: World) -> licences_pb2_grpc.LicencesServiceStub:
    return world.stub(licences_pb2_grpc.LicencesServiceStub)


async def own_licence(world: World, first: bool = True) -> licences_pb2.Licence:
    """ent-1's own (level C) 食品经营许可证 scan: the type the case's M02 takes."""
    if first:
        await world.licence_type(holder_maintained=True)
    request = licences_pb2.CreateMyLicenceRequest(
        type_code=FOOD_TYPE,
        number="JY14205020000001",
        issued_on="2024-03-01",
        metadata={"business_scope": "热食类食品制售"},
        file_name="食品经营许可证.png",
        content=png(),
    )
    return await world.call(mine(world), "CreateMyLicence", request, enterprise())


def delete(licence: licences_pb2.Licence) -> licences_pb2.DeleteMyLicenceRequest:
    return licences_pb2.DeleteMyLicenceRequest(id=licence.id, revision=licence.revision)


async def rows_of(world: World, licence_id: str) -> tuple[int, int, int]:
    """The licence's rows: (licences, grants, accesses)."""
    async with world.db.reader() as uow:
        return (
            await uow.conn.scalar(sa.text("select count(*) from licences where id = :i"), {"i": licence_id}),
            await uow.conn.scalar(
                sa.select(sa.func.count()).where(licence_grants.c.licence_id == licence_id)
            ),
            await uow.conn.scalar(
                sa.select(sa.func.count()).where(licence_accesses.c.licence_id == licence_id)
            ),
        )


async def expire(world: World, grant_id: str) -> None:
    async with world.db.uow() as uow:
        await uow.conn.execute(
            licence_grants.update()
            .where(licence_grants.c.id == grant_id)
            .values(expires_at=dt.datetime.now(dt.UTC) - dt.timedelta(seconds=1))
        )
        await uow.commit()


async def test_a_granted_licence_is_deleted_only_once_its_grants_are_dead(world: GrantsWorld) -> None:
    licence = await own_licence(world)
    stub = grants(world)
    grant = await world.call(stub, "CreateGrant", grant_request(licence.id), enterprise())
    read = pb.GetGrantedLicenceRequest(case_id=CASE, licence_id=licence.id)
    await world.call(stub, "GetGrantedLicence", read, HANDLER)

    # A living grant: the case's staff may be reading it; the holder is told to revoke first.
    err = await refused(
        world, mine(world), "DeleteMyLicence", delete(licence), enterprise(), ErrorKind.CONFLICT
    )
    assert (err.code, err.message_zh) == ("LICENCE_GRANTED", "该证照正授权给办件使用，请先撤销授权后再删除")
    assert await rows_of(world, licence.id) == (1, 1, 1)
    await world.call(
        mine(world), "GetMyLicence", licences_pb2.GetMyLicenceRequest(id=licence.id), enterprise()
    )
    await world.call(stub, "GetGrantedLicence", read, HANDLER)

    await world.call(
        stub, "RevokeGrant", pb.RevokeGrantRequest(licence_id=licence.id, grant_id=grant.id), enterprise()
    )
    # A second grant, expired: dead too.
    second = await world.call(stub, "CreateGrant", grant_request(licence.id), enterprise())
    await world.call(stub, "GetGrantedLicenceFile", read, HANDLER)
    await expire(world, second.id)
    assert await rows_of(world, licence.id) == (1, 2, 3)

    # Every grant dead: the licence goes with its grants and their access records.
    await world.call(mine(world), "DeleteMyLicence", delete(licence), enterprise())
    assert await rows_of(world, licence.id) == (0, 0, 0)
    gone = await refused(
        world,
        mine(world),
        "GetMyLicence",
        licences_pb2.GetMyLicenceRequest(id=licence.id),
        enterprise(),
        ErrorKind.NOT_FOUND,
    )
    assert gone.code == "LICENCE_NOT_FOUND"
    await refused(world, stub, "GetGrantedLicence", read, HANDLER, ErrorKind.NOT_FOUND)


async def test_an_expired_grant_does_not_keep_the_licence(world: GrantsWorld) -> None:
    licence = await own_licence(world)
    stub = grants(world)
    grant = await world.call(stub, "CreateGrant", grant_request(licence.id), enterprise())
    await world.call(
        stub, "GetGrantedLicence", pb.GetGrantedLicenceRequest(case_id=CASE, licence_id=licence.id), HANDLER
    )
    await expire(world, grant.id)
    await world.call(mine(world), "DeleteMyLicence", delete(licence), enterprise())
    assert await rows_of(world, licence.id) == (0, 0, 0)


async def test_the_delete_still_checks_the_revision_and_the_holder(world: GrantsWorld) -> None:
    licence = await own_licence(world)
    stub = grants(world)
    grant = await world.call(stub, "CreateGrant", grant_request(licence.id), enterprise())
    # Someone else's licence is not found, granted or not; a stale revision is told as stale.
    other = await refused(
        world, mine(world), "DeleteMyLicence", delete(licence), enterprise(2), ErrorKind.NOT_FOUND
    )
    assert other.code == "LICENCE_NOT_FOUND"
    stale = licences_pb2.DeleteMyLicenceRequest(id=licence.id, revision=licence.revision + 1)
    assert (await world.fails(mine(world), "DeleteMyLicence", stale, enterprise())).code == "LICENCE_CHANGED"
    await world.call(
        stub, "RevokeGrant", pb.RevokeGrantRequest(licence_id=licence.id, grant_id=grant.id), enterprise()
    )
    await world.call(mine(world), "DeleteMyLicence", delete(licence), enterprise())


async def test_a_grant_made_as_its_licence_is_deleted_finds_no_licence(world: GrantsWorld) -> None:
    licence = await own_licence(world)
    # The grant has read the licence and waits on cases; meanwhile the holder deletes it.
    world.cases.gate = asyncio.Event()
    granting = asyncio.create_task(
        world.call(grants(world), "CreateGrant", grant_request(licence.id), enterprise())
    )
    await asyncio.wait_for(world.cases.waiting.wait(), 10)
    await world.call(mine(world), "DeleteMyLicence", delete(licence), enterprise())
    world.cases.gate.set()
    with pytest.raises(DomainError) as err:
        await granting
    assert (err.value.kind, err.value.code) == (ErrorKind.NOT_FOUND, "LICENCE_NOT_FOUND")
    assert await rows_of(world, licence.id) == (0, 0, 0)


async def test_a_grant_and_a_delete_at_once_never_fail_half_way(world: GrantsWorld) -> None:
    """Either the grant is made and the delete refused as granted, or the licence is deleted and
    the grant finds none; never an internal error, never a grant without its licence."""
    for n in range(4):
        licence = await own_licence(world, first=n == 0)

        async def one(i: int, licence: licences_pb2.Licence = licence) -> Any:
            if i == 0:
                return await world.call(grants(world), "CreateGrant", grant_request(licence.id), enterprise())
            return await world.call(mine(world), "DeleteMyLicence", delete(licence), enterprise())

        made, deleted = await concurrently(2, one)
        if isinstance(made, pb.Grant):
            assert isinstance(deleted, DomainError) and deleted.code == "LICENCE_GRANTED", deleted
            assert await rows_of(world, licence.id) == (1, 1, 0)
        else:
            assert isinstance(made, DomainError) and made.code == "LICENCE_NOT_FOUND", made
            assert isinstance(deleted, licences_pb2.DeleteMyLicenceResponse), deleted
            assert await rows_of(world, licence.id) == (0, 0, 0)


async def test_a_grant_being_written_as_the_delete_starts_refuses_the_delete(world: GrantsWorld) -> None:
    """The delete waits for a grant in the middle of being written, then sees it living."""
    licence = await own_licence(world)
    now = dt.datetime.now(dt.UTC)
    async with world.db.uow() as uow:
        await uow.conn.execute(
            licence_grants.insert().values(
                id="0" * 32,
                licence_id=licence.id,
                case_id=CASE,
                material_code="M02",
                purpose="食品经营许可申请",
                department_code=DEPT,
                site_code=COUNTY,
                created_at=now,
                expires_at=now + dt.timedelta(days=1),
                revoked_at=None,
            )
        )
        deleting = asyncio.create_task(
            world.fails(mine(world), "DeleteMyLicence", delete(licence), enterprise())
        )
        await asyncio.sleep(0.3)
        assert not deleting.done()
        await uow.commit()
    err = await deleting
    assert (err.kind, err.code) == (ErrorKind.CONFLICT, "LICENCE_GRANTED")
    assert await rows_of(world, licence.id) == (1, 1, 0)
