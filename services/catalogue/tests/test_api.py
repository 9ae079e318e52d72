"""The catalogue over gRPC, on SQLite and on PostgreSQL: sites, departments, browsing and who may write."""

from __future__ import annotations

from govhall.catalogue import taxonomy
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb
from govhall.protos.common.v1 import common_pb2

from .conftest import ADMIN, ANONYMOUS, CLERK, SITES, WUHAN_ADMIN, YICHANG_ADMIN, Catalogue, draft


async def test_sites_know_their_ancestors(catalogue: Catalogue) -> None:
    site = await catalogue.call("GetSite", pb.GetSiteRequest(code="420502"))
    assert list(site.path) == ["420000", "420500", "420502"]
    children = await catalogue.call("ListSites", pb.ListSitesRequest(parent_code="420000"))
    assert [s.code for s in children.sites] == ["420100", "420500"]
    subjects = await catalogue.wait_events(len(SITES))
    assert subjects.count("catalogue.site.upserted") == len(SITES)
    # Each site's event carries it in the subject: the stream keeps the last one per site.
    keyed = {e.subject for e in catalogue.events if e.subject.startswith("catalogue.site.")}
    assert keyed == {f"catalogue.site.upserted.{code}" for code, *_ in SITES}


async def test_departments_are_published_and_stay_with_their_site(catalogue: Catalogue) -> None:
    subjects = await catalogue.wait_events(8)
    upserted = [e for e in catalogue.events if e.subject.startswith("catalogue.department.upserted.")]
    assert len(upserted) == 4 and subjects.count("catalogue.department.upserted") == 4
    event = pb.DepartmentUpserted.FromString(upserted[0].payload)
    assert event.department.code == "420000-GAT" and event.meta.site_code == "420000"
    listed = await catalogue.call("ListDepartments", pb.ListDepartmentsRequest(site_code="420502"))
    assert [d.code for d in listed.departments] == ["420502-MZ", "420502-XZSP"]
    err = await catalogue.error(
        "UpsertDepartment",
        pb.UpsertDepartmentRequest(code="420502-MZ", site_code="420100", name="武汉市民政局"),
    )
    assert err.code == "DEPARTMENT_CODE_TAKEN"
    err = await catalogue.error(
        "UpsertDepartment",
        pb.UpsertDepartmentRequest(code="420502-JY", site_code="420502", name="西陵区教育局"),
        WUHAN_ADMIN,
    )
    assert err.code == "FORBIDDEN"


async def test_taxonomy_lists_both_audiences(catalogue: Catalogue) -> None:
    got = await catalogue.call("GetTaxonomy", pb.GetTaxonomyRequest(), ANONYMOUS)
    assert list(got.person_life_events) == list(taxonomy.PERSON_LIFE_EVENTS)
    assert "出生" in got.person_life_events and "注销" in got.legal_person_life_events
    assert "个体工商户" in got.legal_person_sub_audiences and "老年人" in got.person_sub_audiences
    assert "婚姻登记" in got.person_themes and "法人注销" in got.legal_person_themes


async def test_matter_lifecycle_publishes_events_in_order(catalogue: Catalogue) -> None:
    before = len(await catalogue.wait_events(8))
    created = await catalogue.create("M-1")
    assert created.status == pb.MATTER_STATUS_DRAFT and created.revision == 1 and created.version == 1
    assert created.department_name == "西陵区行政审批局" and created.site_name == "西陵区"
    assert created.site_level == pb.SITE_LEVEL_COUNTY and list(created.site_path) == [
        "420000",
        "420500",
        "420502",
    ]
    assert created.latest_version == 1 and created.published_version == 0
    assert [s.code for s in created.draft.steps] == ["accept", "review", "decide"], "the default chain"

    published = await catalogue.publish("M-1")
    assert published.status == pb.MATTER_STATUS_PUBLISHED and published.HasField("published_at")
    updated = await catalogue.update("M-1", draft("食品经营许可（新办）"))
    assert updated.version == 2 and updated.status == pb.MATTER_STATUS_DRAFT and updated.revision == 3
    withdrawn = await catalogue.withdraw("M-1")
    assert withdrawn.status == pb.MATTER_STATUS_WITHDRAWN and withdrawn.version == 1

    subjects = await catalogue.wait_events(before + 2)
    assert subjects[before:] == ["catalogue.matter.published", "catalogue.matter.withdrawn"], (
        "creating and editing a draft publish nothing"
    )
    last = pb.MatterWithdrawn.FromString(catalogue.events[-1].payload)
    assert last.matter.revision == 4 and last.meta.event_id == catalogue.events[-1].event_id
    assert last.meta.event_type == "catalogue.matter.withdrawn" and last.meta.site_code == "420502"
    assert last.matter.draft.name == "食品经营许可", "the withdrawn version, not the newer draft"


