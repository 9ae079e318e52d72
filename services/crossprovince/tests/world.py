"""Two province instances (辽宁 210000 and 吉林 220000, with 黑龙江 230000 a third partner of
both) whose certificates a test CA makes at test time with the service's own devca functions,
plus a catalogue publishing the matter 210000 offers, and helpers for the refused certificates."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from govhall.catalogue import app as catalogue_app
from govhall.catalogue import testing as catalogue_world
from govhall.catalogue.settings import CatalogueSettings
from govhall.crossprovince import app as crossprovince_app
from govhall.crossprovince import devca
from govhall.crossprovince.client import PartnerClient
from govhall.crossprovince.envelope import seal
from govhall.crossprovince.partners import Partner, load_partners
from govhall.crossprovince.settings import CrossprovinceSettings
from govhall.crossprovince.store import audit_log, received_messages
from govhall.kit.bus import InProcessBus
from govhall.kit.service import ServiceHost
from govhall.kit.testing import caller_channel, free_port
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.crossprovince.v1 import partner_pb2 as pb

LN, JL, HL, HB = "210000", "220000", "230000", "130000"
GROUP = "东三省通办"
MATTER = "420502-SCJG-0001"


@dataclass
class World:
    dir: Path
    kits: dict[str, devca.ProvinceKit]
    hosts: dict[str, ServiceHost]
    revoked_client: devca.Issued

    def partner(self, of: str, seen_by: str) -> Partner:
        """Province ``of`` as ``seen_by``'s partners file describes it."""
        found = load_partners(self.dir / seen_by / "partners.json", seen_by).get(of)
        assert found is not None
        return found

    def client(self, sender: str, receiver: str, cert: devca.Issued | None = None) -> PartnerClient:
        """``sender`` calling ``receiver``'s endpoint with its own client certificate, or ``cert``."""
        use = cert or self.kits[sender].client
        return PartnerClient(self.partner(receiver, LN if receiver != LN else JL), use.cert_pem, use.key_pem)

    def envelope(self, sender: str, receiver: str, kind: str, body: bytes, **fields: Any) -> pb.Envelope:
        kit = self.kits[sender]
        return seal(kit.signing, kit.key_id, sender=sender, receiver=receiver, kind=kind, body=body, **fields)

    async def rows(self, province: str) -> tuple[int, int]:
        """(received messages, audit entries) kept by ``province``."""
        async with self.hosts[province].db.reader() as uow:
            received = (
                await uow.conn.execute(sa.select(sa.func.count()).select_from(received_messages))
            ).scalar_one()
            entries = (await uow.conn.execute(sa.select(sa.func.count()).select_from(audit_log))).scalar_one()
        return received, entries


def _write_offered(directory: Path) -> None:
    offered = {
        "matters": [
            {
                "matter_code": MATTER,
                "site_code": catalogue_world.COUNTY,
                "modes": ["异地代收代办"],
                "groups": [GROUP],
            },
            # Not in the catalogue: left out of the list rather than failing it.
            {"matter_code": "420502-SCJG-9999", "site_code": catalogue_world.COUNTY, "groups": [GROUP]},
            # Offered to another group only.
            {
                "matter_code": "420502-SCJG-0002",
                "site_code": catalogue_world.COUNTY,
                "groups": ["京津冀通办"],
            },
        ]
    }
    (directory / "offered-matters.json").write_text(json.dumps(offered, ensure_ascii=False), encoding="utf-8")


async def make_world(tmp_path: Path, db_url: str, start_service: Any, platform: Any) -> World:
    out = tmp_path / "provinces"
    endpoints = {code: f"127.0.0.1:{free_port()}" for code in (LN, JL, HL)}
    kits = devca.write_all(out, [LN, JL, HL], endpoints)
    # A client certificate 吉林 revoked: 辽宁 lists its serial.
    revoked = devca.issue(kits[JL].ca, JL, server=False)
    partners_file = out / LN / "partners.json"
    data = json.loads(partners_file.read_text(encoding="utf-8"))
    for entry in data["partners"]:
        if entry["code"] == JL:
            entry["revoked_serials"] = [format(revoked.cert.serial_number, "x")]
    partners_file.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    _write_offered(out / LN)

    bus = InProcessBus()
    catalogue_address = f"127.0.0.1:{free_port()}"
    hosts: dict[str, ServiceHost] = {}
    for code, url in ((LN, db_url), (JL, f"sqlite+aiosqlite:///{tmp_path / 'jl.db'}")):
        d = out / code
        settings = CrossprovinceSettings(
            database_url=url,
            province_code=code,
            partner_host="127.0.0.1",
            partner_port=int(endpoints[code].rsplit(":", 1)[1]),
            tls_cert_file=d / "server.pem",
            tls_key_file=d / "server.key",
            client_cert_file=d / "client.pem",
            client_key_file=d / "client.key",
            signing_key_file=d / "signing.key",
            signing_key_id=kits[code].key_id,
            partners_file=d / "partners.json",
            offered_matters_file=d / "offered-matters.json",
            catalogue_address=catalogue_address,
        )
        # Each province its own bus, as two deployments have: each subscribes its durables.
        hosts[code] = await start_service(crossprovince_app.SPEC, settings, platform, InProcessBus())
    catalogue = await start_service(
        catalogue_app.SPEC,
        CatalogueSettings(
            database_url=f"sqlite+aiosqlite:///{tmp_path / 'c.db'}", grpc_address=catalogue_address
        ),
        platform,
        bus,
    )
    stub = catalogue_pb2_grpc.CatalogueServiceStub(caller_channel(catalogue.address, "catalogue"))
    await catalogue_world.seed(
        stub,
        departments=[("420502-SCJG", "西陵区市场监督管理局")],
        matters=[(MATTER, catalogue_world.matter_draft("食品经营许可", "420502-SCJG"))],
    )
    return World(out, kits, hosts, revoked)


def expired_client(kit: devca.ProvinceKit) -> devca.Issued:
    now = datetime.now(UTC)
    return devca.issue(
        kit.ca, kit.code, server=False, not_before=now - timedelta(days=30), not_after=now - timedelta(days=1)
    )
