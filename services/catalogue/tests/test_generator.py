"""The generated province: its shape, determinism, that every draft passes the catalogue's rules,
and `generate-province` importing a small one through the CLI."""

from __future__ import annotations

import asyncio
import collections
import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from govhall.catalogue import cli, generator, importer, model
from govhall.catalogue.api import CatalogueService
from govhall.catalogue.app import SPEC
from govhall.catalogue.settings import CatalogueSettings
from govhall.kit.caller import reset_caller, set_caller
from govhall.kit.db import Database
from govhall.kit.service import migrate
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb
from govhall.protos.common.v1 import common_pb2

ADMIN = common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_ADMIN, subject="test")
SMALL = {"cities": 3, "counties_per_city": 2, "matters_per_site": 20}


def serialised(batches: Any) -> list[bytes]:
    out: list[bytes] = []
    for batch in batches:
        out.append(batch.site.SerializeToString(deterministic=True))
        out += [d.SerializeToString(deterministic=True) for d in batch.departments]
        out += [m.SerializeToString(deterministic=True) for m in batch.matters]
    return out


def test_the_province_has_151_sites_in_a_proper_tree() -> None:
    sites = generator.province_sites()
    levels = collections.Counter(s.level for s in sites)
    assert (
        len(sites),
        levels[pb.SITE_LEVEL_PROVINCE],
        levels[pb.SITE_LEVEL_CITY],
        levels[pb.SITE_LEVEL_COUNTY],
    ) == (
        151,
        1,
        16,
        134,
    )
    codes = [s.code for s in sites]
    assert len(set(codes)) == 151 and all(re.fullmatch(r"42\d{4}", c) for c in codes)
    assert len({s.name for s in sites}) == 151
    by_code = {s.code: s for s in sites}
    for index, site in enumerate(sites):
        if site.level == pb.SITE_LEVEL_PROVINCE:
            assert site.parent_code == ""
            continue
        parent = by_code[site.parent_code]
        assert parent.level == site.level - 1
        assert codes.index(parent.code) < index  # parents come first: import in this order
    assert by_code["420500"].name == "宜昌市" and by_code["420502"].name == "西陵区"
    assert [s.code for s in generator.site_chain("420502")] == ["420000", "420500", "420502"]


def test_departments_are_named_as_each_level_names_them() -> None:
    names = {
        code: {d.kind.abbr: d.name for d in generator.site_departments(generator.site_spec(code))}
        for code in ("420000", "420500", "420502", "420525")
    }
    assert names["420000"]["GA"] == "湖北省公安厅"
    assert names["420500"]["GA"] == "宜昌市公安局"
    assert names["420502"]["GA"] == "宜昌市公安局西陵分局"
    assert names["420525"]["GA"] == "远安县公安局"
    assert names["420500"]["RS"] == "宜昌市人力资源和社会保障局"
    assert names["420502"]["WJ"] == "西陵区卫生健康局"
    assert names["420000"]["WJ"] == "湖北省卫生健康委员会"
    all_codes: list[str] = []
    for site in generator.province_sites():
        departments = generator.site_departments(site)
        assert 10 <= len(departments) <= 15
        assert all(
            d.code.startswith(f"{site.code}-") and model.DEPARTMENT_CODE.match(d.code) for d in departments
        )
        all_codes += [d.code for d in departments]
    assert len(all_codes) == len(set(all_codes))


def test_matter_kinds_are_distinct() -> None:
    kinds = generator.matter_kinds()
    assert len(generator.TEMPLATES) >= 150
    assert len(kinds) >= 1000
    assert len({k.name for k in kinds}) == len(kinds)
    assert len({k.base_code for k in kinds}) == len(kinds)
    assert all(re.fullmatch(r"[0-9]{12}", k.base_code) for k in kinds)


