"""Site instances stay apart on NATS: a province server and a city leaf node, each configured
with the files the chart renders for its level (deploy/helm/govhall/templates/nats-leafnodes.yaml:
jetstream.conf, leafnodes.conf, catalogue-sources.json), only the addresses made local.

The city's catalogue events reach the province's catalogue stream by stream sourcing across
domains; its cases and partner-handover events never cross the link. Both servers are this
test's own (free ports, stores under tmp_path), stopped at the end. The pinned helm comes from
deploy/helm/install-helm.sh, as in test_helm.py.
"""

from __future__ import annotations

import asyncio
import json
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import yaml

from govhall.kit.bus import JetStreamBus
from govhall.kit.events import Event
from govhall.kit.ports import free_port
from govhall.kit.testing import wait_until

pytestmark = pytest.mark.integration

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "govhall"
PROVINCE, CITY = "province-420000", "city-420500"


def _nats_binary() -> str:
    for candidate in (shutil.which("nats-server"), "/usr/sbin/nats-server", "/usr/bin/nats-server"):
        if candidate and Path(candidate).exists():
            return candidate
    pytest.fail("nats-server is not installed (run deploy/local/install.sh)", pytrace=False)


@pytest.fixture(scope="module")
def helm() -> Path:
    proc = subprocess.run(
        ["bash", str(ROOT / "deploy" / "helm" / "install-helm.sh")],
        capture_output=True,
        text=True,
        timeout=1800,
    )
    if proc.returncode != 0:
        pytest.fail(f"install-helm.sh could not provide helm:\n{proc.stderr[-4000:]}", pytrace=False)
    return Path(proc.stdout.strip().splitlines()[-1])


