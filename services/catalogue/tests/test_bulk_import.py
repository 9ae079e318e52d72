"""ImportMatters over gRPC: every item checked first, then all written in one transaction, or none."""

from __future__ import annotations

from typing import Any

from govhall.catalogue import bulkimport
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb
from govhall.protos.common.v1 import common_pb2

from .conftest import ADMIN, ANONYMOUS, CLERK, WUHAN_ADMIN, YICHANG_ADMIN, Catalogue, draft


def items(count: int, prefix: str = "IMP", **fields: Any) -> list[pb.CreateMatterRequest]:
    return [
        pb.CreateMatterRequest(code=f"{prefix}-{i:04d}", draft=draft(f"导入事项{i}", **fields))
        for i in range(count)
    ]


async def run(
    catalogue: Catalogue, entries: list[pb.CreateMatterRequest], metadata: Any = ADMIN, **kw: Any
) -> Any:
    kw.setdefault("site_code", "420502")
    return await catalogue.call("ImportMatters", pb.ImportMattersRequest(items=entries, **kw), metadata)


async def total(catalogue: Catalogue, status: int = pb.MATTER_STATUS_PUBLISHED) -> int:
    reply = await catalogue.call("ListMatters", pb.ListMattersRequest(site_code="420502", status=status))
    return int(reply.page.total)


async def test_a_good_list_is_imported_and_published(catalogue: Catalogue) -> None:
    before = len(await catalogue.wait_events(8))
    reply = await run(catalogue, items(30), YICHANG_ADMIN, publish=True)
    assert (reply.created, reply.updated, reply.published, list(reply.problems)) == (30, 0, 30, [])
    assert await total(catalogue) == 30
    matter = await catalogue.get("IMP-0007")
    assert matter.draft.name == "导入事项7" and matter.revision == 2 and matter.version == 1
    assert [s.code for s in matter.draft.steps] == ["accept", "review", "decide"], (
        "normalised like CreateMatter"
    )
    subjects = await catalogue.wait_events(before + 30)
    assert subjects[before:] == ["catalogue.matter.published"] * 30
    event = pb.MatterPublished.FromString(catalogue.events[-1].payload)
    assert event.matter.department_name == "西陵区行政审批局" and list(event.matter.site_path)[-1] == "420502"

    drafts = await run(catalogue, items(5, "DRF"))
    assert (drafts.created, drafts.published) == (5, 0)
    assert await total(catalogue, pb.MATTER_STATUS_DRAFT) == 5
    assert len(catalogue.events) == before + 30, "drafts publish nothing"


async def test_one_bad_item_stops_the_whole_import_and_every_problem_is_reported(
    catalogue: Catalogue,
) -> None:
    await catalogue.create("TAKEN", publish=True)
    await catalogue.create("WUHAN-1", "420100", draft("武汉事项", "420100-SCJG"))
    entries = items(6)
    entries[1].code = "bad code!"
    entries[2].code = entries[0].code
    entries[3].draft.name = ""
    entries[3].draft.materials[0].copies = 99
    entries[4].draft.department_code = "420100-SCJG"
    entries[5].code = "TAKEN"
    entries.append(pb.CreateMatterRequest(code="OTHER-SITE", site_code="420100", draft=draft()))
    entries.append(pb.CreateMatterRequest(code="WUHAN-1", draft=draft()))
    reply = await run(catalogue, entries, publish=True)
    assert (reply.created, reply.updated, reply.published) == (0, 0, 0)
    found = [(p.item, p.field) for p in reply.problems]
    assert found == [
        (1, "code"),
        (2, "code"),
        (3, "draft.name"),
        (3, "draft.materials[0].copies"),
        (4, "draft.department_code"),
        (5, "code"),
        (6, "site_code"),
        (7, "code"),
    ]
    by_item = {p.item: p for p in reply.problems}
    assert by_item[2].message_zh == "事项编码“IMP-0000”与第1项重复"
    assert by_item[5].message_zh == "事项编码“TAKEN”已存在"
    assert by_item[7].message_zh == "事项编码“WUHAN-1”已被其他站点使用"
    assert "不是西陵区的部门" in by_item[4].message_zh
    # Nothing was written, not even the good items.
    assert await total(catalogue) == 1
    err = await catalogue.error(
        "GetMatter", pb.GetMatterRequest(site_code="420502", code="IMP-0000", include_unpublished=True)
    )
    assert err.code == "MATTER_NOT_FOUND"


