"""Catalogue domain rules, without I/O: sites, guides, versions, articles, who may do what."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import pytest

from govhall.catalogue import guide, model, taxonomy
from govhall.catalogue.model import SiteRecord
from govhall.kit.errors import DomainError, ErrorKind
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb
from govhall.protos.common.v1 import common_pb2

from .conftest import draft as full_draft

PROVINCE = SiteRecord("420000", "湖北省", pb.SITE_LEVEL_PROVINCE, "", ["420000"])
CITY = SiteRecord("420500", "宜昌市", pb.SITE_LEVEL_CITY, "420000", ["420000", "420500"])
T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def good_draft(**overrides: object) -> pb.MatterDraft:
    d = pb.MatterDraft(
        name=" 食品经营许可 ",
        department_code="420502-SCJG",
        audiences=[pb.AUDIENCE_LEGAL_PERSON, pb.AUDIENCE_PERSON, pb.AUDIENCE_PERSON],
        type=pb.MATTER_TYPE_LICENSING,
        handling_type=pb.HANDLING_TYPE_PROMISED,
        promised_limit=common_pb2.TimeLimit(value=10),
        legal_limit=common_pb2.TimeLimit(value=20, unit=common_pb2.TIME_LIMIT_UNIT_WORKING_DAY),
    )
    for key, value in overrides.items():
        if isinstance(value, list):
            getattr(d, key)[:] = value
        elif hasattr(value, "CopyFrom"):
            getattr(d, key).CopyFrom(value)
        else:
            setattr(d, key, value)
    return d


def problems(d: pb.MatterDraft) -> dict[str, str]:
    """Field → Chinese message of every problem (the last one per field)."""
    _, found = model.check_draft(d)
    return {p.field: p.message_zh for p in found}


# Sites --------------------------------------------------------------------------------------


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


# Guides -------------------------------------------------------------------------------------


def test_valid_draft_is_normalised() -> None:
    clean = model.validate_draft(good_draft(online_depth=0, base_code=" 00001720300A "))
    assert clean.name == "食品经营许可" and clean.base_code == "00001720300A"
    assert list(clean.audiences) == [pb.AUDIENCE_PERSON, pb.AUDIENCE_LEGAL_PERSON]
    assert clean.promised_limit.unit == common_pb2.TIME_LIMIT_UNIT_WORKING_DAY
    assert clean.online_depth == 1, "0 means the lowest depth, 公开"
    assert [(s.name, s.role) for s in clean.steps] == [
        ("受理", "window_clerk"),
        ("审核", "reviewer"),
        ("决定", "approver"),
    ]


def test_the_full_test_guide_is_valid_and_normalised() -> None:
    d = full_draft()
    d.materials[1].accepted_types[:] = ["PDF", ".jpeg", "pdf"]
    d.fees.charged = True
    d.fees.items.add(name=" 工本费 ", amount=common_pb2.Money(amount_fen=1000), basis="《收费标准》")
    d.themes.append("准营准办")
    clean = model.validate_draft(d)
    assert list(clean.materials[1].accepted_types) == ["pdf", "jpg"]
    assert clean.fees.items[0].name == "工本费" and clean.fees.items[0].amount.currency == "CNY"
    assert list(clean.themes) == ["准营准办"], "duplicates dropped"


def test_default_steps_follow_the_handling_type() -> None:
    instant = model.default_steps(pb.HANDLING_TYPE_INSTANT)
    assert [(s.code, s.name, s.role) for s in instant] == [("accept_decide", "受理并决定", "window_clerk")]
    promised = model.default_steps(pb.HANDLING_TYPE_PROMISED)
    assert [s.role for s in promised] == ["window_clerk", "reviewer", "approver"]
    clean = model.validate_draft(good_draft(handling_type=pb.HANDLING_TYPE_INSTANT))
    assert [s.code for s in clean.steps] == ["accept_decide"]


def test_invalid_draft_reports_every_field_in_chinese() -> None:
    d = good_draft(name="", type=pb.MATTER_TYPE_UNSPECIFIED, handling_type=pb.HANDLING_TYPE_UNSPECIFIED)
    d.promised_limit.value = 30
    del d.audiences[:]
    with pytest.raises(DomainError) as caught:
        model.validate_draft(d)
    err = caught.value
    fields = {f.field: f.message_zh for f in err.fields}
    assert set(fields) == {
        "draft.name",
        "draft.type",
        "draft.audiences",
        "draft.handling_type",
        "draft.promised_limit",
    }
    assert fields["draft.promised_limit"] == "承诺办结时限不能超过法定办结时限"
    assert err.code == "MATTER_INVALID" and err.kind is ErrorKind.INVALID
    assert "请填写事项名称" in err.message_zh and "draft.name" in err.message


def test_codes_and_limits() -> None:
    found = problems(
        good_draft(base_code="12345", department_code="", legal_limit=common_pb2.TimeLimit(value=400))
    )
    assert found["draft.base_code"] == "基本编码应为12位字母或数字"
    assert found["draft.department_code"] == "请填写实施部门编码"
    assert "不能超过365天" in found["draft.legal_limit"]
    assert problems(good_draft(promised_limit=common_pb2.TimeLimit(value=0))) == {
        "draft.promised_limit": "承诺件须填写承诺办结时限"
    }
    assert (
        problems(good_draft(handling_type=pb.HANDLING_TYPE_INSTANT, promised_limit=common_pb2.TimeLimit()))
        == {}
    )


def test_taxonomy_terms_depend_on_the_audience() -> None:
    person = good_draft(audiences=[pb.AUDIENCE_PERSON])
    person.themes[:] = ["婚姻登记", "法人注销"]
    person.life_events[:] = ["出生", "注销"]
    person.sub_audiences[:] = ["老年人", "个体工商户"]
    found = problems(person)
    assert set(found) == {"draft.themes[1]", "draft.life_events[1]", "draft.sub_audiences[1]"}
    assert found["draft.themes[1]"] == "“法人注销”不在服务对象适用的主题分类中"
    both = good_draft()
    both.themes[:] = ["婚姻登记", "法人注销"]
    both.life_events[:] = ["出生", "注销"]
    both.sub_audiences[:] = ["老年人", "个体工商户"]
    assert problems(both) == {}, "a matter for both audiences draws on both lists"
    assert taxonomy.allowed(taxonomy.LIFE_EVENTS, [pb.AUDIENCE_LEGAL_PERSON]) == set(
        taxonomy.LEGAL_PERSON_LIFE_EVENTS
    )


def test_fees_are_either_free_or_itemised_in_fen() -> None:
    charged = good_draft()
    charged.fees.charged = True
    assert problems(charged) == {"draft.fees.items": "收费事项须列明收费项目"}
    listed = good_draft()
    listed.fees.items.add(name="工本费", amount=common_pb2.Money(amount_fen=500))
    assert problems(listed) == {"draft.fees.charged": "已列收费项目，请勾选收费"}
    bad = good_draft()
    bad.fees.charged = True
    bad.fees.items.add(name="", amount=common_pb2.Money(amount_fen=-1, currency="USD"))
    assert set(problems(bad)) == {
        "draft.fees.items[0].name",
        "draft.fees.items[0].amount",
        "draft.fees.items[0].amount.currency",
    }


def test_steps_have_unique_codes_known_roles_and_fit_the_promised_limit() -> None:
    d = good_draft()
    d.steps.add(code="accept", name="受理", role="window_clerk", time_limit_days=2)
    d.steps.add(code="accept", name="审核", role="reviewer", time_limit_days=5)
    d.steps.add(code="decide", name="", role="boss", time_limit_days=5)
    found = problems(d)
    assert set(found) == {"draft.steps[1].code", "draft.steps[2].name", "draft.steps[2].role", "draft.steps"}
    assert found["draft.steps"] == "各环节时限合计12天，超过承诺办结时限10天"
    assert "重复" in found["draft.steps[1].code"]


def test_materials() -> None:
    d = full_draft()
    d.materials.add(code="M01", name="", copies=21, source=pb.MATERIAL_SOURCE_LICENCE, accepted_types=["doc"])
    d.materials.add(
        code="M04",
        name="房产证明",
        form=pb.MATERIAL_FORM_COPY,
        necessity=pb.MATERIAL_NECESSITY_CONDITIONAL,
        source=pb.MATERIAL_SOURCE_APPLICANT,
    )
    found = problems(d)
    assert set(found) == {
        "draft.materials[2].code",
        "draft.materials[2].name",
        "draft.materials[2].form",
        "draft.materials[2].necessity",
        "draft.materials[2].copies",
        "draft.materials[2].licence_type_code",
        "draft.materials[2].accepted_types[0]",
        "draft.materials[3].condition",
    }
    assert found["draft.materials[2].name"] == "请填写材料名称"
    assert found["draft.materials[3].condition"] == "情形必要的材料须说明适用情形，或由情形选项选择"
    d.materials[3].condition = "申请人名下有房产的"
    assert "draft.materials[3].condition" not in problems(d)


def test_situations() -> None:
    d = full_draft()
    d.situations.add(
        code="S1A",
        question="",
        options=[
            pb.SituationOption(code="X1", label="是", material_codes=["M09"], form_sections=["nowhere"])
        ],
    )
    found = problems(d)
    assert set(found) == {
        "draft.situations[1].code",
        "draft.situations[1].question",
        "draft.situations[1].options",
        "draft.situations[1].options[0].material_codes[0]",
        "draft.situations[1].options[0].form_sections[0]",
    }
    assert "S1A" in found["draft.situations[1].code"], "situation and option codes share one namespace"
    assert found["draft.situations[1].options"] == "每个情形应有2至20个选项"


def test_form_schema() -> None:
    def schema_problems(schema: object) -> list[str]:
        text = schema if isinstance(schema, str) else json.dumps(schema, ensure_ascii=False)
        _, found = model.check_draft(good_draft(form_schema=text))
        assert all(p.field == "draft.form_schema" for p in found)
        return [p.message for p in found]

    assert schema_problems({"type": "object", "properties": {"a": {"type": "string", "title": "姓名"}}}) == []
    assert "not valid JSON" in schema_problems("{")[0]
    assert "object" in schema_problems({"type": "array"})[0]
    assert (
        "not a valid JSON Schema" in schema_problems({"type": "object", "properties": {"a": {"type": 5}}})[0]
    )
    untitled = schema_problems(
        {
            "type": "object",
            "properties": {
                "a": {"type": "string", "title": "Name"},
                "b": {"type": "object", "title": "地址", "properties": {"c": {"type": "string"}}},
            },
        }
    )
    assert untitled == ["form property a needs a Chinese title", "form property b.c needs a Chinese title"]
    huge = {"type": "object", "description": "x" * (65 * 1024)}
    assert "64 KB" in schema_problems(huge)[0]


def test_form_schemas_are_checked_once_per_text() -> None:
    text = json.dumps({"type": "object", "properties": {"z": {"type": "string", "title": "备注"}}})
    before = guide._schema_report.cache_info()
    for _ in range(50):
        model.check_draft(good_draft(form_schema=text))
    after = guide._schema_report.cache_info()
    assert after.misses - before.misses <= 1 and after.hits - before.hits >= 49


def test_places_depth_visits_and_online_application() -> None:
    d = good_draft(online_depth=5, visits=3, online_application=True)
    d.places.add(name=" ")
    found = problems(d)
    assert set(found) == {"draft.places[0].name", "draft.online_depth", "draft.visits"}
    shallow = problems(good_draft(online_depth=2, online_application=True))
    assert shallow == {
        "draft.online_application": "可网上申报的事项，网上办理深度应为3级（在线申办）或4级（全程网办）"
    }
    assert problems(good_draft(online_depth=3, online_application=True, visits=0)) == {}


def test_guide_texts_have_a_limit() -> None:
    d = good_draft()
    d.guide.legal_basis = "法" * 20_001
    assert problems(d) == {"draft.guide.legal_basis": "办事指南内容过长（不超过20000字）"}


# Versions -----------------------------------------------------------------------------------


def _later(minutes: int) -> datetime:
    return T0 + timedelta(minutes=minutes)


def test_a_draft_is_edited_in_place_until_published() -> None:
    state = model.new_matter("M-1", "420502", good_draft(name="一"), T0)
    assert state.revision == 1 and state.latest.number == 1 and state.published is None
    assert state.is_new and state.new_versions == {1}
    version = model.edit_matter(state, good_draft(name="二"), _later(1))
    assert version.number == 1 and version.draft.name == "二" and state.revision == 2
    assert state.listed is version, "with nothing published, browsing describes the newest version"


def test_publishing_and_editing_open_new_versions() -> None:
    state = model.new_matter("M-1", "420502", good_draft(name="一"), T0)
    v1 = model.publish_matter(state, _later(1))
    assert v1.status == pb.MATTER_STATUS_PUBLISHED and v1.published_at == _later(1)
    assert state.last_published == 1 and state.revision == 2

    state.touched.clear()
    state.new_versions.clear()
    v2 = model.edit_matter(state, good_draft(name="二"), _later(2))
    assert v2.number == 2 and v2.status == pb.MATTER_STATUS_DRAFT
    assert state.published is v1 and v1.draft.name == "一", "the published version is untouched"
    assert state.listed is v1 and state.new_versions == {2} and set(state.touched) == {2}

    model.publish_matter(state, _later(3))
    assert v1.status == pb.MATTER_STATUS_SUPERSEDED and v1.ended_at == _later(3)
    assert v2.status == pb.MATTER_STATUS_PUBLISHED and state.published is v2 and state.last_published == 2
    assert set(state.touched) == {1, 2} and state.revision == 4
    with pytest.raises(DomainError) as caught:
        model.publish_matter(state, _later(4))
    assert caught.value.code == "MATTER_NOT_IN_STATE" and caught.value.kind is ErrorKind.WRONG_STATE


def test_withdraw_and_publish_again() -> None:
    state = model.new_matter("M-1", "420502", good_draft(), T0)
    with pytest.raises(DomainError) as caught:
        model.withdraw_matter(state, _later(1))
    assert caught.value.code == "MATTER_NOT_IN_STATE" and "没有已发布的版本" in caught.value.message_zh
    model.publish_matter(state, _later(1))
    v1 = model.withdraw_matter(state, _later(2))
    assert v1.status == pb.MATTER_STATUS_WITHDRAWN and v1.ended_at == _later(2)
    assert state.published is None and state.last_published == 1
    assert state.listed is v1 and state.listed.status == pb.MATTER_STATUS_WITHDRAWN
    again = model.publish_matter(state, _later(3))
    assert again is v1 and v1.status == pb.MATTER_STATUS_PUBLISHED and v1.ended_at is None
    # A newer draft stays a draft when the published version is withdrawn; publishing then publishes it.
    v2 = model.edit_matter(state, good_draft(name="二"), _later(4))
    model.withdraw_matter(state, _later(5))
    assert v2.status == pb.MATTER_STATUS_DRAFT and state.listed is v2
    model.publish_matter(state, _later(6))
    assert v2.status == pb.MATTER_STATUS_PUBLISHED and v1.status == pb.MATTER_STATUS_WITHDRAWN


def test_who_may_read_a_version() -> None:
    assert model.may_read_version(pb.MATTER_STATUS_SUPERSEDED, administers=False)
    assert model.may_read_version(pb.MATTER_STATUS_WITHDRAWN, administers=False)
    assert not model.may_read_version(pb.MATTER_STATUS_DRAFT, administers=False)
    assert model.may_read_version(pb.MATTER_STATUS_DRAFT, administers=True)


# Articles -----------------------------------------------------------------------------------


def test_article_rules() -> None:
    ok = pb.SaveArticleRequest(
        id="notice-2026-01", kind=pb.ARTICLE_KIND_FAQ, title=" 如何办理？ ", body=" 答 "
    )
    assert model.check_article(ok) == ("如何办理？", "答")
    bad = pb.SaveArticleRequest(id="-x", title="", body="字" * 50_001)
    with pytest.raises(DomainError) as caught:
        model.check_article(bad)
    assert {f.field for f in caught.value.fields} == {"id", "kind", "title", "body"}
    assert model.next_article_status("publish", pb.ARTICLE_STATUS_DRAFT) == pb.ARTICLE_STATUS_PUBLISHED
    assert model.next_article_status("publish", pb.ARTICLE_STATUS_WITHDRAWN) == pb.ARTICLE_STATUS_PUBLISHED
    with pytest.raises(DomainError) as caught:
        model.next_article_status("withdraw", pb.ARTICLE_STATUS_DRAFT)
    assert caught.value.code == "ARTICLE_NOT_IN_STATE" and "草稿" in caught.value.message_zh
    assert model.article_is_public(pb.ARTICLE_STATUS_PUBLISHED, T0, _later(1))
    assert not model.article_is_public(pb.ARTICLE_STATUS_PUBLISHED, _later(2), _later(1))
    assert not model.article_is_public(pb.ARTICLE_STATUS_WITHDRAWN, T0, _later(1))


# Who may do what ----------------------------------------------------------------------------


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


def test_who_may_export() -> None:
    assert model.may_export(common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_SERVICE))
    assert model.may_export(common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_ADMIN))
    staff = common_pb2.CallerIdentity(
        kind=common_pb2.CALLER_KIND_STAFF, roles=["site_admin"], site_code="420000"
    )
    assert not model.may_export(staff)
    assert not model.may_export(common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_ANONYMOUS))
