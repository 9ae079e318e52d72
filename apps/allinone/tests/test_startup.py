"""All-in-one starts in seconds and idles small (issue 20): the heavy libraries are imported when
first needed, not by importing the services, and the demo data is loaded once, not on every start."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from govhall.allinone import demo

# Each costs a second or more and tens of MB at import (bench/startup_memory.py measures them).
HEAVY = ("jieba", "pypinyin", "pypdf", "segno", "weasyprint", "elasticsearch", "openpyxl")


def test_importing_the_allinone_imports_no_heavy_library() -> None:
    code = (
        "import json, sys; import govhall.allinone.__main__; "
        f"print(json.dumps([m for m in {HEAVY!r} if m in sys.modules]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_importing_the_allinone_imports_no_demo_loader() -> None:
    # A warm restart loads no demo: its loaders and their data are imported by a first start only.
    loaders = ("govhall.appointments.demo", "govhall.catalogue.demo")
    code = (
        "import json, sys; import govhall.allinone.__main__; "
        f"print(json.dumps([m for m in {loaders!r} if m in sys.modules]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == []


def test_the_demo_mark_lives_in_each_database_the_demo_wrote_to(tmp_path: Path) -> None:
    for service in demo.SERVICES:
        sqlite3.connect(tmp_path / f"{service}.db").close()
    assert not demo.loaded(tmp_path)

    demo.mark(tmp_path)
    assert demo.loaded(tmp_path)

    # A database deleted (or replaced by an empty one) has lost the demo: it is loaded again.
    (tmp_path / "consult.db").unlink()
    assert not demo.loaded(tmp_path)
    sqlite3.connect(tmp_path / "consult.db").close()
    assert not demo.loaded(tmp_path)


def test_the_collector_is_off_while_starting_and_on_once_started() -> None:
    code = (
        "import gc, json; import govhall.allinone.__main__ as m; off = not gc.isenabled(); "
        "m.collect_and_freeze(); print(json.dumps([off, gc.isenabled(), gc.get_freeze_count() > 0]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [True, True, True]


def test_once_serving_the_pdf_renderer_is_warmed_and_the_start_up_frozen() -> None:
    code = (
        "import asyncio, gc, json; import govhall.allinone.__main__ as m; from govhall.cases import documents; "
        "warmed = []; documents.warm_up = lambda: warmed.append(1); asyncio.run(m.settle()); "
        "print(json.dumps([warmed, gc.isenabled(), gc.get_freeze_count() > 0]))"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True
    )
    assert json.loads(out.stdout.strip().splitlines()[-1]) == [[1], True, True]


async def test_cases_warms_the_pdf_renderer_at_start_only_when_told(monkeypatch: pytest.MonkeyPatch) -> None:
    from govhall.cases import app as cases_app
    from govhall.cases import documents, notices

    warmed: list[int] = []
    repaired: list[object] = []

    async def repair(deps: object) -> None:
        repaired.append(deps)

    monkeypatch.setattr(documents, "warm_up", lambda: warmed.append(1))
    monkeypatch.setattr(notices, "repair", repair)
    await cases_app._warm_up_and_repair(object(), False)  # type: ignore[arg-type]
    assert (warmed, len(repaired)) == ([], 1)  # pending notices are still repaired
    await cases_app._warm_up_and_repair(object(), True)  # type: ignore[arg-type]
    assert (warmed, len(repaired)) == ([1], 2)
