"""The events search publishes (see `govhall.contracts` for why the registry lives here): that
it has applied a change to what it answers, for the caches of its answers to forget them."""

from __future__ import annotations

from typing import Final

from govhall.contracts.registry import EventType, Registry
from govhall.protos.search.v1 import search_pb2 as pb

INDEX_CHANGED: Final = EventType("search.index.changed", pb.IndexChanged)

REGISTRY: Final = Registry("search", [INDEX_CHANGED])
