"""A consumer added after the history has left the age-limited streams still builds its whole
site copy: the catalogue's stream keeps every site's last event, with no age limit."""

from __future__ import annotations

import uuid
from types import SimpleNamespace

import sqlalchemy as sa

from govhall.contracts import cases as cases_contract
from govhall.contracts import catalogue as contract
from govhall.kit.bus import JetStreamBus
from govhall.kit.events import make_event
from govhall.kit.streams import STREAMS, StreamSettings
from govhall.kit.testing import cluster_bus, database_with_kit_tables, wait_until
from govhall.protos.cases.v1 import cases_pb2
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.sitecopy import SiteTable, add_site_table, subscribe

SITES = [
    ("420000", "湖北省", cat.SITE_LEVEL_PROVINCE, ["420000"]),
    ("420500", "宜昌市", cat.SITE_LEVEL_CITY, ["420000", "420500"]),
    ("420502", "西陵区", cat.SITE_LEVEL_COUNTY, ["420000", "420500", "420502"]),
    ("420100", "武汉市", cat.SITE_LEVEL_CITY, ["420000", "420100"]),
]
# The age-limited streams expire within seconds in this test; the catalogue's keeps state.
SHORT = StreamSettings(max_age=1.0, duplicate_window=1.0)


def site_event(code: str, name: str, level: int, path: list[str]) -> object:
    site = cat.Site(
        code=code, name=name, level=level, parent_code=path[-2] if len(path) > 1 else "", path=path
    )  # type: ignore[arg-type]
    return make_event(contract.SITE_UPSERTED, cat.SiteUpserted(site=site), code)


async def _messages(bus: JetStreamBus, stem: str) -> int:
    return int((await bus._js.stream_info(bus.stream_name(stem))).state.messages)


async def test_a_late_consumer_builds_the_full_site_copy(cluster: dict[str, str], db_url: str) -> None:
    streams = {stem: SHORT if s.max_age else s for stem, s in STREAMS.items()}
    prefix = f"T{uuid.uuid4().hex[:8].upper()}"
    publisher: JetStreamBus = cluster_bus(cluster, "admin", prefix, streams=streams)
    await publisher.start()
    consumer: JetStreamBus = cluster_bus(cluster, "admin", prefix, streams=streams)
    db = await database_with_kit_tables(db_url)
    sites = SiteTable(add_site_table(sa.MetaData()))
    async with db.engine.begin() as conn:
        await conn.run_sync(sites.t.create)
    try:
        # Sites imported long ago, one renamed since; and events of an age-limited stream.
        await publisher.publish(site_event("420502", "西陵", cat.SITE_LEVEL_COUNTY, SITES[2][3]))  # type: ignore[arg-type]
        for code, name, level, path in SITES:
            await publisher.publish(site_event(code, name, level, path))  # type: ignore[arg-type]
        submitted = cases_pb2.CaseChanged(case_id="c-1", matter_code="M1", revision=1)
        await publisher.publish(make_event(cases_contract.SUBMITTED, submitted))
        assert await _messages(publisher, "cases") == 1
        # The history has left the age-limited stream ...
        await wait_until(lambda: _is_empty(publisher, "cases"), timeout=30, what="the cases stream to expire")
        # ... while the catalogue's keeps one message per site, the latest.
        assert await _messages(publisher, "catalogue") == len(SITES)

        await consumer.start()
        ctx = SimpleNamespace(bus=consumer, db=db)
        await subscribe(ctx, sites, durable="late-sites")  # type: ignore[arg-type]

        async def copied() -> dict[str, tuple[str, int, str]]:
            async with db.reader() as uow:
                rows = (await uow.conn.execute(sa.select(sites.t))).all()
            found = {r.code: (r.name, r.level, r.path) for r in rows}
            return found if len(found) == len(SITES) else {}

        got = await wait_until(copied, what="every site in the late consumer's copy")
        assert got == {code: (name, level, ",".join(path)) for code, name, level, path in SITES}
    finally:
        await consumer.close()
        await publisher.delete_streams()
        await publisher.close()
        await db.close()


async def _is_empty(bus: JetStreamBus, stem: str) -> bool:
    return await _messages(bus, stem) == 0
