"""Starting all-in-one as a newcomer does (`python -m govhall.allinone`, nothing set up), for the
tests that use it from outside the process."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import httpx
import pytest

from govhall.kit.testing import wait_until_sync


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def allinone_process(var: Path, ready_within: float, **settings: str) -> Iterator[str]:
    """All-in-one on ``var`` with only ``settings`` (GOVHALL_* names) set, none of the test run's
    own; its URL once /readyz answers, within ``ready_within`` seconds. Its log is var/../allinone.log."""
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVHALL_")}
    env.update(GOVHALL_VAR_DIR=str(var), GOVHALL_GATEWAY_PORT=str(port), GOVHALL_LOG_LEVEL="WARNING")
    env.update(settings)
    var.mkdir(parents=True, exist_ok=True)
    log = var.parent / "allinone.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "govhall.allinone"], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    url = f"http://127.0.0.1:{port}"
    try:

        def ready() -> bool:
            if proc.poll() is not None:
                pytest.fail(
                    f"all-in-one exited with {proc.returncode}:\n{log.read_text()[-3000:]}", pytrace=False
                )
            try:
                return httpx.get(f"{url}/readyz", timeout=2).status_code == 200
            except httpx.HTTPError:
                return False

        try:
            wait_until_sync(ready, ready_within, interval=0.3, what="all-in-one ready")
        except AssertionError as err:
            pytest.fail(f"{err}:\n{log.read_text()[-3000:]}", pytrace=False)
        yield url
    finally:
        proc.terminate()
        proc.wait(timeout=30)
