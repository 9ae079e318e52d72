"""Every service that keeps a copy of the site tree (`govhall.sitecopy.subscribe`) has its durable
consumer of the catalogue's site events in its NATS row (deploy/local/nats.sh: without it the
service is refused the consumer at start), in the chart's table of NATS users and on the
architecture page."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from govhall.appointments.events import SITE_COPY as APPOINTMENTS
from govhall.cases.settings import CasesSettings
from govhall.consult.sites import SITE_COPY as CONSULT
from govhall.identity.events import SITES_CONSUMER as IDENTITY
from govhall.licences.events import SITE_COPY as LICENCES

ROOT = Path(__file__).resolve().parents[2]
SUBJECT = "catalogue.site.upserted.*"
COPIES = {
    "identity": IDENTITY,
    "cases": CasesSettings.model_fields["consumer_name"].default,
    "appointments": APPOINTMENTS,
    "consult": CONSULT,
    "licences": LICENCES,
}


def test_every_site_copy_is_listed() -> None:
    # Each service whose code subscribes a site copy is one of COPIES.
    subscribers = {
        p.parts[-5]
        for p in (ROOT / "services").glob("*/src/govhall/*/*.py")
        if "sitecopy.subscribe(" in p.read_text(encoding="utf-8")
    }
    assert subscribers == set(COPIES)


@pytest.mark.parametrize(("service", "durable"), sorted(COPIES.items()))
def test_the_site_copy_has_its_nats_row_and_docs(service: str, durable: str) -> None:
    nats = (ROOT / "deploy/local/nats.sh").read_text(encoding="utf-8")
    row = re.search(rf'^\s*"{service} ([^"]*)"', nats, re.MULTILINE)
    assert row and f"{durable}={SUBJECT}" in row.group(1).split(), f"{service}: NATS_USERS row"
    chart = (ROOT / "deploy/helm/README.md").read_text(encoding="utf-8")
    line = next(x for x in chart.splitlines() if x.startswith(f"| `{service}` |"))
    assert f"`{durable}` (`GOVHALL_CATALOGUE`: `{SUBJECT}`)" in line, f"{service}: the chart's NATS table"
    page = (ROOT / "docs/ARCHITECTURE.md").read_text(encoding="utf-8")
    assert f"`{durable}`" in page, f"{service}: docs/ARCHITECTURE.md"
