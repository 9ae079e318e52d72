"""A window's queue of the day: tickets in order, call next (叫号), skip and done, by the window's
clerks; two clerks calling at once never call the same ticket."""

from __future__ import annotations

import datetime as dt

import pytest

from govhall.kit.errors import ErrorKind
from govhall.kit.races import concurrently, outcomes
from govhall.protos.appointments.v1 import hall_desk_pb2 as pb

from .conftest import World, person, staff
from .desk_support import CLERK, TERMINAL, desk

pytestmark = pytest.mark.integration


async def checked_in(world: World, n: int) -> tuple[str, list[pb.Ticket]]:
    hall_id, window_id = await world.hall()
    start = dt.datetime.now(dt.UTC).replace(microsecond=0) + dt.timedelta(minutes=5)
    slot = await world.slot(hall_id, window_id, start, capacity=n)
    tickets = []
    for i in range(n):
        _, code = await world.booking(slot, owner=person(i))
        tickets.append(
            await world.call(desk(world), "CheckIn", pb.CheckInRequest(hall_id=hall_id, code=code), TERMINAL)
        )
    return window_id, tickets


async def test_tickets_are_called_in_order_skipped_and_done(world: World) -> None:
    window_id, tickets = await checked_in(world, 3)
    d = desk(world)

    first = await world.call(d, "CallNext", pb.CallNextRequest(window_id=window_id), CLERK)
    assert (first.number, first.state, first.revision) == (1, "called", 2) and first.called_at.endswith(
        "+08:00"
    )
    stale = await world.fails(d, "Done", pb.TicketRequest(ticket_id=first.id, revision=1), CLERK)
    assert (stale.code, stale.kind) == ("STALE_REVISION", ErrorKind.CONFLICT)
    served = await world.call(d, "Done", pb.TicketRequest(ticket_id=first.id, revision=2), CLERK)
    assert served.state == "done"
    not_called = await world.fails(d, "Done", pb.TicketRequest(ticket_id=tickets[2].id, revision=1), CLERK)
    assert (not_called.code, not_called.kind) == ("TICKET_STATE", ErrorKind.WRONG_STATE)
    second = await world.call(d, "CallNext", pb.CallNextRequest(window_id=window_id), CLERK)
    skipped = await world.call(
        d, "Skip", pb.TicketRequest(ticket_id=second.id, revision=second.revision), CLERK
    )
    assert (second.number, skipped.state) == (2, "skipped")

    queue = await world.call(d, "ListQueue", pb.ListQueueRequest(window_id=window_id), TERMINAL)
    assert [(t.number, t.state) for t in queue.tickets] == [(1, "done"), (2, "skipped"), (3, "waiting")]
    assert queue.waiting == 1
    await world.call(d, "CallNext", pb.CallNextRequest(window_id=window_id), CLERK)
    empty = await world.fails(d, "CallNext", pb.CallNextRequest(window_id=window_id), CLERK)
    assert (empty.code, empty.kind) == ("QUEUE_EMPTY", ErrorKind.NOT_FOUND)


async def test_only_the_halls_window_clerks_call(world: World) -> None:
    window_id, tickets = await checked_in(world, 1)
    d = desk(world)
    for caller, code in (
        (TERMINAL, "ROLE_REQUIRED"),
        (staff(["window_clerk"], site="420500"), "NOT_YOUR_HALL"),
        (person(1), "STAFF_ONLY"),
    ):
        err = await world.fails(d, "CallNext", pb.CallNextRequest(window_id=window_id), caller)
        assert (err.code, err.kind) == (code, ErrorKind.FORBIDDEN)
    missing = await world.fails(d, "CallNext", pb.CallNextRequest(window_id="nope"), CLERK)
    assert missing.code == "WINDOW_NOT_FOUND"
    no_revision = await world.fails(d, "Skip", pb.TicketRequest(ticket_id=tickets[0].id), CLERK)
    assert (no_revision.code, [f.field for f in no_revision.fields]) == ("REVISION_REQUIRED", ["revision"])
    bad_day = await world.fails(d, "ListQueue", pb.ListQueueRequest(window_id=window_id, day="12/05"), CLERK)
    assert (bad_day.code, [f.field for f in bad_day.fields]) == ("DAY_INVALID", ["day"])


async def test_clerks_calling_next_at_once_never_call_the_same_ticket(world: World) -> None:
    window_id, _ = await checked_in(world, 6)
    clerks = [staff(["window_clerk"], n=i) for i in range(8)]

    results = await concurrently(
        8, lambda i: world.call(desk(world), "CallNext", pb.CallNextRequest(window_id=window_id), clerks[i])
    )

    called, failed = outcomes(results)
    assert sorted(t.number for t in called) == [1, 2, 3, 4, 5, 6]
    assert sorted(getattr(e, "code", repr(e)) for e in failed) == ["QUEUE_EMPTY", "QUEUE_EMPTY"]
    queue = await world.call(desk(world), "ListQueue", pb.ListQueueRequest(window_id=window_id), CLERK)
    assert {t.state for t in queue.tickets} == {"called"} and queue.waiting == 0
