"""Matter versions over gRPC: drafts edited in place, published versions immutable, old ones readable."""

from __future__ import annotations

from govhall.protos.catalogue.v1 import catalogue_pb2 as pb

from .conftest import ADMIN, ANONYMOUS, CITIZEN, XILING_ADMIN, YICHANG_ADMIN, Catalogue, draft

PUBLISHED, SUPERSEDED = pb.MATTER_STATUS_PUBLISHED, pb.MATTER_STATUS_SUPERSEDED
DRAFT, WITHDRAWN = pb.MATTER_STATUS_DRAFT, pb.MATTER_STATUS_WITHDRAWN


async def _versions(catalogue: Catalogue, code: str, metadata: object = ANONYMOUS) -> list[tuple[int, int]]:
    reply = await catalogue.call(
        "ListMatterVersions", pb.ListMatterVersionsRequest(site_code="420502", code=code), metadata
    )
    return [(v.version, v.status) for v in reply.versions]


async def test_versions_from_draft_to_superseded(catalogue: Catalogue) -> None:
    await catalogue.create("V-1", d=draft("一版"))
    edited = await catalogue.update("V-1", draft("一版（修订）"))
    assert (edited.version, edited.revision, edited.status) == (1, 2, DRAFT), "a draft is edited in place"

    v1 = await catalogue.publish("V-1")
    assert (v1.version, v1.published_version, v1.latest_version, v1.revision) == (1, 1, 1, 3)

    v2 = await catalogue.update("V-1", draft("二版"), expected_revision=3)
    assert (v2.version, v2.status, v2.published_version, v2.latest_version, v2.revision) == (
        2,
        DRAFT,
        1,
        2,
        4,
    )
    public = await catalogue.get("V-1")
    assert public.version == 1 and public.draft.name == "一版（修订）", "the public still sees version 1"
    assert public.latest_version == 2 and public.published_version == 1
    newest = await catalogue.get("V-1", metadata=XILING_ADMIN, include_unpublished=True)
    assert newest.version == 2 and newest.status == DRAFT
    err = await catalogue.error(
        "GetMatter", pb.GetMatterRequest(site_code="420502", code="V-1", version=2), CITIZEN
    )
    assert err.code == "MATTER_VERSION_NOT_FOUND", "a draft version is its administrators' only"
    assert (await catalogue.get("V-1", metadata=XILING_ADMIN, version=2)).draft.name == "二版"
    assert await catalogue.codes() == ["V-1"]

    again = await catalogue.update("V-1", draft("二版（修订）"))
    assert again.version == 2 and again.revision == 5, "the open draft is edited, no third version"

    published = await catalogue.publish("V-1")
    assert (published.version, published.status, published.published_version) == (2, PUBLISHED, 2)
    assert (await catalogue.get("V-1")).draft.name == "二版（修订）"
    old = await catalogue.get("V-1", version=1)
    assert old.status == SUPERSEDED and old.draft.name == "一版（修订）" and old.published_version == 2
    assert await _versions(catalogue, "V-1") == [(2, PUBLISHED), (1, SUPERSEDED)]
    listed = await catalogue.call(
        "ListMatterVersions", pb.ListMatterVersionsRequest(site_code="420502", code="V-1")
    )
    assert listed.versions[1].HasField("ended_at") and not listed.versions[0].HasField("ended_at")
    assert listed.versions[1].name == "一版（修订）"

    await catalogue.update("V-1", draft("三版"))
    assert await _versions(catalogue, "V-1") == [(2, PUBLISHED), (1, SUPERSEDED)]
    assert await _versions(catalogue, "V-1", XILING_ADMIN) == [(3, DRAFT), (2, PUBLISHED), (1, SUPERSEDED)]

    published_events = [
        pb.MatterPublished.FromString(e.payload).matter
        for e in await catalogue.wait_subjects("catalogue.matter.published", 2)
    ]
    assert [(m.version, m.revision, m.draft.name) for m in published_events] == [
        (1, 3, "一版（修订）"),
        (2, 6, "二版（修订）"),
    ]


