"""python -m govhall.licences.demo [address]: licences' demo types (as `make up` runs it)."""

from __future__ import annotations

import asyncio
import os
import sys

from govhall.licences.demo import load_demo_into

target = (
    sys.argv[1] if len(sys.argv) > 1 else os.environ.get("GOVHALL_LICENCES_GRPC_ADDRESS", "127.0.0.1:50057")
)
print(f"licences demo: {asyncio.run(load_demo_into(target))} licence types made at {target}")
