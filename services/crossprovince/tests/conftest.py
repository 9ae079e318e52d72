"""Crossprovince's tests: two province instances over mutual TLS (world.py)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from .world import World, make_world


@pytest.fixture
async def world(tmp_path: Path, db_url: str, start_service: Any, platform: Any) -> AsyncIterator[World]:
    yield await make_world(tmp_path, db_url, start_service, platform)
