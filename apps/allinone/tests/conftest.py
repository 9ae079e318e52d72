"""Starting all-in-one as a newcomer does (`python -m govhall.allinone`, nothing set up), for the
tests that use it from outside the process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest

from govhall.kit.testing import free_port, wait_until_sync


def partner_endpoints() -> str:
    """GOVHALL_ALLINONE_PARTNER_ENDPOINTS on free ports: all-in-one's own 50159 and 50169 may be a
    developer's `make run`, or another test's all-in-one."""
    return json.dumps({code: f"127.0.0.1:{free_port()}" for code in ("420000", "430000")})


@dataclass
class Spawned:
    proc: subprocess.Popen[bytes]
    url: str
    log: Path

    def ready(self) -> bool:
        if self.proc.poll() is not None:
            pytest.fail(
                f"all-in-one exited with {self.proc.returncode}:\n{self.log.read_text()[-3000:]}",
                pytrace=False,
            )
        try:
            return httpx.get(f"{self.url}/readyz", timeout=2).status_code == 200
        except httpx.HTTPError:
            return False


def _spawn(var: Path, settings: dict[str, str]) -> Spawned:
    port = free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVHALL_")}
    env.update(GOVHALL_VAR_DIR=str(var), GOVHALL_GATEWAY_PORT=str(port), GOVHALL_LOG_LEVEL="WARNING")
    env.update(GOVHALL_ALLINONE_PARTNER_ENDPOINTS=partner_endpoints())
    env.update(settings)
    var.mkdir(parents=True, exist_ok=True)
    log = var.parent / "allinone.log"
    with log.open("wb") as out:
        proc = subprocess.Popen(
            [sys.executable, "-m", "govhall.allinone"], env=env, stdout=out, stderr=subprocess.STDOUT
        )
    return Spawned(proc, f"http://127.0.0.1:{port}", log)


@contextmanager
def allinone_processes(ready_within: float, *instances: tuple[Path, dict[str, str]]) -> Iterator[list[str]]:
    """All-in-one processes on their var dirs with only their settings (GOVHALL_* names) set,
    none of the test run's own (partner endpoints on free ports unless the settings name them),
    started at once; their URLs once each /readyz answers, all within ``ready_within`` seconds.
    Each one's log is var/../allinone.log."""
    spawned: list[Spawned] = []
    try:
        for var, settings in instances:
            spawned.append(_spawn(var, settings))
        for one in spawned:
            try:
                wait_until_sync(one.ready, ready_within, interval=0.3, what="all-in-one ready")
            except AssertionError as err:
                pytest.fail(f"{err}:\n{one.log.read_text()[-3000:]}", pytrace=False)
        yield [one.url for one in spawned]
    finally:
        for one in spawned:
            one.proc.terminate()
        for one in spawned:
            one.proc.wait(timeout=30)


@contextmanager
def allinone_process(var: Path, ready_within: float, **settings: str) -> Iterator[str]:
    """All-in-one on ``var`` with only ``settings`` set (allinone_processes); its URL once ready."""
    with allinone_processes(ready_within, (var, settings)) as [url]:
        yield url
