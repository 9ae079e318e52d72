"""python -m govhall.allinone: every built service in one process, on embedded back ends.

The same code paths as the cluster: each service runs its own gRPC server (on a loopback
port), the gateway calls them over gRPC, events go through each service's outbox and relay;
only the back ends differ: SQLite files under var/, the in-process bus, the SQLite FTS5 index
and one key-value file, var/kv.db, for rate limits, login lock-outs, revoked sessions and hot
words (shared by identity, the gateway and every service's session check as Redis would be, and
kept across restarts as Redis keeps them). A demo province and demo staff accounts are loaded
through the services' own APIs; SMS codes are "sent" to var/dev-sms.jsonl.
"""

from __future__ import annotations

import gc

# No cyclic garbage collection while starting: importing every service and building their
# pydantic models and routes allocates hundreds of thousands of long-lived objects, and each
# full collection walks them all again (py-spy and -X importtime: a fifth of the import's CPU
# in the collector). One collection once started, then the survivors are frozen out of later
# collections (gc.freeze) so serving does not walk them either.
gc.disable()

import asyncio  # noqa: E402
import contextlib  # noqa: E402
import logging  # noqa: E402
import os  # noqa: E402
import signal  # noqa: E402
import socket  # noqa: E402
from collections.abc import Callable  # noqa: E402

import uvicorn  # noqa: E402

from govhall.allinone.stack import start  # noqa: E402
from govhall.gateway.api import server_config  # noqa: E402
from govhall.kit import memory, observability  # noqa: E402
from govhall.kit.settings import PlatformSettings  # noqa: E402

log = logging.getLogger("govhall.allinone")

DEV_ADMIN_TOKEN = "govhall-dev-admin"


class _Server(uvicorn.Server):
    """uvicorn's server, telling the all-in-one when it serves (its lifespan has run, its socket
    listens) so work that would slow the start runs after it."""

    def __init__(self, config: uvicorn.Config, on_started: Callable[[], object]) -> None:
        super().__init__(config)
        self._on_started = on_started

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        await super().startup(sockets)
        if self.started:
            self._on_started()


async def settle() -> None:
    """Once serving: cases' PDF renderer made ready (so the first notice is not slow), then the
    start-up's garbage collected and the rest frozen."""
    from govhall.cases import documents

    await asyncio.to_thread(documents.warm_up)
    collect_and_freeze()


def collect_and_freeze() -> None:
    """Start-up's garbage collected once, what survives kept out of later collections, the freed
    memory returned (kit's memory.settle), and the collector on again (it was off while
    starting: see the top of this module)."""
    memory.settle()
    gc.enable()


async def main() -> None:
    memory.limit_arenas()  # before the services start their threads (kit/memory.py)
    # Embedded back ends whatever the environment says: this mode is for one machine.
    platform = PlatformSettings(nats_url=None, redis_url=None, elasticsearch_url=None)
    observability.setup("allinone", platform.log_level)
    stack = await start(platform, os.environ.get("GOVHALL_GATEWAY_ADMIN_TOKEN", DEV_ADMIN_TOKEN))
    gateway_settings = stack.gateway_settings
    settling: list[asyncio.Task[None]] = []
    # Served as the gateway's own process serves it: our redacting log handler, no uvicorn
    # X-Forwarded-For trust (the gateway's trusted_proxies decide).
    server = _Server(
        server_config(stack.app, gateway_settings, platform.log_level),
        lambda: settling.append(asyncio.create_task(settle(), name="allinone-settle")),
    )
    if gateway_settings.metrics_port is not None:
        # Every service's metrics (one process, one registry), apart from the API, on its host.
        observability.serve_metrics(gateway_settings.metrics_port, gateway_settings.host)
    # Our own handlers stop the gateway and then the services, in that order.
    server.capture_signals = contextlib.nullcontext  # type: ignore[method-assign,assignment]
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, lambda: setattr(server, "should_exit", True))
    log.info(
        "govhall all-in-one on http://%s:%d (the portal at /, API docs at /docs; admin token: %s)",
        gateway_settings.host,
        gateway_settings.port,
        "from GOVHALL_GATEWAY_ADMIN_TOKEN"
        if "GOVHALL_GATEWAY_ADMIN_TOKEN" in os.environ
        else DEV_ADMIN_TOKEN,
    )
    try:
        await server.serve()
    finally:
        for task in settling:
            task.cancel()
        await stack.stop()


if __name__ == "__main__":
    asyncio.run(main())
