"""A loopback port free now, for a server that binds it a moment later.

A port chosen by binding `:0` comes from the kernel's ephemeral range, the same range the kernel
hands every other `:0` server and every client connection's own end: one of those could take it
between the choice and the bind, and the server then fails to start (CI saw it twice in two runs,
once in the all-in-one's own start-up). Choosing below that range leaves only processes that pick
ports the same way to collide with, and `free_port` checks the port is free when it returns it.
"""

from __future__ import annotations

import contextlib
import random
import socket
from pathlib import Path

# Ports below the ephemeral range this far down are ours to try (and above 1024, unprivileged).
_SPAN = 12_000
_TRIES = 200


def _ephemeral_low() -> int:
    with contextlib.suppress(OSError, ValueError, IndexError):
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    return 32768  # Linux's default when the range cannot be read


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that nothing is bound to now, below the kernel's ephemeral range."""
    low = _ephemeral_low()
    for _ in range(_TRIES):
        port = random.randrange(max(1024, low - _SPAN), low)
        with socket.socket() as s:
            try:
                s.bind((host, port))
            except OSError:
                continue
            return port
    with socket.socket() as s:  # every try taken (a crowded machine): any free port, as before
        s.bind((host, 0))
        return int(s.getsockname()[1])
