"""A concluded case's application form and applicant, asked of cases as the licences service (cases lets
`licences` call GetCase, and only that: services/cases/.../callers.json). The event carries the
applicant's subject and the result but not the form (nor, always, the applicant's name), and copying every form into every event would spread
applicants' data to every consumer of `cases.case.>`.

A case cases no longer has is None (the licence is issued without metadata); any other failure
raises, so the consumer's transaction rolls back and the bus redelivers the conclusion later
rather than issuing a licence that lacks what the form said.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import grpc

from govhall.kit.grpcclient import call_options, domain_error
from govhall.licences.access import SERVICE_CALLER
from govhall.protos.cases.v1 import cases_pb2, cases_pb2_grpc


@dataclass(frozen=True)
class CaseFacts:
    form: dict[str, Any]
    applicant_name: str


class CaseForms:
    def __init__(self, cases: cases_pb2_grpc.CasesServiceStub) -> None:
        self.cases = cases

    async def __call__(self, case_id: str) -> CaseFacts | None:
        case = await case_of(self.cases, case_id)
        if case is None:
            return None
        try:
            form = json.loads(case.form_json or "{}")
        except ValueError:
            form = {}
        return CaseFacts(form if isinstance(form, dict) else {}, case.applicant.name)


async def case_of(cases: cases_pb2_grpc.CasesServiceStub, case_id: str) -> cases_pb2.Case | None:
    """The case as cases has it, asked as the licences service; None when cases has no such case,
    any other failure raised as the domain error it is."""
    try:
        return await cases.GetCase(cases_pb2.GetCaseRequest(case_id=case_id), **call_options(SERVICE_CALLER))
    except grpc.aio.AioRpcError as err:
        if err.code() == grpc.StatusCode.NOT_FOUND:
            return None
        raise domain_error(err) from None
