"""python -m govhall.licences.demo [address]: licences' demo types and the demo citizen's licences (as
`make up` runs it)."""

from __future__ import annotations

import asyncio
import os
import sys

from govhall.licences.demo import load_demo_into
from govhall.licences.demo.holdings import load_demo_licences

target = (
    sys.argv[1] if len(sys.argv) > 1 else os.environ.get("GOVHALL_LICENCES_GRPC_ADDRESS", "127.0.0.1:50057")
)
print(f"licences demo: {asyncio.run(load_demo_into(target))} licence types made at {target}")
# The demo citizen's licences of levels A, B and C (after the types they are of).
print(f"licences demo: {asyncio.run(load_demo_licences(target))} of the demo citizen's licences made")
