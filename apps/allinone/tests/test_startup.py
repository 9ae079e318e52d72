"""All-in-one starts in seconds and idles small (issue 20): the heavy libraries are imported when
first needed, not by importing the services, and the demo data is loaded once, not on every start."""

from __future__ import annotations

import json
import subprocess
import sys

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
