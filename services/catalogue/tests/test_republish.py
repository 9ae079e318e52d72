"""A consumer added after the catalogue's history has gone still gets its state: `republish`
sends every site, department, matter and article through the outbox again."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import sqlalchemy as sa
from google.protobuf.message import Message

from govhall.catalogue import cli
from govhall.catalogue.republish import republish
from govhall.contracts import catalogue as contract
from govhall.kit.events import Delivery, decode
from govhall.kit.eventstore import OUTBOX
from govhall.kit.testing import wait_until
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb

from .conftest import DEPARTMENTS, SITES, Catalogue, draft


async def test_a_late_consumer_builds_its_full_copy_from_a_republish(catalogue: Catalogue) -> None:
    await catalogue.create("A", d=draft("个人事项"), publish=True)
    await catalogue.create("X", d=draft("撤回事项"), publish=True)
    await catalogue.withdraw("X")
    await catalogue.create("D", d=draft("草稿事项"))  # never published: nothing to say

    async def relayed() -> bool:
        async with catalogue.host.db.reader() as uow:
            pending = await uow.conn.scalar(
                sa.select(sa.func.count()).select_from(OUTBOX).where(OUTBOX.c.published_at.is_(None))
            )
        return pending == 0

    # The relay sends the outbox after each commit, not within it: on a busy machine the withdrawal
    # can still be on its way, and a consumer subscribed now would be handed it.
    await wait_until(relayed, what="the outbox relayed")

    seen: list[Message] = []

    async def late(delivery: Delivery) -> None:
        message = decode(delivery, contract.REGISTRY, "late")
        assert message is not None
        seen.append(message)

    # Subscribed after every event above went by: the in-process bus, like an expired stream,
    # has nothing to give it.
    await catalogue.bus.subscribe("late", "catalogue.>", late)
    assert seen == []

    done = await republish(catalogue.host.db, chunk=2)  # several chunks of each kind
    assert (done.sites, done.departments, done.matters) == (len(SITES), len(DEPARTMENTS), 2)

    def copy() -> tuple[list[str], list[str], dict[str, int]] | None:
        sites = [m.site.code for m in seen if isinstance(m, pb.SiteUpserted)]
        depts = sorted(m.department.code for m in seen if isinstance(m, pb.DepartmentUpserted))
        matters = {
            m.matter.code: m.matter.status
            for m in seen
            if isinstance(m, pb.MatterPublished | pb.MatterWithdrawn)
        }
        whole = len(sites) == len(SITES) and len(depts) == len(DEPARTMENTS) and len(matters) == 2
        return (sites, depts, matters) if whole else None

    sites, depts, matters = await wait_until(copy, what="the late consumer's copy")
    levels = {code: level for code, _, level, _ in SITES}
    assert sorted(sites) == sorted(code for code, *_ in SITES)
    assert [levels[c] for c in sites] == sorted(levels[c] for c in sites), "parents before children"
    assert depts == sorted(code for code, *_ in DEPARTMENTS)
    assert matters == {"A": pb.MATTER_STATUS_PUBLISHED, "X": pb.MATTER_STATUS_WITHDRAWN}


async def test_the_cli_republishes_through_the_running_services_outbox(
    catalogue: Catalogue,
    db_url: str,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    monkeypatch.setenv("GOVHALL_CATALOGUE_DATABASE_URL", db_url)
    monkeypatch.setenv("GOVHALL_VAR_DIR", str(tmp_path / "var"))
    sites: set[str] = set()

    async def late(delivery: Delivery) -> None:
        message = decode(delivery, contract.REGISTRY, "late-cli")
        if isinstance(message, pb.SiteUpserted):
            sites.add(message.site.code)

    await catalogue.bus.subscribe("late-cli", contract.SITE_UPSERTED.pattern, late)
    assert await asyncio.to_thread(cli.main, ["republish"]) == 0
    assert f"republished {len(SITES)} sites, {len(DEPARTMENTS)} departments" in capsys.readouterr().out
    # Written by another process: the service's relay finds the rows and sends them.
    await wait_until(lambda: sites == {code for code, *_ in SITES}, what="every site at the late consumer")
