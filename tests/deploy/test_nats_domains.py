"""Site instances stay apart on NATS: a province server and a city leaf node, each with its own
JetStream domain, linked as the chart renders them (deploy/helm/govhall/templates/nats-leafnodes.yaml).

The city's catalogue events reach the province's catalogue stream by stream sourcing across
domains; its cases events never cross the link. Both servers are this test's own (free ports,
stores under tmp_path), stopped at the end.
"""

from __future__ import annotations

import asyncio
import shutil
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from govhall.kit.bus import JetStreamBus
from govhall.kit.events import Event
from govhall.kit.testing import wait_until

pytestmark = pytest.mark.integration

PROVINCE, CITY = "province-420000", "city-420500"
# What the chart's leaf-node remote denies in both directions (values.yaml nats.leafnodes.siteOnly),
# and catalogue.> downwards: the province's own catalogue does not flow into its cities.
SITE_ONLY = ["identity.>", "cases.>", "consult.>", "appointments.>", "licences.>", "exchange.>"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _nats_binary() -> str:
    for candidate in (shutil.which("nats-server"), "/usr/sbin/nats-server", "/usr/bin/nats-server"):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail("nats-server is not installed (run deploy/local/install.sh)", pytrace=False)


def _quoted(subjects: list[str]) -> str:
    return ", ".join(f'"{s}"' for s in subjects)


class Site:
    """One site's nats-server: its own domain, port and store, configured as the chart renders."""

    def __init__(self, tmp: Path, domain: str, leaf_port: int, remote: int | None) -> None:
        self.dir = tmp / domain
        self.dir.mkdir()
        self.port = free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        # The chart's two files: the domain (included inside the jetstream block), the leaf block.
        (self.dir / "jetstream.conf").write_text(f'domain: "{domain}"\n')
        remotes = ""
        if remote is not None:
            remotes = (
                f'  remotes: [{{ urls: ["nats-leaf://127.0.0.1:{remote}"],\n'
                f"    deny_exports: [{_quoted(SITE_ONLY)}],\n"
                f"    deny_imports: [{_quoted([*SITE_ONLY, 'catalogue.>'])}] }}]\n"
            )
        (self.dir / "leafnodes.conf").write_text(f"leafnodes {{\n  port: {leaf_port}\n{remotes}}}\n")
        (self.dir / "nats.conf").write_text(
            f'listen: "127.0.0.1:{self.port}"\nserver_name: {domain}\n'
            f'jetstream {{\n  store_dir: "{self.dir / "store"}"\n  include jetstream.conf\n}}\n'
            "include leafnodes.conf\n"
        )
        self.log = open(self.dir / "nats.log", "wb")  # closed in stop()
        self.proc = subprocess.Popen(
            [_nats_binary(), "-c", str(self.dir / "nats.conf")],
            stdout=self.log,
            stderr=subprocess.STDOUT,
            stdin=subprocess.DEVNULL,
        )

    def tail(self) -> str:
        return (self.dir / "nats.log").read_text(errors="replace")[-3000:]

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        self.log.close()


@pytest.fixture
def sites(tmp_path: Path) -> Iterator[tuple[Site, Site]]:
    province_leaf = free_port()
    started: list[Site] = []
    try:
        started.append(Site(tmp_path, PROVINCE, province_leaf, None))
        started.append(Site(tmp_path, CITY, free_port(), province_leaf))
        yield started[0], started[1]
    finally:
        for site in started:
            site.stop()


async def _connect(site: Site) -> Any:
    import nats

    async def up() -> bool:
        if site.proc.poll() is not None:
            raise AssertionError(f"nats-server exited with {site.proc.returncode}:\n{site.tail()}")
        try:
            nc = await nats.connect(site.url, connect_timeout=1, allow_reconnect=False)
        except Exception:
            return False
        await nc.close()
        return True

    await wait_until(up, 20, interval=0.1, what=f"nats-server {site.url}")
    return await nats.connect(site.url)


async def _leaf_linked(province_nc: Any) -> None:
    """The city's leaf connection is up: the province can reach the city's JetStream domain."""

    async def linked() -> bool:
        try:
            await province_nc.jetstream(domain=CITY, timeout=1).account_info()
        except Exception:
            return False
        return True

    await wait_until(linked, 20, interval=0.2, what="the city's leaf-node link to the province")


@pytest.mark.timeout(120)
async def test_city_catalogue_reaches_the_province_by_sourcing_and_cases_do_not_cross(
    sites: tuple[Site, Site],
) -> None:
    from nats.js.api import ExternalStream, StreamConfig, StreamSource

    province, city = sites
    province_nc = await _connect(province)
    city_nc = await _connect(city)
    city_bus = JetStreamBus(city.url, domain=CITY)
    province_bus = JetStreamBus(province.url, domain=PROVINCE)
    try:
        await _leaf_linked(province_nc)
        await city_bus.start()
        await province_bus.start()

        # Each level's streams live in its own domain: the same names, apart.
        matter = Event("catalogue.matter.published", b"city matter")
        await city_bus.publish(matter)
        await province_bus.publish(Event("catalogue.matter.published", b"province matter"))
        province_js = province_nc.jetstream(domain=PROVINCE)
        city_js = province_nc.jetstream(domain=CITY)
        assert (await city_js.stream_info("GOVHALL_CATALOGUE")).state.messages == 1
        assert (await province_js.stream_info("GOVHALL_CATALOGUE")).state.messages == 1

        # The province's catalogue stream sources the city's (the config the chart renders into
        # catalogue-sources.json): the city's event arrives, once.
        info = await province_js.stream_info("GOVHALL_CATALOGUE")
        config: StreamConfig = info.config
        config.sources = [
            StreamSource(
                name="GOVHALL_CATALOGUE",
                filter_subject="catalogue.>",
                external=ExternalStream(api=f"$JS.{CITY}.API"),
            )
        ]
        await province_js.update_stream(config)

        async def sourced() -> bool:
            return bool((await province_js.stream_info("GOVHALL_CATALOGUE")).state.messages >= 2)

        await wait_until(sourced, 30, interval=0.2, what="the city's matter sourced into the province")
        got = await province_js.get_last_msg("GOVHALL_CATALOGUE", "catalogue.matter.published")
        # Once: the plain publish did not also reach the province's stream across the link.
        assert (await province_js.stream_info("GOVHALL_CATALOGUE")).state.messages == 2
        assert got.data == b"city matter"
        assert got.headers and got.headers.get("Nats-Msg-Id") == matter.event_id

        # A cases event published in the city never crosses: a marker published after it on the
        # same connection over the same link arrives, and the cases event did not before it.
        crossed: list[str] = []
        markers: list[str] = []

        async def on_cases(msg: Any) -> None:
            crossed.append(msg.subject)

        async def on_marker(msg: Any) -> None:
            markers.append(msg.subject)

        cases_sub = await province_nc.subscribe("cases.>", cb=on_cases)
        marker_sub = await province_nc.subscribe("catalogue.marker", cb=on_marker)
        await province_nc.flush()

        async def marker_arrived() -> bool:
            await city_bus.publish(Event("cases.case.accepted", b"a city case"))
            await city_nc.publish("cases.case.concluded", b"a plain city case event")
            await city_nc.publish("catalogue.marker", b"after the cases events")
            await city_nc.flush()
            await asyncio.sleep(0)
            return bool(markers)

        await wait_until(marker_arrived, 20, interval=0.2, what="a catalogue marker across the link")
        assert crossed == []
        assert (await city_js.stream_info("GOVHALL_CASES")).state.messages >= 1
        with pytest.raises(Exception, match="not found"):
            await province_js.stream_info("GOVHALL_CASES")
        await cases_sub.unsubscribe()
        await marker_sub.unsubscribe()
    finally:
        await city_bus.close()
        await province_bus.close()
        await city_nc.close()
        await province_nc.close()
