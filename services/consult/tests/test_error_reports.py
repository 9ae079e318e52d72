"""纠错 through consult's gRPC, with the real catalogue behind it (SQLite and PostgreSQL): filed on
a published matter, routed to the site admins of the matter's own site, decided once, followed by
the reporter in 我的纠错, every change published for the inbox."""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from govhall.kit.caller import caller_metadata
from govhall.kit.errors import DomainError, ErrorKind
from govhall.kit.eventstore import OUTBOX
from govhall.kit.races import concurrently, outcomes
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.common.v1 import common_pb2 as C
from govhall.protos.consult.v1 import error_reports_pb2 as pb
from govhall.protos.consult.v1 import error_reports_pb2_grpc, events_pb2

from .conftest import ADMIN, ANONYMOUS, CITY, COUNTY, MATTER, World, draft, enterprise, person, staff

CITY_DEPT, CITY_MATTER = "420500-ZWFW", "420500-ZWFW-0001"


def stub(world: World) -> Any:
    return world.stub(error_reports_pb2_grpc.ErrorReportsServiceStub)


def report(
    code: str = MATTER,
    site: str = COUNTY,
    element: int = pb.ERROR_ELEMENT_FEES,
    content: str = "收费标准已取消",
) -> pb.SubmitErrorReportRequest:
    return pb.SubmitErrorReportRequest(site_code=site, matter_code=code, element=element, content=content)


def decide(r: pb.ErrorReport, answer: str = "已更正收费标准") -> pb.DecideErrorReportRequest:
    return pb.DecideErrorReportRequest(report_id=r.id, answer=answer, revision=r.revision)


def admin(site: str = COUNTY, n: int = 1) -> C.CallerIdentity:
    return staff(["site_admin"], site=site, dept=f"{site}-ZWFW", n=n)


async def queue(world: World, who: C.CallerIdentity, state: int = 0) -> list[str]:
    reply = await world.call(
        stub(world), "ListErrorReportQueue", pb.ListErrorReportQueueRequest(state=state), who
    )
    return [r.id for r in reply.reports]


async def mine(world: World, who: C.CallerIdentity) -> list[tuple[str, int, str]]:
    reply = await world.call(stub(world), "ListMyErrorReports", pb.ListMyErrorReportsRequest(), who)
    return [(r.id, r.state, r.answer) for r in reply.reports]


async def published(world: World) -> list[tuple[str, events_pb2.ErrorReportChanged]]:
    async with world.db.reader() as uow:
        rows = await uow.conn.execute(sa.select(OUTBOX.c.subject, OUTBOX.c.payload).order_by(OUTBOX.c.seq))
        return [
            (r.subject, events_pb2.ErrorReportChanged.FromString(r.payload))
            for r in rows
            if r.subject.startswith("consult.error_report.")
        ]


async def test_a_report_is_routed_decided_and_followed_by_its_reporter(world: World) -> None:
    me = person()
    filed = await world.call(
        stub(world), "SubmitErrorReport", report(content="  收费标准已于2026年取消\n请更正  "), me
    )
    assert (filed.site_code, filed.matter_code, filed.matter_name) == (COUNTY, MATTER, "食品经营许可")
    assert (filed.state, filed.element, filed.revision) == (
        pb.ERROR_REPORT_STATE_SUBMITTED,
        pb.ERROR_ELEMENT_FEES,
        1,
    )
    assert filed.content == "收费标准已于2026年取消\n请更正"
    assert await queue(world, admin()) == [filed.id]

    accepted = await world.call(stub(world), "AcceptErrorReport", decide(filed), admin())
    assert (accepted.state, accepted.answer, accepted.revision) == (
        pb.ERROR_REPORT_STATE_ACCEPTED,
        "已更正收费标准",
        2,
    )
    assert accepted.decided_at.seconds > 0
    assert await queue(world, admin()) == []
    assert await queue(world, admin(), pb.ERROR_REPORT_STATE_ACCEPTED) == [filed.id]
    assert await mine(world, me) == [(filed.id, pb.ERROR_REPORT_STATE_ACCEPTED, "已更正收费标准")]

    # Decided once: a second decision (even at the new revision) is refused.
    err = await world.fails(stub(world), "RefuseErrorReport", decide(accepted, "不予采纳"), admin(n=2))
    assert (err.code, err.kind) == ("ERROR_REPORT_DECIDED", ErrorKind.WRONG_STATE)

    other = await world.call(
        stub(world), "SubmitErrorReport", report(element=pb.ERROR_ELEMENT_PHONES), enterprise()
    )
    refused = await world.call(stub(world), "RefuseErrorReport", decide(other, "电话号码核实无误"), admin())
    assert refused.state == pb.ERROR_REPORT_STATE_REFUSED
    assert await mine(world, enterprise()) == [(other.id, pb.ERROR_REPORT_STATE_REFUSED, "电话号码核实无误")]

    events = await published(world)
    assert [(s, e.report_id, e.state, e.revision) for s, e in events] == [
        ("consult.error_report.submitted", filed.id, "submitted", 1),
        ("consult.error_report.accepted", filed.id, "accepted", 2),
        ("consult.error_report.submitted", other.id, "submitted", 1),
        ("consult.error_report.refused", other.id, "refused", 2),
    ]
    assert (events[1][1].reporter.kind, events[1][1].reporter.subject) == (C.CALLER_KIND_PERSON, "person-1")
    assert (events[3][1].reporter.kind, events[3][1].matter_name) == (
        C.CALLER_KIND_LEGAL_PERSON,
        "食品经营许可",
    )


