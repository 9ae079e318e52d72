"""Several processes of one service (kit/workers.py, GOVHALL_<SERVICE>_WORKERS): their gRPC
servers share the port only when asked (workers), the supervisor starts each worker with its
index, forwards SIGTERM, and stops them all with the status of one that exits on its own."""

from __future__ import annotations

import signal
import subprocess
import sys
from pathlib import Path

from govhall.kit.grpcserver import GrpcServer
from govhall.kit.testing import verifier, wait_until_sync

# A worker: notes its index, then waits for SIGTERM (exit 0) or, as worker 1 with FAIL set, exits 3.
WORKER = """
import os, pathlib, signal, sys, time
index = os.environ["GOVHALL_WORKER"]
signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
pathlib.Path(sys.argv[1], index).write_text(str(os.getpid()))
if index == "1" and os.environ.get("FAIL"):
    sys.exit(3)
deadline = time.monotonic() + 60
while time.monotonic() < deadline:
    time.sleep(0.05)
sys.exit(9)
"""
SUPERVISOR = """
import sys
from govhall.kit.workers import supervise
sys.exit(supervise([sys.executable, "-c", sys.argv[1], sys.argv[2]], 2))
"""


async def test_workers_share_a_port_a_single_process_does_not() -> None:
    policy = verifier("catalogue", {"gateway": {"kinds": ["anonymous"]}})
    first = GrpcServer("127.0.0.1:0", [], verifier=policy, reuse_port=True)
    await first.start()
    try:
        second = GrpcServer(first.address, [], verifier=policy, reuse_port=True)
        await second.start()
        assert second.port == first.port
        await second.stop(0)
    finally:
        await first.stop(0)


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


def _start(tmp_path: Path, fail: bool) -> subprocess.Popen[bytes]:
    env = {"PATH": "/usr/bin:/bin", **({"FAIL": "1"} if fail else {})}
    return subprocess.Popen([sys.executable, "-c", SUPERVISOR, WORKER, str(tmp_path)], env=env)


def test_the_supervisor_starts_each_worker_and_forwards_sigterm(tmp_path: Path) -> None:
    proc = _start(tmp_path, fail=False)
    try:
        wait_until_sync(
            lambda: (tmp_path / "0").exists() and (tmp_path / "1").exists(), 30, what="both workers started"
        )
        pids = [int((tmp_path / i).read_text()) for i in ("0", "1")]
        assert len(set(pids)) == 2
        proc.send_signal(signal.SIGTERM)
        assert proc.wait(timeout=30) == 0
        assert not any(_alive(pid) for pid in pids)
    finally:
        proc.kill()
        proc.wait()


def test_a_worker_exiting_stops_the_others_with_its_status(tmp_path: Path) -> None:
    proc = _start(tmp_path, fail=True)
    try:
        assert proc.wait(timeout=30) == 3
        # Worker 0 may have been stopped before it noted itself: the ones that did are gone.
        pids = [int(noted.read_text()) for noted in tmp_path.iterdir()]
        assert pids and not any(_alive(pid) for pid in pids)
    finally:
        proc.kill()
        proc.wait()