def render_nats(helm: Path, level: str, *sets: str) -> dict[str, str]:
    """The data of <release>-nats-leafnodes for the level's values file, with ``sets``."""
    args = ["template", "govhall", str(CHART), "--values", str(CHART / f"values-{level}.yaml")]
    args += ["--show-only", "templates/nats-leafnodes.yaml"]
    for s in sets:
        args += ["--set", s]
    proc = subprocess.run([str(helm), *args], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    data: dict[str, str] = yaml.safe_load(proc.stdout)["data"]
    return data


class Site:
    """One site's nats-server: the chart's files for its level, its own port and store."""

    def __init__(self, tmp: Path, domain: str, files: dict[str, str]) -> None:
        self.dir = tmp / domain
        self.dir.mkdir()
        self.port = free_port()
        self.url = f"nats://127.0.0.1:{self.port}"
        self.files = files
        for name, text in files.items():
            (self.dir / name).write_text(text)
        assert f'domain: "{domain}"' in files["jetstream.conf"]
        # As the chart's README says: jetstream.conf inside the jetstream block, leafnodes.conf on top.
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
def sites(tmp_path: Path, helm: Path) -> Iterator[tuple[Site, Site]]:
    province_leaf, city_leaf = free_port(), free_port()
    province_files = render_nats(helm, "province", f"nats.leafnodes.listen.port={province_leaf}")
    # The city's link to the province, local and without the credentials file (no leaf users here).
    city_files = render_nats(
        helm,
        "city",
        f"nats.leafnodes.listen.port={city_leaf}",
        f"nats.leafnodes.remotes[0].url=nats-leaf://127.0.0.1:{province_leaf}",
        "nats.leafnodes.remotes[0].credentials=",
    )
    assert "credentials" not in city_files["leafnodes.conf"]
    started: list[Site] = []
    try:
        started.append(Site(tmp_path, PROVINCE, province_files))
        started.append(Site(tmp_path, CITY, city_files))
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
    from nats.js.api import StreamConfig, StreamSource

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
        # Keyed by the matter (the stream keeps the last message per subject): two matters.
        matter = Event("catalogue.matter.published.M-CITY", b"city matter")
        await city_bus.publish(matter)
        await province_bus.publish(Event("catalogue.matter.published.M-PROVINCE", b"province matter"))
        province_js = province_nc.jetstream(domain=PROVINCE)
        city_js = province_nc.jetstream(domain=CITY)
        assert (await city_js.stream_info("GOVHALL_CATALOGUE")).state.messages == 1
        assert (await province_js.stream_info("GOVHALL_CATALOGUE")).state.messages == 1

        # The province's catalogue stream applies the sources the chart renders for it
        # (catalogue-sources.json): the city's event arrives, once.
        wanted = json.loads(province.files["catalogue-sources.json"])
        info = await province_js.stream_info(wanted["name"])
        config: StreamConfig = info.config
        config.sources = [StreamSource.from_response(dict(source)) for source in wanted["sources"]]
        await province_js.update_stream(config)

        async def sourced() -> bool:
            return bool((await province_js.stream_info("GOVHALL_CATALOGUE")).state.messages >= 2)

        await wait_until(sourced, 30, interval=0.2, what="the city's matter sourced into the province")
        got = await province_js.get_last_msg("GOVHALL_CATALOGUE", "catalogue.matter.published.M-CITY")
        # Once: the plain publish did not also reach the province's stream across the link.
        assert (await province_js.stream_info("GOVHALL_CATALOGUE")).state.messages == 2
        assert got.data == b"city matter"
        assert got.headers and got.headers.get("Nats-Msg-Id") == matter.event_id

        # A cases or partner-handover event published in the city never crosses: a marker
        # published after it on the same connection over the same link arrives, and it did not.
        crossed: list[str] = []
        markers: list[str] = []

        async def on_site_only(msg: Any) -> None:
            crossed.append(msg.subject)

        async def on_marker(msg: Any) -> None:
            markers.append(msg.subject)

        cases_sub = await province_nc.subscribe("cases.>", cb=on_site_only)
        exchange_sub = await province_nc.subscribe("exchange.>", cb=on_site_only)
        # Not an application subject: the link carries it.
        marker_sub = await province_nc.subscribe("probe.marker", cb=on_marker)
        await province_nc.flush()

        async def marker_arrived() -> bool:
            await city_bus.publish(Event("cases.case.accepted", b"a city case"))
            await city_bus.publish(Event("exchange.handover.sent", b"a partner handover"))
            await city_nc.publish("cases.case.concluded", b"a plain city case event")
            await city_nc.publish("probe.marker", b"after the cases events")
            await city_nc.flush()
            await asyncio.sleep(0)
            return bool(markers)

        await wait_until(marker_arrived, 20, interval=0.2, what="a marker across the link")
        assert crossed == []
        # Both stay in the city's own streams; the province has neither.
        for stream in ("GOVHALL_CASES", "GOVHALL_EXCHANGE"):
            assert (await city_js.stream_info(stream)).state.messages >= 1
            with pytest.raises(Exception, match="not found"):
                await province_js.stream_info(stream)
        await cases_sub.unsubscribe()
        await exchange_sub.unsubscribe()

        # The link is up and the province's stream exists: a catalogue event the city publishes
        # now is stored in the province once, by the source, not also captured across the link
        # (a plain catalogue.> let across would be: the chart denies it).
        await city_nc.publish("catalogue.matter.late", b"published with the link up")
        await city_nc.flush()

        async def late_sourced() -> bool:
            try:
                await province_js.get_last_msg("GOVHALL_CATALOGUE", "catalogue.matter.late")
            except Exception:
                return False
            return True

        await wait_until(late_sourced, 30, interval=0.2, what="the late matter sourced into the province")
        late = await province_js.stream_info("GOVHALL_CATALOGUE", subjects_filter="catalogue.matter.late")
        assert late.state.subjects == {"catalogue.matter.late": 1}

        # The bus's API requests go to the domain it is given, whichever server it is connected
        # to: one on the province's server with the city's domain makes its stream in the city.
        remote_bus = JetStreamBus(province.url, domain=CITY)
        try:
            await remote_bus.start()
            await remote_bus._ensure_stream("probe")
        finally:
            await remote_bus.close()
        assert (await city_js.stream_info("GOVHALL_PROBE")).config.subjects == ["probe.>"]
        with pytest.raises(Exception, match="not found"):
            await province_js.stream_info("GOVHALL_PROBE")
        await marker_sub.unsubscribe()
    finally:
        await city_bus.close()
        await province_bus.close()
        await city_nc.close()
        await province_nc.close()