async def test_a_matter_of_an_ancestor_site_goes_to_that_sites_admins(world: World) -> None:
    md = caller_metadata(ADMIN)
    await world.catalogue.UpsertDepartment(
        cat.UpsertDepartmentRequest(code=CITY_DEPT, site_code=CITY, name="宜昌市政务服务和大数据管理局"),
        metadata=md,
    )
    city_draft = draft("城市道路挖掘许可")
    city_draft.department_code = CITY_DEPT
    await world.catalogue.CreateMatter(
        cat.CreateMatterRequest(code=CITY_MATTER, site_code=CITY, draft=city_draft), metadata=md
    )
    await world.catalogue.PublishMatter(
        cat.ChangeMatterStatusRequest(code=CITY_MATTER, site_code=CITY), metadata=md
    )
    # Viewed from the county, a city's matter: the city's admins decide it, not the county's.
    filed = await world.call(stub(world), "SubmitErrorReport", report(CITY_MATTER, COUNTY), person())
    assert (filed.site_code, filed.viewed_site_code) == (CITY, COUNTY)
    assert await queue(world, admin(CITY)) == [filed.id]
    assert await queue(world, admin(COUNTY)) == []
    err = await world.fails(stub(world), "AcceptErrorReport", decide(filed), admin(COUNTY))
    assert (err.code, err.kind) == ("ERROR_REPORT_NOT_FOUND", ErrorKind.NOT_FOUND)
    accepted = await world.call(stub(world), "AcceptErrorReport", decide(filed), admin(CITY))
    assert accepted.state == pb.ERROR_REPORT_STATE_ACCEPTED


async def test_only_the_reporter_and_the_sites_admins_see_or_decide(world: World) -> None:
    filed = await world.call(stub(world), "SubmitErrorReport", report(), person(1))
    # Another person's 我的纠错 does not show it.
    assert await mine(world, person(2)) == []
    # Staff without site_admin, a citizen, an administrator: cannot read the queue or decide.
    for who in (staff(["supervisor", "approver"]), person(1), ADMIN):
        err = await world.fails(stub(world), "ListErrorReportQueue", pb.ListErrorReportQueueRequest(), who)
        assert (err.code, err.kind) == ("SITE_ADMIN_ONLY", ErrorKind.FORBIDDEN)
        err = await world.fails(stub(world), "AcceptErrorReport", decide(filed), who)
        assert (err.code, err.kind) == ("SITE_ADMIN_ONLY", ErrorKind.FORBIDDEN)
    err = await world.fails(stub(world), "ListErrorReportQueue", pb.ListErrorReportQueueRequest(), ANONYMOUS)
    assert err.kind is ErrorKind.UNAUTHENTICATED
    # Another site's admin neither sees nor decides it.
    assert await queue(world, admin(CITY)) == []
    err = await world.fails(stub(world), "RefuseErrorReport", decide(filed, "不是本站"), admin(CITY))
    assert (err.code, err.kind) == ("ERROR_REPORT_NOT_FOUND", ErrorKind.NOT_FOUND)
    # Staff and administrators do not file reports; anonymous callers are asked to sign in.
    err = await world.fails(stub(world), "SubmitErrorReport", report(), admin())
    assert (err.code, err.kind) == ("OWNER_ONLY", ErrorKind.FORBIDDEN)
    err = await world.fails(stub(world), "SubmitErrorReport", report(), ANONYMOUS)
    assert (err.code, err.kind) == ("SIGN_IN_REQUIRED", ErrorKind.UNAUTHENTICATED)
    assert await mine(world, person(1)) == [(filed.id, pb.ERROR_REPORT_STATE_SUBMITTED, "")]


