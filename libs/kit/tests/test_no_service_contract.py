"""The kit is every service's plumbing: it depends on no one service's contract (the site copy
and the catalogue's labels live in govhall-sitecopy and govhall.contracts.labels)."""

from __future__ import annotations

import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import govhall.kit

KIT = Path(govhall.kit.__file__).parent
SERVICES = ("identity", "catalogue", "cases", "search", "appointments", "consult", "licences", "gateway")
NAMED = re.compile(
    rf"(protos\.({'|'.join(SERVICES)})|contracts\.({'|'.join(SERVICES)}|labels)|{'|'.join(s + '_pb2' for s in SERVICES)})"
)


def test_no_kit_source_imports_a_service_contract() -> None:
    found = [
        f"{path.relative_to(KIT)}: {line.strip()}"
        for path in sorted(KIT.rglob("*.py"))
        for line in path.read_text(encoding="utf-8").splitlines()
        if re.match(r"\s*(from|import) ", line) and NAMED.search(line)
    ]
    assert found == []


def test_importing_every_kit_module_loads_no_service_contract() -> None:
    modules = [
        m.name for m in pkgutil.walk_packages([str(KIT)], "govhall.kit.") if "migrations" not in m.name
    ]
    assert "govhall.kit.bus" in modules and "govhall.kit.labels" in modules
    code = (
        "import importlib, sys\n"
        f"for name in {modules!r}: importlib.import_module(name)\n"
        "print('\\n'.join(sorted(m for m in sys.modules if m.startswith(('govhall.protos.', 'govhall.contracts.')))))"
    )
    loaded = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    assert [m for m in loaded if NAMED.search(m)] == []