async def test_a_site_sees_its_own_and_its_ancestors_matters(catalogue: Catalogue) -> None:
    for code, site, dept, name in [
        ("P-1", "420000", "420000-GAT", "居民身份证换领"),
        ("C-1", "420502", "420502-XZSP", "营业执照设立登记"),
        ("W-1", "420100", "420100-SCJG", "食品经营许可"),
    ]:
        await catalogue.create(code, site, draft(name, dept), publish=True)
    county = await catalogue.call("ListMatters", pb.ListMattersRequest(site_code="420502"))
    assert [m.code for m in county.matters] == ["P-1", "C-1"], "ancestors first: by site, then code"
    assert county.page.total == 2
    assert county.matters[0].site_level == pb.SITE_LEVEL_PROVINCE
    assert await catalogue.codes(own_site_only=True) == ["C-1"]
    assert await catalogue.codes(name_contains="身份证") == ["P-1"]
    assert await catalogue.codes(name_contains="%") == [], "LIKE wildcards are literal"
    seen = await catalogue.get("P-1")
    assert seen.draft.name == "居民身份证换领"
    err = await catalogue.error("GetMatter", pb.GetMatterRequest(site_code="420502", code="W-1"))
    assert err.code == "MATTER_NOT_FOUND" and "不存在" in err.message_zh


async def test_paging_and_filters(catalogue: Catalogue) -> None:
    for i in range(7):
        await catalogue.create(
            f"X-{i}",
            d=draft(
                f"事项{i}",
                online_application=i % 2 == 0,
                online_depth=4 if i % 2 == 0 else 2,
                type=pb.MATTER_TYPE_PUBLIC_SERVICE if i < 3 else pb.MATTER_TYPE_LICENSING,
            ),
            publish=True,
        )
    page2 = await catalogue.call(
        "ListMatters",
        pb.ListMattersRequest(site_code="420502", page=common_pb2.PageRequest(page=2, page_size=3)),
    )
    assert [m.code for m in page2.matters] == ["X-3", "X-4", "X-5"] and page2.page.total == 7
    assert page2.page.page == 2 and page2.page.page_size == 3
    assert await catalogue.codes(online_only=True) == ["X-0", "X-2", "X-4", "X-6"]
    assert await catalogue.codes(type=pb.MATTER_TYPE_PUBLIC_SERVICE) == ["X-0", "X-1", "X-2"]
    assert await catalogue.codes(min_online_depth=3) == ["X-0", "X-2", "X-4", "X-6"]
    assert await catalogue.codes(min_online_depth=1) == [f"X-{i}" for i in range(7)]
    err = await catalogue.error("ListMatters", pb.ListMattersRequest(site_code="420502", min_online_depth=5))
    assert err.code == "ONLINE_DEPTH_INVALID"
    err = await catalogue.error(
        "ListMatters", pb.ListMattersRequest(site_code="420502", page=common_pb2.PageRequest(page=-1))
    )
    assert err.code == "PAGE_INVALID"


