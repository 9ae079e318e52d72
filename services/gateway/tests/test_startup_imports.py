"""What the gateway's process imports to start: no SQLAlchemy (it has no database; kit's
settings once imported it for every process, some MB of the gateway's idle memory)."""

from __future__ import annotations

import subprocess
import sys


def test_the_gateway_starts_without_sqlalchemy() -> None:
    code = "import sys, govhall.gateway.__main__; print('sqlalchemy' in sys.modules)"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "False"
