"""Several processes of one service on one port (issue 20: GOVHALL_<SERVICE>_WORKERS).

A service is one Python process, and under load Python is its limit: cases at a core while the
database had room. With ``workers`` above 1, `run_forever` becomes a supervisor: it migrates the
database once, then starts that many copies of the service (``python -m govhall.<service>``, each
told its index in GOVHALL_WORKER), whose gRPC servers bind the same port with SO_REUSEPORT, so
the kernel spreads the callers' connections over them. Each worker is a replica in all but the
pod: its own outbox relay (the relays share the outbox by leases), its share of the durable
consumers, its own caches (bounded as they are between replicas).

SO_REUSEPORT is on only in workers (GrpcServer's ``reuse_port``): with one worker a second
server given a port already taken is refused at bind, as before (tests' ports clashed when it
was on everywhere). Worker i serves its metrics on ``metrics_port + i``.

The supervisor forwards SIGTERM and SIGINT to the workers and waits for them; if a worker exits
on its own, it stops the others and exits with that worker's status, so that the orchestrator
restarts the pod rather than leave it serving at a fraction of its size.
"""

from __future__ import annotations

import logging
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from types import FrameType

log = logging.getLogger(__name__)

#: Set in each worker process: its index, 0 to workers - 1.
WORKER_ENV = "GOVHALL_WORKER"


def worker_index() -> int | None:
    """This process's index among its service's workers; None when it is not a worker."""
    value = os.environ.get(WORKER_ENV)
    return int(value) if value not in (None, "") else None


def supervise(command: Sequence[str], workers: int, env: dict[str, str] | None = None) -> int:
    """Run ``workers`` copies of ``command`` (each with GOVHALL_WORKER set) until a signal or
    one of them exits; returns the status to exit with."""
    base = dict(os.environ if env is None else env)
    procs: dict[int, subprocess.Popen[bytes]] = {}
    stopping = False
    status = 0

    def stop(signum: int = signal.SIGTERM, _frame: FrameType | None = None) -> None:
        nonlocal stopping
        stopping = True
        for proc in procs.values():
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM if signum == signal.SIGINT else signum)

    previous = {sig: signal.signal(sig, stop) for sig in (signal.SIGTERM, signal.SIGINT)}
    try:
        for index in range(workers):
            proc = subprocess.Popen(list(command), env={**base, WORKER_ENV: str(index)})
            procs[proc.pid] = proc
        while any(proc.returncode is None for proc in procs.values()):
            pid, wait_status = os.wait()
            proc_done = procs.get(pid)
            if proc_done is None:
                continue
            proc_done.returncode = os.waitstatus_to_exitcode(wait_status)
            if not stopping:
                log.error("worker %d exited with %s: stopping the others", pid, proc_done.returncode)
                status = proc_done.returncode or 1
                stop()
    finally:
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        for proc in procs.values():
            if proc.returncode is None:  # only on an error of our own: never leave one behind
                proc.kill()
                proc.wait()
    return status if status > 0 else (1 if status < 0 else 0)


def run_workers(module: str, workers: int, env: dict[str, str]) -> int:
    """The supervisor of `python -m <module>`'s workers (see the module's docstring)."""
    return supervise([sys.executable, "-m", module], workers, env)
