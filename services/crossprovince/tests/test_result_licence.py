"""The licence a returned result carries: asked of licences until it is issued, within a bound
(licences issues it on the same conclusion event crossprovince reports), none for a matter that
issues no licence. The whole way from B's licences to A's applicant: test_handover_flow.py."""

from __future__ import annotations

from typing import Any

import pytest

from govhall.crossprovince.flow import Flow, LicencePending
from govhall.protos.licences.v1 import licences_pb2 as lpb


class Licences:
    """Licences as crossprovince asks it: the answers in turn (the last one repeated)."""

    def __init__(self, *answers: lpb.CaseLicence) -> None:
        self.answers, self.asked = list(answers), []

    async def GetCaseLicence(self, request: lpb.GetCaseLicenceRequest, **_: Any) -> lpb.CaseLicence:
        self.asked.append((request.case_id, request.matter_code))
        return self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]


def flow(licences: Licences) -> Flow:
    return Flow(None, None, None, licences, result_attempts=4, result_wait_seconds=0)  # type: ignore[arg-type]


ISSUED = lpb.CaseLicence(
    licence_matter=True,
    licence=lpb.Licence(
        id="l-1",
        identifier="11100000000013338W011-11420502MB1234567X-2026000001",
        type_name="食品经营许可证",
        number="4205022026000001",
        issued_on="2026-12-05",
        valid_until="2031-12-04",
    ),
    file=lpb.LicenceFile(
        file_name="食品经营许可证-4205022026000001.pdf",
        media_type="application/pdf",
        content=b"%PDF-1.7 licence",
        sha256="ab" * 32,
    ),
)


async def test_the_licence_is_waited_for_until_issued() -> None:
    licences = Licences(lpb.CaseLicence(licence_matter=True), lpb.CaseLicence(licence_matter=True), ISSUED)
    found = await flow(licences)._licence("case-1", "M-1")
    assert licences.asked == [("case-1", "M-1")] * 3
    assert found is not None
    assert (found.identifier, found.type_name, found.number) == (
        ISSUED.licence.identifier,
        "食品经营许可证",
        "4205022026000001",
    )
    assert (found.issued_on, found.valid_until) == ("2026-12-05", "2031-12-04")
    assert (found.file.file_name, found.file.sha256, found.file.content) == (
        ISSUED.file.file_name,
        ISSUED.file.sha256,
        b"%PDF-1.7 licence",
    )


async def test_a_licence_not_issued_within_the_bound_leaves_the_event_to_redelivery() -> None:
    licences = Licences(lpb.CaseLicence(licence_matter=True))
    with pytest.raises(LicencePending):
        await flow(licences)._licence("case-1", "M-1")
    assert len(licences.asked) == 4


async def test_a_matter_without_a_licence_type_returns_none_at_once() -> None:
    licences = Licences(lpb.CaseLicence(licence_matter=False))
    assert await flow(licences)._licence("case-1", "M-1") is None
    assert len(licences.asked) == 1
