"""The demo province is consistent and every matter passes the catalogue's own validation."""

from __future__ import annotations

import re
from collections import Counter

import grpc
import pytest

from govhall.catalogue import demo
from govhall.catalogue.model import DEPARTMENT_CODE, MATTER_CODE, validate_draft
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb

CJK = re.compile(r"[\u4e00-\u9fff]")
SITES = {site.code: site for site in demo.SITES}


def test_site_codes_and_parents() -> None:
    assert len(SITES) == len(demo.SITES)
    for site in demo.SITES:
        assert re.fullmatch(r"\d{6}", site.code), site.code
        assert CJK.search(site.name)
        if site.level == pb.SITE_LEVEL_PROVINCE:
            assert site.parent_code == ""
            assert site.code.endswith("0000")
        elif site.level == pb.SITE_LEVEL_CITY:
            assert site.code.endswith("00") and not site.code.endswith("0000")
            assert site.parent_code == site.code[:2] + "0000"
            assert SITES[site.parent_code].level == pb.SITE_LEVEL_PROVINCE
        else:
            assert site.level == pb.SITE_LEVEL_COUNTY
            assert not site.code.endswith("00")
            assert site.parent_code == site.code[:4] + "00"
            assert SITES[site.parent_code].level == pb.SITE_LEVEL_CITY
    assert SITES["420502"].parent_code == "420500"
    assert SITES["420500"].parent_code == "420000"


def test_departments_are_unique_and_belong_to_sites() -> None:
    codes = [dept.code for dept in demo.DEPARTMENTS]
    assert len(codes) == len(set(codes))
    for dept in demo.DEPARTMENTS:
        assert DEPARTMENT_CODE.match(dept.code), dept.code
        assert dept.site_code in SITES
        assert dept.code.startswith(dept.site_code + "-")
        assert CJK.search(dept.name)
    per_site = Counter(dept.site_code for dept in demo.DEPARTMENTS)
    assert set(per_site) == set(SITES)


def test_matters_codes_sites_and_departments() -> None:
    assert len(demo.MATTERS) >= 36
    codes = [matter.code for matter in demo.MATTERS]
    assert len(codes) == len(set(codes))
    departments = {dept.code: dept for dept in demo.DEPARTMENTS}
    for matter in demo.MATTERS:
        assert MATTER_CODE.match(matter.code), matter.code
        assert matter.site_code in SITES
        assert departments[matter.department_code].site_code == matter.site_code
        assert CJK.search(matter.name), matter.name
        assert matter.promised_limit <= matter.legal_limit or matter.legal_limit == 0
        for text in (matter.guide.acceptance_conditions, matter.guide.materials, matter.guide.process):
            assert CJK.search(text)
        assert "《" in matter.guide.legal_basis
        assert matter.guide.fees and matter.guide.place_and_hours and matter.guide.consult_phone


def test_every_site_has_matters_and_counties_have_most() -> None:
    per_site = Counter(matter.site_code for matter in demo.MATTERS)
    for code in SITES:
        assert per_site[code] >= 2, code
    by_level = Counter()
    for code, count in per_site.items():
        by_level[SITES[code].level] += count
    assert by_level[pb.SITE_LEVEL_COUNTY] > by_level[pb.SITE_LEVEL_CITY] > by_level[pb.SITE_LEVEL_PROVINCE]


def test_variety() -> None:
    assert len({matter.type for matter in demo.MATTERS}) >= 5
    audiences = {matter.audiences for matter in demo.MATTERS}
    assert (pb.AUDIENCE_PERSON,) in audiences
    assert (pb.AUDIENCE_LEGAL_PERSON,) in audiences
    assert (pb.AUDIENCE_PERSON, pb.AUDIENCE_LEGAL_PERSON) in audiences
    online = {matter.online_application for matter in demo.MATTERS}
    assert online == {True, False}
    names = {matter.name for matter in demo.MATTERS}
    for expected in ("食品经营许可", "居民身份证换领", "居民身份证补领", "出生登记", "失业保险金申领"):
        assert expected in names


def test_requests_pass_validation() -> None:
    requests = demo.matter_requests()
    assert len(requests) == len(demo.MATTERS)
    for request in requests:
        clean = validate_draft(request.draft)
        assert clean.name == request.draft.name
        assert request.site_code in SITES
        assert request.draft.guide.legal_basis


# --- the loader, against an in-memory stand-in for the service ---------------------------------


def _error(code: grpc.StatusCode) -> grpc.aio.AioRpcError:
    return grpc.aio.AioRpcError(code, grpc.aio.Metadata(), grpc.aio.Metadata(), details=code.name)


class FakeCatalogue:
    def __init__(self) -> None:
        self.sites: dict[str, pb.UpsertSiteRequest] = {}
        self.departments: dict[str, pb.UpsertDepartmentRequest] = {}
        self.matters: dict[str, int] = {}
        self.calls: list[tuple[str, object, float | None]] = []

    def _record(self, name: str, metadata: object, timeout: float | None) -> None:
        self.calls.append((name, metadata, timeout))

    async def UpsertSite(self, request, metadata=None, timeout=None):
        self._record("UpsertSite", metadata, timeout)
        if request.parent_code:
            assert request.parent_code in self.sites, "parents must come first"
        self.sites[request.code] = request
        return pb.Site(code=request.code)

    async def UpsertDepartment(self, request, metadata=None, timeout=None):
        self._record("UpsertDepartment", metadata, timeout)
        assert request.site_code in self.sites
        self.departments[request.code] = request
        return pb.Department(code=request.code)

    async def CreateMatter(self, request, metadata=None, timeout=None):
        self._record("CreateMatter", metadata, timeout)
        assert self.departments[request.draft.department_code].site_code == request.site_code
        if request.code in self.matters:
            raise _error(grpc.StatusCode.ALREADY_EXISTS)
        self.matters[request.code] = pb.MATTER_STATUS_DRAFT
        return pb.Matter(code=request.code)

    async def PublishMatter(self, request, metadata=None, timeout=None):
        self._record("PublishMatter", metadata, timeout)
        if request.code not in self.matters:
            raise _error(grpc.StatusCode.NOT_FOUND)
        if self.matters[request.code] == pb.MATTER_STATUS_PUBLISHED:
            raise _error(grpc.StatusCode.FAILED_PRECONDITION)
        self.matters[request.code] = pb.MATTER_STATUS_PUBLISHED
        return pb.Matter(code=request.code)


async def test_loader_is_idempotent() -> None:
    fake = FakeCatalogue()
    metadata = (("x-govhall-caller-bin", b"admin"),)
    assert await demo.load_demo(fake, metadata) == len(demo.MATTERS)  # type: ignore[arg-type]
    assert set(fake.sites) == set(SITES)
    assert len(fake.departments) == len(demo.DEPARTMENTS)
    assert set(fake.matters.values()) == {pb.MATTER_STATUS_PUBLISHED}
    assert await demo.load_demo(fake, metadata) == len(demo.MATTERS)  # type: ignore[arg-type]
    assert len(fake.matters) == len(demo.MATTERS)
    assert all(md is metadata and timeout == 10 for _, md, timeout in fake.calls)


async def test_loader_raises_other_errors() -> None:
    class Refusing(FakeCatalogue):
        async def CreateMatter(self, request, metadata=None, timeout=None):
            raise _error(grpc.StatusCode.PERMISSION_DENIED)

    with pytest.raises(grpc.aio.AioRpcError):
        await demo.load_demo(Refusing(), ())  # type: ignore[arg-type]
