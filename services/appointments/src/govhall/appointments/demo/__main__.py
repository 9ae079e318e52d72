"""python -m govhall.appointments.demo [address]: appointments' demo halls (as `make up` runs it)."""

from __future__ import annotations

import asyncio
import os
import sys

from govhall.appointments.demo import load_demo_into

target = (
    sys.argv[1]
    if len(sys.argv) > 1
    else os.environ.get("GOVHALL_APPOINTMENTS_GRPC_ADDRESS", "127.0.0.1:50056")
)
print(f"appointments demo: {asyncio.run(load_demo_into(target))} halls opened at {target}")
