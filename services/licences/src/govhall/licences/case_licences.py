"""CaseLicencesService: the level-A licence a case was issued, for the crossprovince service.

A cross-province case's result goes back to the receiving province with its licence (跨省通办:
the applicant collects both at that window). Crossprovince hears the conclusion from cases at
the same time as issuance does, so it asks here: `licence_matter` says whether a licence is to
be expected at all (the matter is linked to a licence type), `licence` is set once it is issued.
Only the crossprovince service may ask (its kind and subject come from the signed caller
assertion; callers.json lets it call nothing else); anyone else is refused before any lookup.
"""

from __future__ import annotations

from typing import Any

import sqlalchemy as sa

from govhall.kit.caller import require_service
from govhall.kit.db import Database
from govhall.kit.errors import invalid
from govhall.kit.files import MEDIA_TYPES, FileStore, sniff
from govhall.licences.holder import as_message
from govhall.licences.tables import licence_types, licences, type_matters
from govhall.protos.licences.v1 import licences_pb2 as pb
from govhall.protos.licences.v1 import licences_pb2_grpc

CROSSPROVINCE = "crossprovince"


def require_crossprovince() -> None:
    """The partner-facing RPCs: the crossprovince service and nobody else."""
    require_service(CROSSPROVINCE, "跨省通办服务")


class CaseLicences:
    def __init__(self, db: Database, files: FileStore) -> None:
        self.db, self.files = db, files

    async def get(self, request: pb.GetCaseLicenceRequest) -> pb.CaseLicence:
        require_crossprovince()
        if not request.case_id:
            raise invalid("CASE_ID_REQUIRED", "case_id is required", "请提供办件编号", "case_id")
        async with self.db.reader() as uow:
            row = (
                await uow.conn.execute(
                    sa.select(licences, licence_types.c.name.label("type_name"))
                    .join(licence_types, licence_types.c.code == licences.c.type_code)
                    .where(licences.c.case_id == request.case_id)
                )
            ).first()
            linked = row is not None or (
                bool(request.matter_code)
                and await uow.conn.scalar(
                    sa.select(type_matters.c.type_code).where(
                        type_matters.c.matter_code == request.matter_code
                    )
                )
                is not None
            )
        if row is None:
            return pb.CaseLicence(licence_matter=linked)
        found = pb.CaseLicence(licence_matter=True, licence=as_message(row))
        # The holder's verify code is theirs to show; it does not travel to another province.
        found.licence.verify_code = ""
        if row.file_hash:
            content = await self.files.aget(row.file_hash)
            family = sniff(content) or "pdf"
            found.file.CopyFrom(
                pb.LicenceFile(
                    file_name=f"{row.type_name}-{row.number}.{family}",
                    media_type=MEDIA_TYPES[family],
                    content=content,
                    sha256=row.file_hash,
                )
            )
        return found


class CaseLicencesService(licences_pb2_grpc.CaseLicencesServiceServicer):
    def __init__(self, reads: CaseLicences) -> None:
        self._reads = reads

    async def GetCaseLicence(self, request: pb.GetCaseLicenceRequest, context: Any) -> pb.CaseLicence:
        return await self._reads.get(request)
