"""A demo citizen's 证照库 for `make run` and `make up` (licences.json), one licence of each level,
written by licences' own code so every check a real one meets applies: level A by issuance (as a
concluded case issues it, with its PDF, seal and QR, the form's values as metadata), level B by
the administrators' import (a CSV built from the data) and level C by the holder's own create
(run as the holder). Behind LicencesDemoService.LoadDemoLicences, which only the operators may
call (the loader signs as ops, like the other services' demo loaders). Idempotent: a licence the
holder already has (the demo case for A, the type and number for B and C) is left alone.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path
from typing import Any

import sqlalchemy as sa

from govhall.kit.caller import caller_metadata, reset_caller, set_caller
from govhall.kit.db import Database
from govhall.kit.grpcclient import channel, operator_caller, operator_signer
from govhall.kit.trust import Signer
from govhall.kit.validators import mask_id_number
from govhall.licences.case_forms import CaseFacts
from govhall.licences.demo import wait_serving
from govhall.licences.holder_identity import HolderFacts
from govhall.licences.imports import HOLDER_CODE_CONTEXT, Imports
from govhall.licences.issuance import Issuance
from govhall.licences.own import OwnLicences
from govhall.licences.rendering import Renderer
from govhall.licences.tables import licence_types, licences
from govhall.licences.types_admin import admin_only
from govhall.protos.cases.v1 import cases_pb2
from govhall.protos.common.v1 import common_pb2 as C
from govhall.protos.licences.v1 import demo_pb2 as pb
from govhall.protos.licences.v1 import demo_pb2_grpc
from govhall.protos.licences.v1 import licences_pb2 as L
from govhall.protos.licences.v1 import verification_pb2 as V

LICENCES_FILE = Path(__file__).resolve().parent / "licences.json"


def demo_holdings(path: Path = LICENCES_FILE) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


def _csv(holder: dict[str, str], spec: dict[str, Any]) -> bytes:
    keys = list(spec["metadata"])
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(
        ["number", "holder_subject", "holder_name", "holder_code", "issued_on", "valid_until", *keys]
    )
    row = [
        holder["subject"],
        holder["name"],
        holder["id_number"],
        spec["issued_on"],
        spec.get("valid_until", ""),
    ]
    writer.writerow([spec["number"], *row, *(spec["metadata"][k] for k in keys)])
    return out.getvalue().encode("utf-8")


class DemoHoldings:
    def __init__(
        self, db: Database, renderer: Renderer, imports: Imports, own: OwnLicences, path: Path = LICENCES_FILE
    ) -> None:
        self.db, self.renderer, self.imports, self.own, self.path = db, renderer, imports, own, path

    async def _has(self, subject: str, **where: str) -> bool:
        async with self.db.uow() as uow:
            found = await uow.conn.scalar(
                sa.select(sa.func.count()).where(
                    licences.c.holder_subject == subject, *(licences.c[k] == v for k, v in where.items())
                )
            )
        return bool(found)

    async def load(self, request: pb.LoadDemoLicencesRequest) -> pb.LoadDemoLicencesResponse:
        admin_only()
        data = demo_holdings(self.path)
        holder = {**data["holder"], "subject": request.holder_subject or data["holder"]["subject"]}
        subject, made = holder["subject"], 0
        # Numbers are unique per type: another holder's copies carry their subject's tail.
        tail = "" if subject == data["holder"]["subject"] else f"-{subject[-8:].upper()}"
        for spec in data["issued"]:
            # One demo case per holder: the case id is unique across licences.
            case_id = f"{spec['case_id']}-{subject}"[:64]
            if await self._has(subject, case_id=case_id):
                continue
            facts = CaseFacts(spec["form"], holder["name"])

            async def form(_: str, facts: CaseFacts = facts) -> CaseFacts:
                return facts

            async def verified(_kind: str, _subject: str) -> HolderFacts:
                # The holder as the data names them, sealed and masked as identity's answer is.
                code = holder["id_number"]
                sealed = self.imports.cipher.encrypt(code, HOLDER_CODE_CONTEXT)
                return HolderFacts(holder["name"], sealed, mask_id_number(code))

            case = cases_pb2.CaseChanged(
                case_id=case_id,
                site_code=spec["site_code"],
                result_code=0,
                applicant=cases_pb2.Applicant(kind="person", subject=subject, name=holder["name"]),
            )
            async with self.db.uow() as uow:
                kind = (
                    await uow.conn.execute(
                        sa.select(licence_types).where(licence_types.c.code == spec["type_code"])
                    )
                ).one()
                await Issuance(self.db, self.renderer, form, verified).issue(uow, case, kind)
                await uow.commit()
            made += 1
        for spec in data["imported"]:
            spec = {**spec, "number": spec["number"] + tail}
            if await self._has(subject, type_code=spec["type_code"], number=spec["number"]):
                continue
            file = V.ImportLicencesRequest(
                type_code=spec["type_code"], filename="demo.csv", content=_csv(holder, spec)
            )
            report = await self.imports.load(file)
            if report.problems:  # the data file is wrong: say so rather than half-load it
                raise ValueError("; ".join(f"{p.row}/{p.field}: {p.problem}" for p in report.problems))
            made += report.imported
        person = C.CallerIdentity(
            kind=C.CALLER_KIND_PERSON, subject=subject, name=holder["name"], real_name_level=2
        )
        for spec in data["own"]:
            spec = {**spec, "number": spec["number"] + tail}
            if await self._has(subject, type_code=spec["type_code"], number=spec["number"]):
                continue
            mine = L.CreateMyLicenceRequest(
                type_code=spec["type_code"],
                number=spec["number"],
                issued_on=spec["issued_on"],
                valid_until=spec.get("valid_until", ""),
                issuer_name=spec.get("issuer_name", ""),
                metadata=spec["metadata"],
                # The scan a holder would upload (checked by content like any upload).
                file_name=spec["file"],
                content=(self.path.parent / spec["file"]).read_bytes(),
            )
            # The holder's own licence is made as the holder would make it.
            token = set_caller(person)
            try:
                await self.own.create(mine)
            finally:
                reset_caller(token)
            made += 1
        return pb.LoadDemoLicencesResponse(made=made)


async def load_demo_licences(
    address: str, signer: Signer | None = None, *, holder_subject: str = "", wait_seconds: float = 30.0
) -> int:
    """Have licences at ``address`` write the demo holder's missing licences (the demo types must be
    there: load_demo_into first); returns how many it made."""
    ops = caller_metadata(operator_caller("licences demo loader"))
    ch = channel(address, signer=signer or operator_signer(), audience="licences")
    try:
        await wait_serving(ch, wait_seconds)
        stub = demo_pb2_grpc.LicencesDemoServiceStub(ch)
        request = pb.LoadDemoLicencesRequest(holder_subject=holder_subject)
        reply = await stub.LoadDemoLicences(request, metadata=ops, timeout=60)
    finally:
        await ch.close()
    return reply.made
