"""Supervision rolls up like statistics: a city's supervisor sees its counties' cards and
performance; figures key values the way the filters spell them."""

from __future__ import annotations

import pytest

from govhall.protos.cases.v1 import cases_pb2 as pb

from .conftest import CITY, CLERK, COUNTY, DEPT, PROVINCE, SERVICE, SUPERVISOR, World, staff

pytestmark = pytest.mark.asyncio

CITY_SUPERVISOR = staff(["supervisor"], site=CITY, dept="420500-SCJG")
CITY_ADMIN = staff(["site_admin"], site=CITY, dept="420500-SCJG")


async def _red_case(world: World) -> pb.Case:
    case = await world.submitted()
    case = await world.handle(case.id, CLERK, accept=pb.AcceptCommand())
    swept = await world.call("SweepClock", pb.SweepClockRequest(today="2099-01-05"), SERVICE)
    assert swept.warnings_raised == 1
    return case


async def test_a_city_sees_its_counties_cards_and_performance(world: World) -> None:
    case = await _red_case(world)
    for who in (CITY_SUPERVISOR, CITY_ADMIN, SUPERVISOR):
        perf = await world.call("GetPerformance", pb.GetPerformanceRequest(), who)
        assert [(d.department_code, d.accepted, d.open_red) for d in perf.departments] == [(DEPT, 1, 1)], who
        warned = await world.call("ListWarnings", pb.ListWarningsRequest(), who)
        assert [w.case.id for w in warned.warnings] == [case.id], who
    # A city asks for one county: the same figures; the statistics agree on the count.
    county = await world.call("GetPerformance", pb.GetPerformanceRequest(site_code=COUNTY), CITY_SUPERVISOR)
    assert [(d.department_code, d.accepted) for d in county.departments] == [(DEPT, 1)]
    stats = await world.call("GetStatistics", pb.GetStatisticsRequest(), CITY_SUPERVISOR)
    assert stats.total == 1


async def test_a_county_sees_neither_its_city_nor_its_neighbours(world: World) -> None:
    await _red_case(world)
    for site in (CITY, PROVINCE, "420506"):
        err = await world.fails("GetPerformance", pb.GetPerformanceRequest(site_code=site), SUPERVISOR)
        assert err.code == "CASE_WRONG_SITE", site
    neighbour = staff(["supervisor"], site="420506", dept="420506-SCJG")
    assert (await world.call("GetPerformance", pb.GetPerformanceRequest(), neighbour)).departments == []
    assert (await world.call("ListWarnings", pb.ListWarningsRequest(), neighbour)).warnings == []


async def test_statistics_key_matter_types_as_the_filters_spell_them(world: World) -> None:
    await world.submitted()
    stats = await world.call("GetStatistics", pb.GetStatisticsRequest(site_code=PROVINCE), SERVICE)
    assert [(r.key, r.label, r.count) for r in stats.by_matter_type] == [("licensing", "行政许可", 1)]
    assert [(r.key, r.count) for r in stats.by_state] == [("submitted", 1)]
