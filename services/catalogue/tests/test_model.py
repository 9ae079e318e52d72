"""Catalogue domain rules, without I/O."""

import pytest

from govhall.catalogue import model
from govhall.catalogue.model import SiteRecord
from govhall.kit.errors import DomainError, ErrorKind
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb
from govhall.protos.common.v1 import common_pb2

PROVINCE = SiteRecord("420000", "湖北省", pb.SITE_LEVEL_PROVINCE, "", ["420000"])
CITY = SiteRecord("420500", "宜昌市", pb.SITE_LEVEL_CITY, "420000", ["420000", "420500"])


def good_draft(**overrides) -> pb.MatterDraft:
    draft = pb.MatterDraft(
        name=" 食品经营许可 ",
        department_code="420502-SCJG",
        audiences=[pb.AUDIENCE_LEGAL_PERSON, pb.AUDIENCE_PERSON, pb.AUDIENCE_PERSON],
        type=pb.MATTER_TYPE_LICENSING,
        promised_limit=common_pb2.TimeLimit(value=10),
        legal_limit=common_pb2.TimeLimit(value=20, unit=common_pb2.TIME_LIMIT_UNIT_WORKING_DAY),
    )
    for key, value in overrides.items():
        setattr(draft, key, value)
    return draft


def test_site_paths_follow_the_levels() -> None:
    assert model.site_path(pb.SITE_LEVEL_PROVINCE, None, "420000") == ["420000"]
    assert model.site_path(pb.SITE_LEVEL_CITY, PROVINCE, "420500") == ["420000", "420500"]
    assert model.site_path(pb.SITE_LEVEL_COUNTY, CITY, "420502") == ["420000", "420500", "420502"]


@pytest.mark.parametrize(
    ("level", "parent", "code"),
    [
        (pb.SITE_LEVEL_COUNTY, PROVINCE, "SITE_PARENT_LEVEL"),  # a county directly under a province
        (pb.SITE_LEVEL_CITY, None, "SITE_PARENT_REQUIRED"),
        (pb.SITE_LEVEL_PROVINCE, PROVINCE, "SITE_PARENT_INVALID"),
        (0, None, "SITE_LEVEL_INVALID"),
    ],
)
def test_site_tree_rejects_wrong_parents(level: int, parent: SiteRecord | None, code: str) -> None:
    with pytest.raises(DomainError) as caught:
        model.site_path(level, parent, "420502")
    assert caught.value.code == code
    assert caught.value.kind is ErrorKind.INVALID


@pytest.mark.parametrize("code", ["42050", "4205021", "42O502", ""])
def test_site_codes_are_six_digits(code: str) -> None:
    with pytest.raises(DomainError) as caught:
        model.check_site_code(code)
    assert caught.value.message_zh == "站点编码应为6位行政区划代码"


def test_valid_draft_is_normalised() -> None:
    clean = model.validate_draft(good_draft())
    assert clean.name == "食品经营许可"
    assert list(clean.audiences) == [pb.AUDIENCE_PERSON, pb.AUDIENCE_LEGAL_PERSON]
    assert clean.promised_limit.unit == common_pb2.TIME_LIMIT_UNIT_WORKING_DAY


def test_invalid_draft_reports_every_field_in_chinese() -> None:
    draft = good_draft(name="", type=pb.MATTER_TYPE_UNSPECIFIED)
    draft.promised_limit.value = 30
    del draft.audiences[:]
    with pytest.raises(DomainError) as caught:
        model.validate_draft(draft)
    fields = {f.field: f.message_zh for f in caught.value.fields}
    assert set(fields) == {"draft.name", "draft.type", "draft.audiences", "draft.promised_limit"}
    assert fields["draft.promised_limit"] == "承诺办结时限不能超过法定办结时限"
    assert "事项名称不能为空" in caught.value.message_zh


@pytest.mark.parametrize(
    ("action", "status", "target"),
    [
        ("publish", pb.MATTER_STATUS_DRAFT, pb.MATTER_STATUS_PUBLISHED),
        ("publish", pb.MATTER_STATUS_WITHDRAWN, pb.MATTER_STATUS_PUBLISHED),
        ("withdraw", pb.MATTER_STATUS_PUBLISHED, pb.MATTER_STATUS_WITHDRAWN),
    ],
)
def test_allowed_status_changes(action: str, status: int, target: int) -> None:
    assert model.next_status(action, status) == target


@pytest.mark.parametrize(
    ("action", "status"),
    [
        ("publish", pb.MATTER_STATUS_PUBLISHED),
        ("withdraw", pb.MATTER_STATUS_DRAFT),
        ("withdraw", pb.MATTER_STATUS_WITHDRAWN),
    ],
)
def test_forbidden_status_changes(action: str, status: int) -> None:
    with pytest.raises(DomainError) as caught:
        model.next_status(action, status)
    assert caught.value.code == "MATTER_NOT_IN_STATE"
    assert caught.value.kind is ErrorKind.WRONG_STATE


def test_who_may_administer_a_site() -> None:
    county = SiteRecord("420502", "西陵区", pb.SITE_LEVEL_COUNTY, "420500", ["420000", "420500", "420502"])
    admin = common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_ADMIN)
    city_admin = common_pb2.CallerIdentity(
        kind=common_pb2.CALLER_KIND_STAFF, roles=["site_admin"], site_code="420500"
    )
    other_city = common_pb2.CallerIdentity(
        kind=common_pb2.CALLER_KIND_STAFF, roles=["site_admin"], site_code="420100"
    )
    clerk = common_pb2.CallerIdentity(
        kind=common_pb2.CALLER_KIND_STAFF, roles=["window_clerk"], site_code="420502"
    )
    citizen = common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_PERSON, site_code="420502")
    assert model.may_administer(admin, county)
    assert model.may_administer(city_admin, county)
    assert not model.may_administer(other_city, county)
    assert not model.may_administer(clerk, county)
    assert not model.may_administer(citizen, county)