async def test_browse_by_theme_life_event_sub_audience_handling_and_department(catalogue: Catalogue) -> None:
    await catalogue.create(
        "BIRTH",
        d=draft("出生医学证明", themes=["生育收养"], life_events=["出生"], sub_audiences=["妇女儿童"]),
        publish=True,
    )
    await catalogue.create(
        "SHOP",
        d=draft(
            "个体工商户设立登记",
            audiences=[pb.AUDIENCE_LEGAL_PERSON],
            themes=["设立变更"],
            life_events=["设立"],
            sub_audiences=["个体工商户"],
            handling_type=pb.HANDLING_TYPE_INSTANT,
            steps=[],
        ),
        publish=True,
    )
    await catalogue.create(
        "AGED",
        d=draft(
            "高龄津贴申领", "420502-MZ", themes=["社会保障"], life_events=["退休"], sub_audiences=["老年人"]
        ),
        publish=True,
    )
    assert await catalogue.codes(theme="生育收养") == ["BIRTH"]
    assert await catalogue.codes(theme="设立变更") == ["SHOP"]
    assert await catalogue.codes(life_event="退休") == ["AGED"]
    assert await catalogue.codes(sub_audience="个体工商户") == ["SHOP"]
    assert await catalogue.codes(handling_type=pb.HANDLING_TYPE_INSTANT) == ["SHOP"]
    assert await catalogue.codes(handling_type=pb.HANDLING_TYPE_PROMISED) == ["AGED", "BIRTH"]
    assert await catalogue.codes(audience=pb.AUDIENCE_LEGAL_PERSON) == ["SHOP"]
    assert await catalogue.codes(audience=pb.AUDIENCE_PERSON) == ["AGED", "BIRTH"]
    assert await catalogue.codes(department_code="420502-MZ") == ["AGED"]
    assert await catalogue.codes(theme="社会保障", life_event="出生") == []
    assert await catalogue.codes(theme="不存在的主题") == []

    # Browsing follows the published version: a newer draft changes nothing until it is published.
    await catalogue.update("AGED", draft("高龄津贴申领", "420502-MZ", themes=["优待抚恤"]))
    assert await catalogue.codes(theme="社会保障") == ["AGED"]
    assert await catalogue.codes(theme="优待抚恤") == []
    await catalogue.publish("AGED")
    assert await catalogue.codes(theme="社会保障") == []
    assert await catalogue.codes(theme="优待抚恤") == ["AGED"]


async def test_drafts_are_hidden_from_the_public(catalogue: Catalogue) -> None:
    await catalogue.create("D-1", d=draft("草稿事项"))
    err = await catalogue.error(
        "GetMatter", pb.GetMatterRequest(site_code="420502", code="D-1", include_unpublished=True), ANONYMOUS
    )
    assert err.code == "MATTER_NOT_FOUND"
    seen = await catalogue.get("D-1", metadata=YICHANG_ADMIN, include_unpublished=True)
    assert seen.status == pb.MATTER_STATUS_DRAFT
    assert await catalogue.codes() == []
    err = await catalogue.error(
        "ListMatters", pb.ListMattersRequest(site_code="420502", status=pb.MATTER_STATUS_DRAFT), ANONYMOUS
    )
    assert err.code == "FORBIDDEN"
    assert await catalogue.codes(YICHANG_ADMIN, status=pb.MATTER_STATUS_DRAFT) == ["D-1"]
    err = await catalogue.error(
        "ListMatters", pb.ListMattersRequest(site_code="420502", status=pb.MATTER_STATUS_SUPERSEDED)
    )
    assert err.code == "MATTER_STATUS_INVALID"


async def test_unpublished_lists_cover_only_the_sites_the_caller_administers(catalogue: Catalogue) -> None:
    await catalogue.create("PD-1", "420000", draft("省级草稿", "420000-GAT"))
    await catalogue.create("CD-1", d=draft("区级草稿"))
    # A city admin looking from its county sees the county's drafts, not the province's.
    assert await catalogue.codes(YICHANG_ADMIN, status=pb.MATTER_STATUS_DRAFT) == ["CD-1"]
    err = await catalogue.error(
        "GetMatter",
        pb.GetMatterRequest(site_code="420502", code="PD-1", include_unpublished=True),
        YICHANG_ADMIN,
    )
    assert err.code == "MATTER_NOT_FOUND"
    assert await catalogue.codes(ADMIN, status=pb.MATTER_STATUS_DRAFT) == ["PD-1", "CD-1"], (
        "platform admin: all"
    )


