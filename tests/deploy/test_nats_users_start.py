"""deploy/local/start.sh moves a NATS that lets anybody in (started before NATS had users) onto
users, keeping its streams: reloaded in place when this checkout started it, restarted when
another did. Each test runs its own nats-server on free ports under a var/ of its own."""

from __future__ import annotations

import asyncio
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from govhall.kit.ports import free_port
from govhall.kit.testing import wait_until_sync

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.integration


class Local:
    """A var/ and NATS ports of the test's own, as env.sh would see them."""

    def __init__(self, tmp: Path) -> None:
        self.var = tmp / "var"
        self.port, self.monitor = free_port(), free_port()
        self.env = {k: v for k, v in os.environ.items() if not k.startswith("GOVHALL_")}
        self.env.update(
            {
                "GOVHALL_VAR": str(self.var),
                "GOVHALL_NATS_PORT": str(self.port),
                "GOVHALL_NATS_MONITOR_PORT": str(self.monitor),
            }
        )
        self.url = f"nats://127.0.0.1:{self.port}"
        for d in ("etc", "run", "log", "nats"):
            (self.var / d).mkdir(parents=True, exist_ok=True)

    def start_without_users(self, *, pid_file: bool) -> int:
        """nats-server as start.sh ran it before NATS had users (detached, as start.sh does)."""
        conf = self.var / "etc" / "nats.conf"
        # The config start.sh wrote then, word for word.
        conf.write_text(
            "server_name: govhall-local\n"
            f'listen: "127.0.0.1:{self.port}"\n'
            f'http: "127.0.0.1:{self.monitor}"\n'
            + (f'pid_file: "{self.var}/run/nats.pid"\n' if pid_file else "")
            + "max_payload: 8MB\n"
            f'jetstream {{\n  store_dir: "{self.var}/nats"\n  max_memory_store: 256MB\n'
            "  max_file_store: 8GB\n}\n"
        )
        out = subprocess.run(
            [
                "bash",
                "-c",
                f'setsid nats-server -c "{conf}" >>"{self.var}/log/nats.log" 2>&1 </dev/null & echo $!',
            ],
            capture_output=True,
            text=True,
            check=True,
        )
        pid = int(out.stdout.strip())
        wait_until_sync(lambda: self.answers(None), 15, what="the old nats-server up")
        return pid

    def start_sh(self) -> str:
        done = subprocess.run(
            ["bash", "deploy/local/start.sh", "nats"], cwd=ROOT, env=self.env, capture_output=True, text=True
        )
        assert done.returncode == 0, done.stdout + done.stderr
        return done.stdout + done.stderr

    def secret(self, principal: str) -> str:
        for line in (self.var / "etc" / "secrets.env").read_text().splitlines():
            key, _, value = line.partition("=")
            if key == f"GOVHALL_SECRET_NATS_{principal.upper()}":
                return value
        raise KeyError(principal)

    def answers(self, user: str | None) -> bool:
        """Does the server let ``user`` (None: nobody in particular) in?"""
        return asyncio.run(self._messages(user, None)) is not None

    async def _messages(self, user: str | None, stream: str | None) -> int | None:
        import nats

        creds: dict[str, Any] = {"user": user, "password": self.secret(user)} if user else {}
        try:
            nc = await nats.connect(self.url, allow_reconnect=False, connect_timeout=2, **creds)
        except Exception:
            return None
        try:
            if stream is None:
                return 0
            return int((await nc.jetstream().stream_info(stream)).state.messages)
        finally:
            await nc.close()

    def messages(self, stream: str) -> int | None:
        return asyncio.run(self._messages("admin", stream))

    def alive(self, pid: int) -> bool:
        try:
            return b"nats-server" in Path(f"/proc/{pid}/cmdline").read_bytes()
        except OSError:
            return False


@pytest.fixture
def local(tmp_path: Path) -> Iterator[Local]:
    here = Local(tmp_path)
    yield here
    # Whatever nats-server this test left running (its own, or the one start.sh started).
    pids = (
        {int(p) for p in (here.var / "run" / "nats.pid").read_text().split()}
        if (here.var / "run" / "nats.pid").exists()
        else set()
    )
    pids |= set(getattr(here, "started", ()))
    for pid in pids:
        if here.alive(pid):
            os.kill(pid, 15)
    for pid in pids:
        wait_until_sync(lambda pid=pid: not here.alive(pid), 15, what=f"nats-server {pid} stopped")


async def _publish_anonymously(url: str) -> None:
    import nats

    nc = await nats.connect(url, allow_reconnect=False)
    js = nc.jetstream()
    await js.add_stream(name="GOVHALL_CATALOGUE", subjects=["catalogue.>"])
    await js.publish("catalogue.matter.published", b"kept")
    await nc.close()


@pytest.mark.parametrize("ours", [True, False], ids=["started-here-reloaded", "started-elsewhere-restarted"])
def test_a_nats_without_users_gets_them_and_keeps_its_streams(local: Local, ours: bool) -> None:
    old = local.start_without_users(pid_file=ours)
    local.started = [old]  # type: ignore[attr-defined]
    asyncio.run(_publish_anonymously(local.url))
    assert local.answers(None)

    out = local.start_sh()

    assert ("reloading" in out) if ours else ("lets anybody in: restarting it with users" in out), out
    assert local.alive(old) is ours  # reloaded in place, or replaced
    assert not local.answers(None)
    assert local.answers("cases")
    assert local.messages("GOVHALL_CATALOGUE") == 1
    # Idempotent: the next run finds it as it should be.
    assert "nats already up" in local.start_sh()