async def test_two_admins_deciding_at_once_one_wins_the_other_409(world: World) -> None:
    filed = await world.call(stub(world), "SubmitErrorReport", report(), person())

    async def one(i: int) -> pb.ErrorReport:
        method = "AcceptErrorReport" if i % 2 == 0 else "RefuseErrorReport"
        return await world.call(stub(world), method, decide(filed, f"第{i}位管理员的处理"), admin(n=i))

    done, failed = outcomes(await concurrently(4, one))
    assert len(done) == 1, failed
    assert all(isinstance(e, DomainError) and e.kind is ErrorKind.CONFLICT for e in failed), failed
    assert all(e.kind.http_status == 409 for e in failed if isinstance(e, DomainError))
    (winner,) = done
    assert await mine(world, person()) == [(filed.id, winner.state, winner.answer)]
    decisions = [s for s, _ in await published(world) if not s.endswith(".submitted")]
    assert len(decisions) == 1


async def test_bad_input_unknown_matters_and_the_daily_limit_are_clear_errors(world: World) -> None:
    me = person()
    for request, field in (
        (report(site="42"), "site_code"),
        (report("bad code!"), "matter_code"),
        (report(element=pb.ERROR_ELEMENT_UNSPECIFIED), "element"),
        (report(element=99), "element"),
        (report(content="   "), "content"),
        (report(content="错" * 1001), "content"),
        (report(content="收费\x07有误"), "content"),
        (report(content="收费\u202e有误"), "content"),
    ):
        err = await world.fails(stub(world), "SubmitErrorReport", request, me)
        assert err.kind is ErrorKind.INVALID and [f.field for f in err.fields] == [field], request
        assert err.message_zh
    # A NUL is refused at the door by the kit, naming the field.
    err = await world.fails(stub(world), "SubmitErrorReport", report(content="收费\x00有误"), me)
    assert err.kind is ErrorKind.INVALID and [f.field for f in err.fields] == ["content"]
    # 1000 Chinese characters are within the bound.
    long = await world.call(stub(world), "SubmitErrorReport", report(content="错" * 1000), me)
    assert len(long.content) == 1000
    err = await world.fails(stub(world), "SubmitErrorReport", report("420502-NOPE-9999"), me)
    assert (err.code, err.kind) == ("MATTER_NOT_FOUND", ErrorKind.NOT_FOUND)
    await world.catalogue.WithdrawMatter(
        cat.ChangeMatterStatusRequest(code=MATTER, site_code=COUNTY), metadata=caller_metadata(ADMIN)
    )
    err = await world.fails(stub(world), "SubmitErrorReport", report(), me)
    assert (err.code, err.kind) == ("MATTER_NOT_FOUND", ErrorKind.NOT_FOUND)
    # Decisions need an answer and the revision read.
    err = await world.fails(stub(world), "AcceptErrorReport", decide(long, ""), admin())
    assert [f.field for f in err.fields] == ["answer"]
    err = await world.fails(
        stub(world), "AcceptErrorReport", pb.DecideErrorReportRequest(report_id=long.id, answer="好"), admin()
    )
    assert [f.field for f in err.fields] == ["revision"]
    stale = pb.DecideErrorReportRequest(report_id=long.id, answer="好", revision=7)
    err = await world.fails(stub(world), "AcceptErrorReport", stale, admin())
    assert (err.code, err.kind) == ("ERROR_REPORT_CHANGED", ErrorKind.CONFLICT)


async def test_a_reporter_files_at_most_the_daily_limit(world: World) -> None:
    # The world's consult keeps the default limit (10 a day).
    me = person(3)
    for n in range(10):
        await world.call(stub(world), "SubmitErrorReport", report(content=f"第{n}处有误"), me)
    err = await world.fails(stub(world), "SubmitErrorReport", report(), me)
    assert (err.code, err.kind) == ("ERROR_REPORTS_DAILY_LIMIT", ErrorKind.TOO_MANY)
    # Somebody else still may.
    await world.call(stub(world), "SubmitErrorReport", report(), person(4))


async def test_reports_filed_at_once_do_not_slip_past_the_daily_limit(world: World) -> None:
    me = person(5)

    async def one(i: int) -> pb.ErrorReport:
        return await world.call(stub(world), "SubmitErrorReport", report(content=f"第{i}处有误"), me)

    done, failed = outcomes(await concurrently(14, one))
    assert len(done) == 10, failed
    assert all(isinstance(e, DomainError) and e.code == "ERROR_REPORTS_DAILY_LIMIT" for e in failed), failed
    reply = await world.call(stub(world), "ListMyErrorReports", pb.ListMyErrorReportsRequest(), me)
    assert reply.page.total == 10
