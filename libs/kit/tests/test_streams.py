"""Stream retention is declared once (kit.streams) and applied to streams that already exist,
keeping what the declaration does not cover (a parent site's catalogue sources)."""

from __future__ import annotations

import uuid
from dataclasses import replace
from typing import Any

import pytest
from nats.js.api import StreamConfig, StreamSource

from govhall.kit.bus import DurableFilterChanged, JetStreamBus
from govhall.kit.events import Event
from govhall.kit.streams import EVENTS, STATE, STREAMS, StreamSettings
from govhall.kit.testing import cluster_bus, wait_until


def test_the_catalogue_keeps_state_and_the_others_keep_events() -> None:
    assert STREAMS["catalogue"] == STATE and STATE.max_age == 0 and STATE.max_msgs_per_subject == 1
    for stem in ("identity", "cases", "appointments", "consult", "licences", "deadletter"):
        assert STREAMS[stem] == EVENTS and EVENTS.max_age == 14 * 24 * 3600


async def _bus(cluster: dict[str, str], prefix: str, **options: Any) -> JetStreamBus:
    bus: JetStreamBus = cluster_bus(cluster, "admin", prefix, **options)
    await bus.start()
    return bus


async def test_an_existing_stream_takes_the_declared_settings_and_keeps_its_sources(
    cluster: dict[str, str],
) -> None:
    prefix = f"T{uuid.uuid4().hex[:8].upper()}"
    old = await _bus(cluster, prefix, streams={**STREAMS, "catalogue": EVENTS})
    new: JetStreamBus | None = None
    try:
        # As every deployment's catalogue stream was made before: 14 days, every message kept,
        # and (on a parent site) sourcing a child's catalogue, here a stream of this test's own.
        name = await old._ensure_stream("catalogue")
        await old._js.add_stream(StreamConfig(name=f"{prefix}_CHILD", subjects=[f"{prefix.lower()}.child.>"]))
        info = await old._js.stream_info(name)
        sources = [StreamSource(name=f"{prefix}_CHILD", filter_subject=f"{prefix.lower()}.child.>")]
        await old._js.update_stream(replace(info.config, sources=sources))
        assert (await old._js.stream_info(name)).config.max_age == 14 * 24 * 3600

        new = await _bus(cluster, prefix)  # the declared settings: the catalogue keeps state
        for label in ("v1", "v2"):
            await new.publish(Event("catalogue.site.upserted.420000", label.encode()))
        config = (await new._js.stream_info(name)).config
        assert (config.max_age or 0) == 0 and config.max_msgs_per_subject == 1
        assert [(s.name, s.filter_subject) for s in config.sources or []] == [
            (f"{prefix}_CHILD", f"{prefix.lower()}.child.>")
        ]
        assert config.subjects == [f"{prefix.lower()}.catalogue.>"]
        # Only the last state of the site is kept.
        state = (await new._js.stream_info(name)).state
        assert state.messages == 1
        last = await new._js.get_last_msg(name, f"{prefix.lower()}.catalogue.site.upserted.420000")
        assert last.data == b"v2"

        # A changed declaration reaches the stream again, at the next start.
        shorter = StreamSettings(max_age=3600, duplicate_window=60)
        again = await _bus(cluster, prefix, streams={**STREAMS, "catalogue": shorter})
        try:
            await again.apply_stream_settings(("catalogue",))
            config = (await again._js.stream_info(name)).config
            assert config.max_age == 3600 and config.max_msgs_per_subject == -1
            assert config.duplicate_window == 60 and len(config.sources or []) == 1
        finally:
            await again.close()
    finally:
        with_streams = new or old
        await with_streams.delete_streams()
        await old._js.delete_stream(f"{prefix}_CHILD")
        await old.close()
        if new is not None:
            await new.close()


async def test_a_service_user_that_may_not_update_streams_still_starts(cluster: dict[str, str]) -> None:
    """Services' NATS users may not change streams (deploy/local/nats.sh): a stream whose settings
    differ is logged for the operator, and the service goes on publishing."""
    prefix = f"T{uuid.uuid4().hex[:8].upper()}"
    admin = await _bus(cluster, prefix, streams={**STREAMS, "catalogue": EVENTS})
    service = cluster_bus(cluster, "catalogue", prefix)
    await service.start()
    try:
        name = await admin._ensure_stream("catalogue")
        await service.publish(Event("catalogue.site.upserted.420000", b"site"))
        await wait_until(
            lambda: _messages(admin, name), what="the event on the stream the service could not update"
        )
    finally:
        await service.close()
        await admin.delete_streams()
        await admin.close()


async def _messages(bus: JetStreamBus, name: str) -> bool:
    return bool((await bus._js.stream_info(name)).state.messages == 1)


async def test_a_durable_whose_subject_changed_is_refused_not_left_silent(cluster: dict[str, str]) -> None:
    """A durable made for catalogue.site.upserted matches no keyed site event, and a server before
    2.10 cannot change its filter: subscribing it with the keyed pattern fails, naming both, so
    the consumer gets a new name (identity-site-copy, cases-site-copy) instead of going quiet."""
    prefix = f"T{uuid.uuid4().hex[:8].upper()}"

    async def handle(d: Any) -> None:
        return None

    before = await _bus(cluster, prefix)
    after = await _bus(cluster, prefix)
    try:
        await before.subscribe("sites", "catalogue.site.upserted", handle)
        with pytest.raises(
            DurableFilterChanged, match=r"filters .*catalogue\.site\.upserted, .*upserted\.\*"
        ):
            await after.subscribe("sites", "catalogue.site.upserted.*", handle)
    finally:
        await before.close()
        await after.delete_streams()
        await after.close()
