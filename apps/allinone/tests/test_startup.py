"""All-in-one starts in seconds and idles small (issue 20): the heavy libraries are imported when
first needed, not by importing the services, and the demo data is loaded once, not on every start."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
from pathlib import Path

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