def test_a_small_province_is_deterministic_and_counted() -> None:
    first = list(generator.generate_province(seed=1, **SMALL))
    assert serialised(first) == serialised(generator.generate_province(seed=1, **SMALL))
    assert serialised(first) != serialised(generator.generate_province(seed=2, **SMALL))
    assert [b.site.code for b in first] == [
        "420000",
        "420100",
        "420102",
        "420103",
        "420200",
        "420202",
        "420203",
        "420300",
        "420302",
        "420303",
    ]
    for batch in first:
        assert len(batch.matters) == 20
        codes = [m.code for m in batch.matters]
        assert len(set(codes)) == 20
        departments = {d.code for d in batch.departments}
        for matter in batch.matters:
            assert matter.site_code == batch.site.code
            assert matter.draft.department_code in departments
            assert re.fullmatch(rf"{matter.draft.department_code}-\d{{4}}", matter.code)
    # A site is the same whichever part of the province is generated with it.
    alone = generator.generate_site(generator.site_spec("420303"), matters=20, seed=1)
    assert serialised([alone]) == serialised([first[-1]])


@pytest.mark.parametrize("code", ["420000", "420500", "420502", "429004"])
def test_every_generated_draft_passes_the_catalogues_rules(code: str) -> None:
    batch = generator.generate_site(generator.site_spec(code), matters=2000, seed=1)
    assert len(batch.matters) == 2000
    assert len({m.code for m in batch.matters}) == 2000
    assert len({m.draft.name for m in batch.matters}) == 2000
    for matter in batch.matters:
        model.check_matter_code(matter.code)
        _, problems = model.check_draft(matter.draft)
        assert problems == [], (matter.code, matter.draft.name, problems)


def test_small_province_drafts_all_validate() -> None:
    for batch in generator.generate_province(seed=7, **SMALL):
        for matter in batch.matters:
            assert model.check_draft(matter.draft)[1] == [], matter.code


def test_write_matter_file_writes_what_it_returns(tmp_path: Path) -> None:
    path = tmp_path / "list.xlsx"
    batch = generator.write_matter_file(path, site_code="420506", rows=120, seed=4)
    parsed = importer.parse_file(path, "420506")
    assert parsed.problems == []
    assert [r.request for r in parsed.rows] == list(batch.matters)
    assert parsed.header_row == 2  # a title row above the header, as real lists have
    with pytest.raises(ValueError, match="not a site"):
        generator.write_matter_file(tmp_path / "x.csv", site_code="110000", rows=1)


@pytest.fixture
async def database(db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> AsyncIterator[Database]:
    monkeypatch.setenv("GOVHALL_CATALOGUE_DATABASE_URL", db_url)
    monkeypatch.setenv("GOVHALL_VAR_DIR", str(tmp_path / "var"))
    db = Database(db_url)
    await migrate(db, SPEC)
    yield db
    await db.close()


async def test_generate_province_imports_a_small_province(
    database: Database, capsys: pytest.CaptureFixture[str]
) -> None:
    argv = [
        "generate-province",
        "--cities",
        "3",
        "--counties-per-city",
        "2",
        "--matters-per-site",
        "20",
        "--publish",
    ]
    assert await asyncio.to_thread(cli.main, argv) == 0
    out = capsys.readouterr().out
    assert "已生成并导入10个站点" in out and "200个事项（均已发布）" in out
    service = CatalogueService(database, CatalogueSettings())
    token = set_caller(ADMIN)
    try:
        sites = await service.ListSites(pb.ListSitesRequest(), None)
        assert len(sites.sites) == 10
        expected = {b.site.code: b for b in generator.generate_province(seed=1, **SMALL)}
        for site in sites.sites:
            listed = await service.ListMatters(
                pb.ListMattersRequest(
                    site_code=site.code, own_site_only=True, page=common_pb2.PageRequest(page_size=100)
                ),
                None,
            )
            assert {m.code for m in listed.matters} == {m.code for m in expected[site.code].matters}
            departments = await service.ListDepartments(pb.ListDepartmentsRequest(site_code=site.code), None)
            assert len(departments.departments) == len(expected[site.code].departments)
        # Running it again finds the matters there and says so, without changing anything.
        assert await asyncio.to_thread(cli.main, argv) == 1
        captured = capsys.readouterr()
        assert "已存在" in captured.out and "--update-existing" in captured.err
        assert await asyncio.to_thread(cli.main, [*argv, "--update-existing"]) == 0
    finally:
        reset_caller(token)