async def test_update_existing_opens_new_versions(catalogue: Catalogue) -> None:
    await catalogue.create("IMP-0000", d=draft("已发布旧版"), publish=True)
    await catalogue.create("IMP-0001", d=draft("草稿旧版"))
    entries = items(3)
    reply = await run(catalogue, entries, publish=False)
    assert [p.field for p in reply.problems] == ["code", "code"], "existing codes need update_existing"

    reply = await run(catalogue, entries, update_existing=True)
    assert (reply.created, reply.updated, reply.published, list(reply.problems)) == (1, 2, 0, [])
    assert (await catalogue.get("IMP-0000")).draft.name == "已发布旧版", "the published version stays live"
    newest = await catalogue.get("IMP-0000", metadata=ADMIN, include_unpublished=True)
    assert (newest.version, newest.draft.name) == (2, "导入事项0")
    edited = await catalogue.get("IMP-0001", metadata=ADMIN, include_unpublished=True)
    assert (edited.version, edited.draft.name) == (1, "导入事项1"), "an open draft is edited in place"

    reply = await run(catalogue, entries, update_existing=True, publish=True)
    assert (reply.created, reply.updated, reply.published) == (0, 3, 3)
    live = await catalogue.get("IMP-0000")
    assert live.version == 2 and live.status == pb.MATTER_STATUS_PUBLISHED
    assert (await catalogue.get("IMP-0000", version=1)).status == pb.MATTER_STATUS_SUPERSEDED
    assert await total(catalogue) == 3


async def test_who_may_import_and_how_much(catalogue: Catalogue) -> None:
    for metadata in (ANONYMOUS, CLERK, WUHAN_ADMIN):
        err = await catalogue.error(
            "ImportMatters", pb.ImportMattersRequest(site_code="420502", items=items(1)), metadata
        )
        assert err.code == "FORBIDDEN"
    err = await catalogue.error("ImportMatters", pb.ImportMattersRequest(site_code="429999", items=items(1)))
    assert err.code == "SITE_NOT_FOUND"
    too_many = [pb.CreateMatterRequest(code=f"T{i}") for i in range(bulkimport.MAX_ITEMS + 1)]
    err = await catalogue.error("ImportMatters", pb.ImportMattersRequest(site_code="420502", items=too_many))
    assert err.code == "IMPORT_TOO_LARGE"
    empty = await run(catalogue, [])
    assert (empty.created, list(empty.problems)) == (0, [])


async def test_a_long_list_of_problems_is_cut_short(catalogue: Catalogue) -> None:
    entries = [pb.CreateMatterRequest(code=f"BAD-{i}", draft=pb.MatterDraft()) for i in range(300)]
    reply = await run(catalogue, entries)
    assert len(reply.problems) == bulkimport.MAX_PROBLEMS + 1
    assert "未列出" in reply.problems[-1].message_zh and reply.problems[-1].field == ""


async def test_two_thousand_matters_in_one_import(catalogue: Catalogue) -> None:
    entries = items(2_000, "BIG", themes=["准营准办", "就业创业"], sub_audiences=["老年人"])
    reply = await run(catalogue, entries, publish=True)
    assert (reply.created, reply.published, list(reply.problems)) == (2_000, 2_000, [])
    page = await catalogue.call(
        "ListMatters",
        pb.ListMattersRequest(
            site_code="420502", theme="就业创业", page=common_pb2.PageRequest(page=100, page_size=20)
        ),
    )
    assert page.page.total == 2_000 and [m.code for m in page.matters][-1] == "BIG-1999"
    again = await run(catalogue, entries, update_existing=True, publish=True)
    assert (again.updated, again.published) == (2_000, 2_000)
    assert (await catalogue.get("BIG-1234")).version == 2
