"""Hot services: applications counted from cases.case.submitted, once per event, shown per site."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import pytest

from govhall.catalogue import app
from govhall.catalogue.events import HOT_MATTERS_CONSUMER
from govhall.catalogue.settings import CatalogueSettings
from govhall.contracts import cases as cases_events
from govhall.contracts.registry import EventType
from govhall.kit.bus import JetStreamBus
from govhall.kit.events import SKIPPED, Event, make_event
from govhall.kit.testing import caller_channel, cluster_bus, wait_until
from govhall.protos.cases.v1 import cases_pb2
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc

from .conftest import ANONYMOUS, SITES, Catalogue, draft


def submitted(matter_code: str, matter_site: str = "420502", version: int = 1) -> Event:
    case = cases_pb2.CaseChanged(
        case_id=str(uuid.uuid4()),
        case_number="",
        matter_code=matter_code,
        matter_name="某事项",
        matter_version=version,
        matter_site_code=matter_site,
        site_code="420502",
        state=cases_pb2.CASE_STATE_SUBMITTED,
        action="submit",
        revision=1,
    )
    return make_event(cases_events.SUBMITTED, case, "420502")


def submitted_before_types(matter_code: str) -> Event:
    """A cases.case.submitted as published before events were typed: a CaseSubmitted whose
    envelope names only the subject."""
    old = cases_pb2.CaseSubmitted(
        case_id=str(uuid.uuid4()), matter_code=matter_code, matter_site_code="420502", site_code="420502"
    )
    old.meta.event_id = str(uuid.uuid4())
    old.meta.event_type = cases_events.SUBMITTED.subject
    old.meta.occurred_at.GetCurrentTime()
    return Event(cases_events.SUBMITTED.subject, old.SerializeToString(), old.meta.event_id)


async def hot(catalogue: Catalogue, site: str = "420502", limit: int = 0) -> list[tuple[str, int]]:
    reply = await catalogue.call(
        "ListHotMatters", pb.ListHotMattersRequest(site_code=site, limit=limit), ANONYMOUS
    )
    return [(h.matter.code, h.applications) for h in reply.matters]


async def test_most_applied_published_matters_visible_from_the_site(catalogue: Catalogue) -> None:
    await catalogue.create("A", d=draft("个人事项"), publish=True)
    await catalogue.create("P", "420000", draft("省级事项", "420000-GAT"), publish=True)
    await catalogue.create("W", "420100", draft("武汉事项", "420100-SCJG"), publish=True)
    await catalogue.create("D", d=draft("草稿事项"))
    await catalogue.create("X", d=draft("撤回事项"), publish=True)
    await catalogue.withdraw("X")
    for code, site, times in [
        ("A", "420502", 3),
        ("P", "420000", 5),
        ("W", "420100", 7),
        ("D", "420502", 2),
        ("X", "420502", 9),
    ]:
        for _ in range(times):
            await catalogue.bus.publish(submitted(code, site))

    assert await hot(catalogue) == [("P", 5), ("A", 3)], (
        "drafts, withdrawn and other cities' matters left out"
    )
    assert await hot(catalogue, limit=1) == [("P", 5)]
    assert await hot(catalogue, "420100") == [("W", 7), ("P", 5)]
    assert await hot(catalogue, "420000") == [("P", 5)]
    reply = await catalogue.call("ListHotMatters", pb.ListHotMattersRequest(site_code="420502"))
    assert (
        reply.matters[0].matter.draft.name == "省级事项"
        and reply.matters[0].matter.status == pb.MATTER_STATUS_PUBLISHED
    )

    # Published again, X counts with everything it had.
    await catalogue.publish("X")
    assert await hot(catalogue, limit=2) == [("X", 9), ("P", 5)]


async def test_a_redelivered_event_is_counted_once(catalogue: Catalogue) -> None:
    await catalogue.create("A", publish=True)
    event = submitted("A")
    for _ in range(3):
        await catalogue.bus.publish(event)  # the same event id each time
    await catalogue.bus.publish(submitted("A"))
    assert await hot(catalogue) == [("A", 2)]


async def test_an_unknown_matter_is_counted_but_never_shown(catalogue: Catalogue) -> None:
    await catalogue.bus.publish(submitted("GONE"))
    await catalogue.bus.publish(submitted(""))  # nothing to count
    assert await hot(catalogue) == []


async def test_submissions_in_flight_from_before_types_still_count(catalogue: Catalogue) -> None:
    await catalogue.create("A", publish=True)
    await catalogue.bus.publish(submitted_before_types("A"))
    await catalogue.bus.publish(submitted("A"))
    assert await hot(catalogue) == [("A", 2)]


async def test_a_submission_of_a_newer_version_or_another_type_is_skipped_and_counted(
    catalogue: Catalogue,
) -> None:
    await catalogue.create("A", publish=True)
    before = SKIPPED.labels(HOT_MATTERS_CONSUMER, "cases.case.submitted", "newer_version")._value.get()
    newer = EventType("cases.case.submitted", cases_pb2.CaseChanged, version=2)
    await catalogue.bus.publish(make_event(newer, cases_pb2.CaseChanged(matter_code="A"), "420502"))
    other = EventType("cases.case.submitted", cases_pb2.CaseSubmitted)
    await catalogue.bus.publish(make_event(other, cases_pb2.CaseSubmitted(matter_code="A"), "420502"))
    assert await hot(catalogue) == []
    assert (
        SKIPPED.labels(HOT_MATTERS_CONSUMER, "cases.case.submitted", "newer_version")._value.get()
        == before + 1
    )
    await catalogue.bus.publish(submitted("A"))  # and the consumer goes on
    assert await hot(catalogue) == [("A", 1)]


@pytest.fixture
async def jetstream(cluster: dict[str, str]) -> AsyncIterator[tuple[JetStreamBus, JetStreamBus]]:
    """The catalogue's bus and cases' (each as its own NATS user) on a stream prefix of their own,
    set up before, so torn down after, the service; the admin deletes the streams."""
    prefix = f"T{uuid.uuid4().hex[:8].upper()}"
    buses = [cluster_bus(cluster, who, prefix) for who in ("catalogue", "cases", "admin")]
    for bus in buses:
        await bus.start()
    yield buses[0], buses[1]
    await buses[2].delete_streams()
    for bus in buses:
        await bus.close()


async def test_counted_from_jetstream(
    jetstream: tuple[JetStreamBus, JetStreamBus], db_url: str, platform: Any, start_service: Any
) -> None:
    catalogue_bus, cases_bus = jetstream
    host = await start_service(app.SPEC, CatalogueSettings(database_url=db_url), platform, catalogue_bus)
    ch = caller_channel(host.address, "catalogue")
    c = Catalogue(catalogue_pb2_grpc.CatalogueServiceStub(ch), catalogue_bus, host)  # type: ignore[arg-type]
    for code, name, level, parent in SITES[:3]:
        await c.call(
            "UpsertSite", pb.UpsertSiteRequest(code=code, name=name, level=level, parent_code=parent)
        )
    await c.call(
        "UpsertDepartment",
        pb.UpsertDepartmentRequest(code="420502-XZSP", site_code="420502", name="行政审批局"),
    )
    await c.create("A", publish=True)
    first = submitted("A")
    for event in (first, submitted("A"), first):  # JetStream drops the republished id; the inbox would too
        await cases_bus.publish(event)

    async def counted() -> bool:
        return await hot(c) == [("A", 2)]

    await wait_until(counted, what="two applications counted")
    await ch.close()
