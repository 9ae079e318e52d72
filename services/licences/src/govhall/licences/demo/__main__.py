"""python -m govhall.licences.demo [address] [--holder SUBJECT]: licences' demo types and a demo
citizen's licences of levels A, B and C (as `make up` runs it). `make up` gives them to identity's
demo citizen (the subject `python -m govhall.identity.demo --citizen-file` wrote); --holder may give
the set to any account one registered: its subject is the `id` of GET /api/v1/me."""

from __future__ import annotations

import argparse
import asyncio
import os

from govhall.licences.demo import load_demo_into
from govhall.licences.demo.holdings import load_demo_licences

parser = argparse.ArgumentParser(prog="python -m govhall.licences.demo")
parser.add_argument(
    "address", nargs="?", default=os.environ.get("GOVHALL_LICENCES_GRPC_ADDRESS", "127.0.0.1:50057")
)
parser.add_argument("--holder", default="", help="the account subject to hold the demo licences")
args = parser.parse_args()
print(f"licences demo: {asyncio.run(load_demo_into(args.address))} licence types made at {args.address}")
# The demo citizen's licences (after the types they are of); each holder's set is made once.
made = asyncio.run(load_demo_licences(args.address, holder_subject=args.holder))
print(f"licences demo: {made} demo licences made for {args.holder or 'the demo citizen'}")
