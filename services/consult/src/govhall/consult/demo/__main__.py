"""python -m govhall.consult.demo [address]: consult's demo data (as `make up` runs it)."""

from __future__ import annotations

import asyncio
import os
import sys

from govhall.consult.demo import load_demo_into

target = (
    sys.argv[1] if len(sys.argv) > 1 else os.environ.get("GOVHALL_CONSULT_GRPC_ADDRESS", "127.0.0.1:50055")
)
print(f"consult demo: {asyncio.run(load_demo_into(target))} public Q&As and a pending letter at {target}")
