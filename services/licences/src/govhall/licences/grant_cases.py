"""What a grant needs to know of a case, asked of cases and the catalogue as the licences service.

The holder names the case; licences does not take the holder's word for who handles it: cases
says whose case it is and which department at which site handles it (GetCase, which cases lets
`licences` call), and the catalogue says which licence type the case's material takes (GetMatter
at the case's matter version). A case cases does not have is None (the caller sees 404, as for a
case that is not theirs); any other failure raises and the grant is not made.
"""

from __future__ import annotations

from dataclasses import dataclass

import grpc

from govhall.kit.grpcclient import call_options, domain_error
from govhall.licences.access import SERVICE_CALLER
from govhall.licences.case_forms import case_of
from govhall.protos.cases.v1 import cases_pb2_grpc
from govhall.protos.catalogue.v1 import catalogue_pb2, catalogue_pb2_grpc


@dataclass(frozen=True)
class GrantCase:
    applicant_kind: str
    applicant_subject: str
    department_code: str
    site_code: str
    ended: bool
    # material code -> the licence type it takes ("" when it is not taken from a licence).
    licence_materials: dict[str, str]


class GrantCases:
    def __init__(
        self, cases: cases_pb2_grpc.CasesServiceStub, catalogue: catalogue_pb2_grpc.CatalogueServiceStub
    ) -> None:
        self.cases = cases
        self.catalogue = catalogue

    async def __call__(self, case_id: str) -> GrantCase | None:
        case = await case_of(self.cases, case_id)
        if case is None:
            return None
        try:
            matter = await self.catalogue.GetMatter(
                catalogue_pb2.GetMatterRequest(
                    site_code=case.matter_site_code or case.site_code,
                    code=case.matter_code,
                    version=case.matter_version,
                ),
                **call_options(SERVICE_CALLER),
            )
        except grpc.aio.AioRpcError as err:
            raise domain_error(err) from None
        return GrantCase(
            applicant_kind=case.applicant.kind,
            applicant_subject=case.applicant.subject,
            department_code=case.department_code,
            site_code=case.site_code,
            ended=case.result_code >= 0,
            licence_materials={
                m.code: m.licence_type_code if m.source == catalogue_pb2.MATERIAL_SOURCE_LICENCE else ""
                for m in matter.draft.materials
            },
        )
