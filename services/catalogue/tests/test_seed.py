"""A site loads its own seed data from a directory of JSON files, without code, and a bad file
is refused with its name and what is wrong."""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from govhall.catalogue import app, demo
from govhall.catalogue.seed import SeedError, read_seed
from govhall.catalogue.seedloader import load_seed
from govhall.catalogue.settings import CatalogueSettings
from govhall.kit.bus import InProcessBus
from govhall.kit.caller import caller_metadata
from govhall.kit.testing import signed_channel
from govhall.protos.catalogue.v1 import catalogue_pb2 as pb
from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
from govhall.protos.common.v1 import common_pb2

ADMIN = caller_metadata(common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_ADMIN, subject="seed-test"))


def _write(path: Path, data: Any) -> None:
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")


def _county_seed(root: Path) -> Path:
    """A county of its own (恩施市 under 恩施州) with one department, one kind and one matter."""
    (root / "kinds").mkdir(parents=True)
    _write(
        root / "sites.json",
        [
            {
                "code": "420000",
                "name": "湖北省",
                "level": "province",
                "parent_code": "",
                "hall": "湖北省政务服务中心",
                "hours": "工作日 9:00-17:00",
            },
            {
                "code": "422800",
                "name": "恩施土家族苗族自治州",
                "level": "city",
                "parent_code": "420000",
                "hall": "恩施州政务服务中心",
                "hours": "工作日 9:00-17:00",
            },
            {
                "code": "422801",
                "name": "恩施市",
                "level": "county",
                "parent_code": "422800",
                "hall": "恩施市政务服务中心",
                "hours": "工作日 9:00-17:00",
            },
        ],
    )
    _write(
        root / "departments.json",
        [
            {
                "code": "422801-MZJ",
                "site_code": "422801",
                "name": "恩施市民政局",
                "window": "一楼 民政窗口",
                "phone": "0718-8000001",
            }
        ],
    )
    shutil.copy(demo.SEED_DIR / "kinds" / "marriage.json", root / "kinds" / "marriage.json")
    _write(
        root / "matters.json",
        [{"site_code": "422801", "department_code": "422801-MZJ", "serial": 1, "kind": "marriage"}],
    )
    return root


def test_the_demo_is_data_read_by_the_seed_reader() -> None:
    again = read_seed(demo.SEED_DIR)
    assert again.matter_requests() == demo.matter_requests()
    assert len(again.kinds) == len(list((demo.SEED_DIR / "kinds").glob("*.json"))) >= 30
    assert not list(Path(demo.__file__).parent.glob("demo_*.py")), "demo data lives in data files"


def test_a_county_seed_reads_with_places_filled_in(tmp_path: Path) -> None:
    seed = read_seed(_county_seed(tmp_path / "enshi"))
    (matter,) = seed.matters
    assert matter.code == "422801-MZJ-0001"
    draft = matter.draft()
    assert draft.name == demo.KINDS["marriage"].name
    assert [p.name for p in draft.places] == ["恩施市婚姻登记处"]  # "{site}婚姻登记处"
    assert draft.places[0].window == "结婚登记窗口" and draft.places[0].phone == "0718-8000001"
    assert seed.articles == () and seed.licence_types == {}


@pytest.mark.parametrize(
    ("file", "content", "named"),
    [
        (
            "matters.json",
            [{"site_code": "422801", "department_code": "422801-XXX", "serial": 1, "kind": "marriage"}],
            "422801-XXX",
        ),
        (
            "matters.json",
            [{"site_code": "422801", "department_code": "422801-MZJ", "serial": 1, "kind": "nope"}],
            "nope",
        ),
        ("sites.json", "{not json", "sites.json"),
        ("kinds/marriage.json", {"name": "结婚登记"}, "marriage.json"),
    ],
)
def test_a_bad_seed_file_is_named(tmp_path: Path, file: str, content: Any, named: str) -> None:
    root = _county_seed(tmp_path / "enshi")
    if isinstance(content, str):
        (root / file).write_text(content, encoding="utf-8")
    else:
        _write(root / file, content)
    with pytest.raises(SeedError, match=named.replace(".", r"\.")):
        read_seed(root)


async def test_a_county_loads_its_own_seed(
    db_url: str, platform: Any, start_service: Any, tmp_path: Path
) -> None:
    host = await start_service(app.SPEC, CatalogueSettings(database_url=db_url), platform, InProcessBus())
    seed = read_seed(_county_seed(tmp_path / "enshi"))
    ch = signed_channel(host.address, "catalogue", "ops")  # as the seed loader signs
    try:
        stub = catalogue_pb2_grpc.CatalogueServiceStub(ch)
        assert await load_seed(seed, stub, ADMIN) == 1
        assert await load_seed(seed, stub, ADMIN) == 1  # idempotent
        got = await stub.GetMatter(
            pb.GetMatterRequest(site_code="422801", code="422801-MZJ-0001"), metadata=ADMIN, timeout=10
        )
        assert got.status == pb.MATTER_STATUS_PUBLISHED and got.version == 1
    finally:
        await ch.close()


def test_the_command_line_names_a_bad_seed(tmp_path: Path) -> None:
    root = _county_seed(tmp_path / "enshi")
    (root / "departments.json").unlink()
    result = subprocess.run(
        [sys.executable, "-m", "govhall.catalogue.demo", "127.0.0.1:9", "--seed", str(root)],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode != 0
    assert "departments.json: missing" in result.stderr
