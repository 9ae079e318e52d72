"""A ServiceSpec is generic over its settings class: wiring reads its own settings typed, and a
host given another service's settings is a type error (checked with mypy, as CI does)."""

from __future__ import annotations

import textwrap
from pathlib import Path

import pytest
from mypy import api

ROOT = Path(__file__).resolve().parents[3]

SNIPPET = """
from pathlib import Path
from typing import assert_type

from govhall.kit.bus import InProcessBus
from govhall.kit.service import Registration, ServiceContext, ServiceHost, ServiceSpec
from govhall.kit.settings import PlatformSettings, ServiceSettings


class OwnSettings(ServiceSettings):
    shelf: str = "a"


class OtherSettings(ServiceSettings):
    drawer: int = 1


async def wire(ctx: ServiceContext[OwnSettings]) -> list[Registration]:
    assert_type(ctx.settings, OwnSettings)
    assert_type(ctx.settings.shelf, str)
    return []


SPEC = ServiceSpec[OwnSettings](name="own", migrations=Path("m"), callers=Path("c"), wire=wire)
ServiceHost(SPEC, OwnSettings(), PlatformSettings(), InProcessBus())
ServiceHost(SPEC, OtherSettings(), PlatformSettings(), InProcessBus())  # refused
"""


def test_a_services_wiring_sees_its_own_settings_class(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The kit's sources, as the project's mypy run sees them (not an installed copy).
    monkeypatch.setenv("MYPYPATH", str(ROOT / "libs" / "kit" / "src"))
    source = tmp_path / "own_service.py"
    text = textwrap.dedent(SNIPPET).lstrip()
    source.write_text(text)
    refused = 1 + next(i for i, line in enumerate(text.splitlines()) if line.endswith("# refused"))
    # A cache of its own: mypy's shared cache keys a module by name and would replay the errors
    # of an earlier run's own_service.py, with that run's path in them.
    out, err, _ = api.run(
        [str(source), "--config-file", str(ROOT / "pyproject.toml"), "--cache-dir", str(tmp_path / "cache")]
    )
    errors = [line for line in out.splitlines() if ": error:" in line]
    assert len(errors) == 1, out + err
    # Another service's settings for this spec: the host cannot be typed.
    assert errors[0].startswith(f"{source}:{refused}:") and '"ServiceHost"' in errors[0]
