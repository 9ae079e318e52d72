"""The committed stubs must match what `make protos` generates from protos/ now."""

from __future__ import annotations

import filecmp
import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
COMMITTED = ROOT / "libs" / "protos" / "src" / "govhall" / "protos"


def _load_generator():
    spec = importlib.util.spec_from_file_location("generate", ROOT / "libs" / "protos" / "generate.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _tree(base: Path) -> dict[str, Path]:
    return {
        str(p.relative_to(base)): p for p in base.rglob("*") if p.is_file() and "__pycache__" not in p.parts
    }


def test_generated_stubs_are_current(tmp_path: Path) -> None:
    _load_generator().generate(tmp_path / "protos")
    fresh, committed = _tree(tmp_path / "protos"), _tree(COMMITTED)
    assert sorted(fresh) == sorted(committed), "run `make protos`: the set of generated files differs"
    stale = [name for name in fresh if not filecmp.cmp(fresh[name], committed[name], shallow=False)]
    assert not stale, f"run `make protos`: these stubs are stale: {stale}"


def test_stubs_import_under_govhall_protos() -> None:
    from govhall.protos.catalogue.v1 import catalogue_pb2, catalogue_pb2_grpc
    from govhall.protos.search.v1 import search_pb2

    matter = catalogue_pb2.Matter(code="X1", site_code="420000")
    matter.draft.name = "营业执照设立登记"
    again = catalogue_pb2.Matter.FromString(matter.SerializeToString())
    assert again.draft.name == "营业执照设立登记"
    assert hasattr(catalogue_pb2_grpc, "CatalogueServiceStub")
    hit = search_pb2.SearchHit(type=catalogue_pb2.MATTER_TYPE_LICENSING)
    assert hit.type == catalogue_pb2.MATTER_TYPE_LICENSING
