"""What the slot and hall-keeping routes take and answer: typed models from hall_admin.proto."""

from __future__ import annotations

from typing import Annotated

from pydantic import Field

from govhall.gateway import model
from govhall.gateway.protojson import Out, model_of, out
from govhall.protos.appointments.v1 import hall_admin_pb2 as pb
from govhall.protos.appointments.v1 import halls_pb2

# Appointments bounds and checks the text itself; these only keep a body from being absurd.
Text = Annotated[str, Field(max_length=400)]
Id = Annotated[str, Field(max_length=64)]
Day = Annotated[str, Field(max_length=10, description="YYYY-MM-DD (China time)")]

_SLOT = model_of(pb.Slot.DESCRIPTOR, name="Slot_")
_WINDOW = model_of(halls_pb2.Window.DESCRIPTOR, name="HallWindow_")
_TIMETABLE = model_of(pb.Timetable.DESCRIPTOR, name="Timetable_")


class SlotOut(_SLOT):  # type: ignore[misc,valid-type]
    """A slot: start and end in Beijing time (+08:00), capacity and the places remaining."""


class SlotsOut(Out):
    items: list[SlotOut]


class WindowOut(_WINDOW):  # type: ignore[misc,valid-type]
    """A window (窗口) of a hall with the matters it serves."""


class TimetableOut(_TIMETABLE):  # type: ignore[misc,valid-type]
    """A hall's, window's or matter's weekly sessions, slot length and capacity per slot."""


class TimetablesOut(Out):
    items: list[TimetableOut]


class ClosedOut(Out):
    slots_closed: int
    bookings_cancelled: int


class HallIn(model.In):
    name: Annotated[str, Field(max_length=100)]
    address: Text = ""
    hours: Text = ""
    phone: Annotated[str, Field(max_length=40)] = ""
    longitude: float = Field(0.0, ge=-180, le=180)
    latitude: float = Field(0.0, ge=-90, le=90)
    requires_reply: bool = False
    # The revision you saw (changing a hall); a stale one is 409 REVISION_STALE.
    revision: int = Field(0, ge=0, le=2**31 - 1)

    def draft(self) -> pb.HallDraft:
        return pb.HallDraft(
            name=self.name,
            address=self.address,
            hours=self.hours,
            phone=self.phone,
            longitude=self.longitude,
            latitude=self.latitude,
            requires_reply=self.requires_reply,
        )


class WindowIn(model.In):
    name: Annotated[str, Field(max_length=50)]
    department_code: Annotated[str, Field(max_length=64)] = ""
    matter_codes: Annotated[list[Annotated[str, Field(max_length=36)]], Field(max_length=200)] = Field(
        default_factory=list
    )
    requires_reply: bool = False
    active: bool = True
    revision: int = Field(0, ge=0, le=2**31 - 1)

    def draft(self) -> pb.WindowDraft:
        return pb.WindowDraft(
            name=self.name,
            department_code=self.department_code,
            matter_codes=self.matter_codes,
            requires_reply=self.requires_reply,
            inactive=not self.active,
        )


class SessionIn(model.In):
    weekday: int = Field(ge=1, le=7, description="1 (Monday) to 7")
    start: Annotated[str, Field(max_length=5, description="HH:MM, China time")]
    end: Annotated[str, Field(max_length=5, description="HH:MM, China time")]


class TimetableIn(model.In):
    """The timetable of the hall (no window, no matter), of a window, or of a matter (at a window)."""

    window_id: Id = ""
    matter_code: Annotated[str, Field(max_length=36)] = ""
    sessions: Annotated[list[SessionIn], Field(max_length=50)]
    slot_minutes: int = Field(ge=1, le=480)
    capacity: int = Field(ge=1, le=1_000)
    # 0 for a new timetable, else the revision you saw.
    revision: int = Field(0, ge=0, le=2**31 - 1)


class CapacityIn(model.In):
    capacity: int = Field(ge=1, le=1_000)
    revision: int = Field(ge=1, le=2**31 - 1)


class CloseIn(model.In):
    """Close a whole day of the hall, or one slot: its bookings are cancelled with the reason."""

    day: Day = ""
    slot_id: Id = ""
    reason: Annotated[str, Field(min_length=1, max_length=200)]


def slots_out(reply: pb.ListSlotsResponse) -> SlotsOut:
    return SlotsOut(items=[out(SlotOut, s) for s in reply.slots])


def timetables_out(reply: pb.ListTimetablesResponse) -> TimetablesOut:
    return TimetablesOut(items=[out(TimetableOut, t) for t in reply.timetables])