async def test_writes_are_checked_against_the_caller(catalogue: Catalogue) -> None:
    request = pb.CreateMatterRequest(code="A-1", site_code="420502", draft=draft("结婚登记"))
    for metadata in [ANONYMOUS, CLERK, WUHAN_ADMIN]:
        err = await catalogue.error("CreateMatter", request, metadata)
        assert err.code == "FORBIDDEN" and err.kind.http_status == 403
    # The city's site admin administers its counties.
    created = await catalogue.call("CreateMatter", request, YICHANG_ADMIN)
    assert created.code == "A-1"
    # ...but not the province's matters, even though the county can see them.
    await catalogue.create("P-2", "420000", draft("出入境证件", "420000-GAT"))
    err = await catalogue.error(
        "PublishMatter", pb.ChangeMatterStatusRequest(code="P-2", site_code="420000"), YICHANG_ADMIN
    )
    assert err.code == "FORBIDDEN"
    # A matter is changed at its own site only, even by the platform admin.
    await catalogue.publish("P-2", "420000")
    err = await catalogue.error(
        "WithdrawMatter", pb.ChangeMatterStatusRequest(code="P-2", site_code="420502")
    )
    assert err.code == "FORBIDDEN" and "所属站点" in err.message_zh
    for name, req in [
        ("UpdateMatter", pb.UpdateMatterRequest(code="A-1", site_code="420502", draft=draft("结婚登记"))),
        ("PublishMatter", pb.ChangeMatterStatusRequest(code="A-1", site_code="420502")),
        ("WithdrawMatter", pb.ChangeMatterStatusRequest(code="A-1", site_code="420502")),
    ]:
        err = await catalogue.error(name, req, CLERK)
        assert err.code == "FORBIDDEN", name
    # Nothing changed by the refused calls.
    still = await catalogue.get("A-1", metadata=YICHANG_ADMIN, include_unpublished=True)
    assert still.status == pb.MATTER_STATUS_DRAFT and still.revision == 1


async def test_bad_input_is_refused_with_codes(catalogue: Catalogue) -> None:
    err = await catalogue.error(
        "CreateMatter", pb.CreateMatterRequest(code="bad code!", site_code="420502", draft=draft())
    )
    assert err.code == "MATTER_CODE_INVALID" and err.kind.http_status == 400
    err = await catalogue.error(
        "CreateMatter",
        pb.CreateMatterRequest(code="B-1", site_code="420502", draft=draft("户口迁移", "420100-SCJG")),
    )
    assert err.code == "DEPARTMENT_NOT_FOUND", "a department of another site is refused"
    err = await catalogue.error("GetSite", pb.GetSiteRequest(code="429999"))
    assert err.code == "SITE_NOT_FOUND" and err.kind.http_status == 404
    err = await catalogue.error("GetSite", pb.GetSiteRequest(code="4205"))
    assert err.code == "SITE_CODE_INVALID"
    await catalogue.create("B-2", d=draft("户口迁移"))
    err = await catalogue.error(
        "CreateMatter", pb.CreateMatterRequest(code="B-2", site_code="420502", draft=draft())
    )
    assert err.code == "MATTER_CODE_TAKEN" and err.kind.http_status == 409
    err = await catalogue.error(
        "WithdrawMatter", pb.ChangeMatterStatusRequest(code="B-2", site_code="420502")
    )
    assert err.code == "MATTER_NOT_IN_STATE" and err.kind.http_status == 409
    err = await catalogue.error(
        "UpdateMatter",
        pb.UpdateMatterRequest(code="B-2", site_code="420502", draft=draft(), expected_revision=9),
    )
    assert err.code == "MATTER_REVISION_CONFLICT"
    err = await catalogue.error(
        "UpdateMatter", pb.UpdateMatterRequest(code="NOPE", site_code="420502", draft=draft())
    )
    assert err.code == "MATTER_NOT_FOUND"
    err = await catalogue.error(
        "CreateMatter", pb.CreateMatterRequest(code="B-3", site_code="420502", draft=draft(""))
    )
    assert err.code == "MATTER_INVALID" and [f.field for f in err.fields] == ["draft.name"]
    err = await catalogue.error(
        "UpdateMatter", pb.UpdateMatterRequest(code="B-2", site_code="420502", draft=draft(name="x" * 201))
    )
    assert err.code == "MATTER_INVALID" and err.fields[0].field == "draft.name"


async def test_nul_characters_are_refused_at_the_door(catalogue: Catalogue) -> None:
    err = await catalogue.error(
        "CreateMatter", pb.CreateMatterRequest(code="N-1", site_code="420502", draft=draft("食品\x00经营"))
    )
    assert err.code == "TEXT_INVALID"