async def test_withdraw_keeps_versions_readable_and_publish_brings_it_back(catalogue: Catalogue) -> None:
    await catalogue.create("W-1", d=draft("撤回前"), publish=True)
    withdrawn = await catalogue.withdraw("W-1")
    assert (withdrawn.status, withdrawn.version, withdrawn.published_version) == (WITHDRAWN, 1, 0)
    err = await catalogue.error("GetMatter", pb.GetMatterRequest(site_code="420502", code="W-1"), ANONYMOUS)
    assert err.code == "MATTER_NOT_FOUND"
    assert (await catalogue.get("W-1", version=1)).status == WITHDRAWN, "cases cite it still"
    assert await catalogue.codes() == []
    assert await catalogue.codes(XILING_ADMIN, status=WITHDRAWN) == ["W-1"]
    err = await catalogue.error(
        "WithdrawMatter", pb.ChangeMatterStatusRequest(code="W-1", site_code="420502")
    )
    assert err.code == "MATTER_NOT_IN_STATE"

    again = await catalogue.publish("W-1")
    assert (again.version, again.status, again.revision) == (1, PUBLISHED, 4), (
        "no new version to publish again"
    )
    assert await catalogue.codes() == ["W-1"]

    # Withdrawing leaves a newer draft alone; publishing then publishes that draft.
    await catalogue.update("W-1", draft("撤回后新版"))
    await catalogue.withdraw("W-1")
    assert await catalogue.codes(XILING_ADMIN, status=DRAFT) == ["W-1"]
    assert await _versions(catalogue, "W-1", ADMIN) == [(2, DRAFT), (1, WITHDRAWN)]
    republished = await catalogue.publish("W-1")
    assert republished.version == 2 and republished.draft.name == "撤回后新版"
    assert await _versions(catalogue, "W-1") == [(2, PUBLISHED), (1, WITHDRAWN)]
    subjects = [e.subject.rsplit(".", 1)[0] for e in await catalogue.wait_subjects("catalogue.matter.", 5)]
    assert subjects == [
        "catalogue.matter.published",
        "catalogue.matter.withdrawn",
        "catalogue.matter.published",
        "catalogue.matter.withdrawn",
        "catalogue.matter.published",
    ]


async def test_publishing_twice_and_stale_revisions_are_refused(catalogue: Catalogue) -> None:
    await catalogue.create("R-1", publish=True)
    err = await catalogue.error("PublishMatter", pb.ChangeMatterStatusRequest(code="R-1", site_code="420502"))
    assert err.code == "MATTER_NOT_IN_STATE" and err.kind.http_status == 409
    err = await catalogue.error(
        "UpdateMatter",
        pb.UpdateMatterRequest(code="R-1", site_code="420502", draft=draft(), expected_revision=1),
    )
    assert err.code == "MATTER_REVISION_CONFLICT" and "刷新" in err.message_zh
    assert (await catalogue.get("R-1", metadata=ADMIN, include_unpublished=True)).latest_version == 1


async def test_version_reads_from_other_sites_and_unknown_versions(catalogue: Catalogue) -> None:
    await catalogue.create("P-1", "420000", draft("省级事项", "420000-GAT"), publish=True)
    await catalogue.update("P-1", draft("省级事项二版", "420000-GAT"), site="420000")
    # Seen from a county: the published version, and the draft only for the province's administrators.
    assert (await catalogue.get("P-1")).version == 1
    for metadata in (XILING_ADMIN, YICHANG_ADMIN):
        seen = await catalogue.get("P-1", metadata=metadata, include_unpublished=True)
        assert seen.version == 1, "a county or city admin does not administer the province"
    assert (await catalogue.get("P-1", metadata=ADMIN, include_unpublished=True)).version == 2
    err = await catalogue.error("GetMatter", pb.GetMatterRequest(site_code="420100", code="P-1", version=7))
    assert err.code == "MATTER_VERSION_NOT_FOUND"
    err = await catalogue.error("GetMatter", pb.GetMatterRequest(site_code="420502", code="P-1", version=-1))
    assert err.code == "MATTER_VERSION_INVALID"
    await catalogue.create("C-1")
    err = await catalogue.error(
        "ListMatterVersions", pb.ListMatterVersionsRequest(site_code="420502", code="C-1"), ANONYMOUS
    )
    assert err.code == "MATTER_NOT_FOUND", "a matter never published does not exist for the public"
    err = await catalogue.error(
        "ListMatterVersions", pb.ListMatterVersionsRequest(site_code="420100", code="C-1"), ADMIN
    )
    assert err.code == "MATTER_NOT_FOUND", "not visible from a sibling city"
