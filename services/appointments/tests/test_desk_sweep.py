"""The desk's sweep: a booking not checked in by the end of its slot plus the grace becomes a
no-show once; reminders go the day before and an hour before, once each."""

from __future__ import annotations

import datetime as dt

import pytest

from govhall.appointments.desk_sweep import DeskSweep
from govhall.appointments.settings import AppointmentsSettings
from govhall.kit.testing import wait_until

from .conftest import World, person
from .desk_support import booking_row, published

pytestmark = pytest.mark.integration

START = dt.datetime(2026, 12, 8, 2, 0, tzinfo=dt.UTC)  # Tuesday 10:00 in China, a 30-minute slot


async def test_a_booking_not_checked_in_becomes_a_no_show_once(world: World) -> None:
    hall_id, window_id = await world.hall()
    slot = await world.slot(hall_id, window_id, START)
    absent, _ = await world.booking(slot)
    came, _ = await world.booking(slot, owner=person(2), state="checked_in")
    sweep = DeskSweep(world.db, AppointmentsSettings())
    end = START + dt.timedelta(minutes=30)

    assert await sweep.no_shows(end + dt.timedelta(minutes=15)) == 0  # still within the grace
    assert await sweep.no_shows(end + dt.timedelta(minutes=16)) == 1
    assert await sweep.no_shows(end + dt.timedelta(minutes=20)) == 0

    row = await booking_row(world, absent)
    assert (row.state, row.active_key, row.revision) == ("no_show", None, 2)
    assert (await booking_row(world, came)).state == "checked_in"
    [event] = await published(world, "no_show")
    assert (event.booking_id, event.from_state, event.state) == (absent, "confirmed", "no_show")
    assert event.notice.recipient_subject == "person-1"


async def test_reminders_go_the_day_before_and_an_hour_before_once_each(world: World) -> None:
    hall_id, window_id = await world.hall()
    slot = await world.slot(hall_id, window_id, START)
    booking_id, _ = await world.booking(slot)
    _, _ = await world.booking(slot, owner=person(2), state="cancelled")
    later = await world.slot(hall_id, window_id, START + dt.timedelta(days=1))
    await world.booking(later, owner=person(3))
    sweep = DeskSweep(world.db, AppointmentsSettings())
    monday_noon = START - dt.timedelta(hours=22)  # Monday 12:00 in China

    assert await sweep.reminders(monday_noon - dt.timedelta(days=1)) == 0  # two days before
    assert await sweep.reminders(monday_noon) == 1
    assert await sweep.reminders(monday_noon + dt.timedelta(hours=3)) == 0
    # On the day itself, not yet the hour: only the next day's booking has its day-before reminder.
    assert await sweep.reminders(START - dt.timedelta(minutes=61)) == 1
    assert await sweep.reminders(START - dt.timedelta(minutes=59)) == 1
    assert await sweep.reminders(START - dt.timedelta(minutes=30)) == 0

    mine = [e for e in await published(world, "reminder") if e.booking_id == booking_id]
    assert [e.reason for e in mine] == ["day_before", "hour_before"]
    assert mine[0].notice.when == "2026-12-08 10:00" and mine[0].state == "confirmed"
    row = await booking_row(world, booking_id)
    assert (row.reminded, row.revision) == ("hour_before", 1)


async def test_a_booking_made_on_its_own_day_gets_only_the_hour_reminder(world: World) -> None:
    hall_id, window_id = await world.hall()
    slot = await world.slot(hall_id, window_id, START)
    await world.booking(slot)
    sweep = DeskSweep(world.db, AppointmentsSettings())

    assert await sweep.sweep(START - dt.timedelta(hours=1, minutes=30)) == 0
    assert await sweep.sweep(START - dt.timedelta(minutes=10)) == 1
    assert [e.reason for e in await published(world, "reminder")] == ["hour_before"]


@pytest.fixture
def timer_on(_desk_sweep_off: None, monkeypatch: pytest.MonkeyPatch) -> None:
    """The desk's timer every 0.2 seconds (after the autouse fixture turned it off)."""
    monkeypatch.setenv("GOVHALL_APPOINTMENTS_DESK_SWEEP_SECONDS", "0.2")


@pytest.fixture
def sweeping(timer_on: None, world: World) -> World:
    """A world whose service runs the desk's timer itself (timer_on is set up before world)."""
    return world


async def test_the_service_sweeps_on_its_own_timer(sweeping: World) -> None:
    world = sweeping
    hall_id, window_id = await world.hall()
    yesterday = dt.datetime.now(dt.UTC).replace(microsecond=0) - dt.timedelta(days=1)
    booking_id, _ = await world.booking(await world.slot(hall_id, window_id, yesterday))

    async def marked() -> bool:
        return (await booking_row(world, booking_id)).state == "no_show"

    await wait_until(marked, what="the timer's sweep marking the no-show")
    await wait_until(lambda: published(world, "no_show"), what="the no_show event")
