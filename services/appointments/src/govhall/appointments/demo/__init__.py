"""Appointments' demo data for `make run` and `make up`: each demo site's 政务服务中心 with windows
for the demo matters whose guide allows appointments, and a timetable, so a demo citizen can
book at once. Kept as data (halls.json) and loaded through appointments' own API (HallAdminService),
signed as the operators, like the other services' demo loaders; idempotent: a hall, window or
timetable that exists already is left as it is (an administrator may have changed it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from govhall.kit.caller import caller_metadata
from govhall.kit.grpcclient import channel, operator_caller, operator_signer
from govhall.kit.grpcclient import wait_serving as wait_serving  # the loaders of this package share it
from govhall.kit.trust import Signer
from govhall.protos.appointments.v1 import hall_admin_pb2 as pb
from govhall.protos.appointments.v1 import hall_admin_pb2_grpc, halls_pb2, halls_pb2_grpc

HALLS_FILE = Path(__file__).resolve().parent / "halls.json"


def demo_halls(path: Path = HALLS_FILE) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


async def load_demo_into(address: str, signer: Signer | None = None, *, wait_seconds: float = 30.0) -> int:
    """Open the demo halls, windows and timetables that are missing; returns how many halls were
    opened (0 when all were there)."""
    data = demo_halls()
    ops = caller_metadata(operator_caller("appointments demo loader"))
    ch = channel(address, signer=signer or operator_signer(), audience="appointments")
    opened = 0
    try:
        await wait_serving(ch, wait_seconds)
        public = halls_pb2_grpc.HallsServiceStub(ch)
        admin = hall_admin_pb2_grpc.HallAdminServiceStub(ch)
        for spec in data["halls"]:
            hall = await _hall(public, spec, ops)
            if hall is None:
                hall = await admin.SaveHall(
                    pb.SaveHallRequest(
                        site_code=spec["site_code"],
                        hall=pb.HallDraft(name=spec["name"], hours=spec["hours"], phone=spec["phone"]),
                    ),
                    metadata=ops,
                    timeout=30,
                )
                opened += 1
            have = {w.name for w in hall.windows}
            for window in spec["windows"]:
                if window["name"] in have:
                    continue
                draft = pb.WindowDraft(
                    name=window["name"],
                    matter_codes=window["matter_codes"],
                    requires_reply=window.get("requires_reply", False),
                )
                await admin.SaveWindow(
                    pb.SaveWindowRequest(hall_id=hall.id, window=draft), metadata=ops, timeout=30
                )
            tables = await admin.ListTimetables(
                pb.ListTimetablesRequest(hall_id=hall.id), metadata=ops, timeout=30
            )
            if not tables.timetables:
                t = data["timetable"]
                timetable = pb.Timetable(
                    hall_id=hall.id,
                    sessions=[pb.Session(**s) for s in t["sessions"]],
                    slot_minutes=t["slot_minutes"],
                    capacity=t["capacity"],
                )
                await admin.SaveTimetable(
                    pb.SaveTimetableRequest(timetable=timetable), metadata=ops, timeout=60
                )
    finally:
        await ch.close()
    return opened


async def _hall(
    public: halls_pb2_grpc.HallsServiceStub, spec: dict[str, Any], ops: Any
) -> halls_pb2.Hall | None:
    reply = await public.ListHalls(
        halls_pb2.ListHallsRequest(site_code=spec["site_code"]), metadata=ops, timeout=30
    )
    return next((h for h in reply.halls if h.name == spec["name"]), None)
