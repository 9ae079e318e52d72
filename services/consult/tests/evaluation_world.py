"""The consult service over gRPC with an in-process bus the tests publish cases' events on, and
a recorder of what consult publishes (好差评 tests). Its database: SQLite or PostgreSQL."""

from __future__ import annotations

import datetime as dt
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from govhall.consult import app as consult_app
from govhall.consult.settings import ConsultSettings
from govhall.contracts import cases as cases_contract
from govhall.contracts import catalogue as catalogue_contract
from govhall.contracts import consult as consult_contract
from govhall.kit.bus import InProcessBus
from govhall.kit.events import Delivery, decode, make_event
from govhall.kit.testing import caller_channel
from govhall.protos.cases.v1 import cases_pb2
from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
from govhall.protos.common.v1 import common_pb2 as C
from govhall.protos.consult.v1 import evaluations_pb2_grpc

from .conftest import CITY, COUNTY, DEPT, MATTER, PROVINCE, World, free_port

# The catalogue's tree as its site events tell it (no catalogue runs here): 湖北省 > 宜昌市 >
# 西陵区, 伍家岗区; 宜昌市's neighbour 襄阳市; 湖南省.
TREE = (
    (PROVINCE, "湖北省", ""),
    (CITY, "宜昌市", PROVINCE),
    (COUNTY, "西陵区", CITY),
    ("420503", "伍家岗区", CITY),
    ("420600", "襄阳市", PROVINCE),
    ("430000", "湖南省", ""),
)


def agent_for(n: int = 1) -> C.CallerIdentity:
    """An agent (经办人) acting for enterprise lp-n: the caller is the legal person."""
    return C.CallerIdentity(
        kind=C.CALLER_KIND_LEGAL_PERSON,
        subject=f"lp-{n}",
        actor_subject=f"agent-{n}",
        authorisation_id=f"auth-{n}",
        scopes=["cases.apply"],
        name="宜昌老张餐饮有限公司",
    )


@dataclass
class EvaluationWorld(World):
    bus: Any = None
    published: list[Any] = field(default_factory=list)
    paths: dict[str, list[str]] = field(default_factory=dict)

    @property
    def evaluations(self) -> evaluations_pb2_grpc.EvaluationsServiceStub:
        return evaluations_pb2_grpc.EvaluationsServiceStub(caller_channel(self.consult_address, "consult"))

    async def case(
        self,
        case_id: str,
        state: int = cases_pb2.CASE_STATE_CONCLUDED_APPROVED,
        *,
        revision: int = 5,
        kind: str = "person",
        subject: str = "person-1",
        site: str = COUNTY,
        dept: str = DEPT,
        matter: str = MATTER,
    ) -> None:
        """Cases publishes a change of case_id (returns once consult's consumer applied it)."""
        subject_of = {
            cases_pb2.CASE_STATE_CONCLUDED_APPROVED: cases_contract.CONCLUDED,
            cases_pb2.CASE_STATE_CONCLUDED_DENIED: cases_contract.CONCLUDED,
            cases_pb2.CASE_STATE_EVALUATED: cases_contract.EVALUATED,
        }
        message = cases_pb2.CaseChanged(
            case_id=case_id,
            case_number=f"N-{case_id}",
            matter_code=matter,
            matter_name="食品经营许可",
            site_code=site,
            department_code=dept,
            state=state,  # type: ignore[arg-type]
            applicant=cases_pb2.Applicant(kind=kind, subject=subject, name="张三"),
            revision=revision,
        )
        await self.bus.publish(make_event(subject_of.get(state, cases_contract.ACCEPTED), message))

    async def site(self, code: str, name: str, parent: str = "") -> None:
        """The catalogue publishes a site under `parent` (returns once consult's copy has it)."""
        path = [*self.paths[parent], code] if parent else [code]
        self.paths[code] = path
        site = cat.Site(code=code, name=name, parent_code=parent, path=path)
        await self.bus.publish(
            make_event(catalogue_contract.SITE_UPSERTED, cat.SiteUpserted(site=site), code)
        )

    def events(self, subject: str) -> list[Any]:
        return [m for s, m in self.published if s == subject]


@pytest.fixture
async def ev_world(
    start_service: Any, platform: Any, tmp_path: Path, db_url: str
) -> AsyncIterator[EvaluationWorld]:
    bus = InProcessBus()
    published: list[Any] = []

    async def record(delivery: Delivery) -> None:
        published.append((delivery.subject, decode(delivery, consult_contract.REGISTRY, "test")))

    await bus.subscribe("test-consult-events", "consult.>", record)
    consult = await start_service(
        consult_app.SPEC,
        ConsultSettings(
            database_url=db_url,
            catalogue_address=f"127.0.0.1:{free_port()}",
            rectification_sweep_seconds=0,
        ),
        platform,
        bus,
    )
    world = EvaluationWorld(None, consult.address, consult.db, bus=bus, published=published)  # type: ignore[arg-type]
    for code, name, parent in TREE:
        await world.site(code, name, parent)
    yield world


def utc(year: int, month: int, day: int, hour: int = 4) -> dt.datetime:
    return dt.datetime(year, month, day, hour, tzinfo=dt.UTC)
