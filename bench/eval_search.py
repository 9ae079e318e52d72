"""Search relevance on the demo province: hit@1, hit@3, MRR and the zero-result rate.

    uv run python bench/eval_search.py [--backend embedded|elasticsearch|both] [--json] [--show-misses]

The relevance set (services/search/relevance/queries.yaml) holds queries as citizens and
enterprises type them, each asked from one demo site, with the matters that should come first.
For each back end this starts, in this process, the catalogue (SQLite) with the demo province
loaded through its API (as `make run` loads it) and the search service as it is wired for
production, fills the index by a full reindex from the catalogue's export stream, then sends every
query through the search service's gRPC Search (so whatever query understanding the servicer
applies is measured). Nothing is tuned here: the numbers are what a citizen would get.

Metrics per query, over the first page (10 hits): hit@1 (the first hit is an expected matter),
hit@3 (one is in the first three), reciprocal rank (1/rank of the first expected matter, 0 when
none is on the page), zero result (the search found nothing). Reported as means, for the tuning
part and the held-out part (`holdout: true`, never tuned on) separately, and per category.

The Elasticsearch back end needs the local servers (deploy/local; this never starts them): its
index gets an alias of its own, deleted afterwards. `--json` prints one JSON object for tests
and tools instead of the tables.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import shutil
import subprocess
import sys
import tempfile
import uuid
from collections.abc import AsyncIterator, Iterable, Mapping, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parent.parent
RELEVANCE_DIR = ROOT / "services" / "search" / "relevance"
QUERIES_FILE = RELEVANCE_DIR / "queries.yaml"
FLOORS_FILE = RELEVANCE_DIR / "floors.yaml"
BACKENDS = ("embedded", "elasticsearch")
METRICS = ("hit@1", "hit@3", "mrr", "zero")
PAGE = 10


@dataclass(frozen=True)
class Case:
    id: str
    query: str
    site: str
    expect: tuple[str, ...]  # matter codes; any of them counts
    category: str
    audience: str  # "person" | "enterprise"
    holdout: bool


@dataclass(frozen=True)
class Outcome:
    case: Case
    ranked: tuple[str, ...]  # the matter codes of the first page
    total: int

    @property
    def rank(self) -> int:
        """1-based rank of the first expected matter on the page; 0 when none is."""
        return next((i + 1 for i, code in enumerate(self.ranked) if code in self.case.expect), 0)


def load_cases(path: Path = QUERIES_FILE) -> list[Case]:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    cases = [
        Case(
            id=str(item["id"]),
            query=str(item["query"]),
            site=str(item["site"]),
            expect=tuple(str(code) for code in item["expect"]),
            category=str(item["category"]),
            audience=str(item["audience"]),
            holdout=bool(item.get("holdout", False)),
        )
        for item in data["queries"]
    ]
    ids = [c.id for c in cases]
    if len(set(ids)) != len(ids):
        raise ValueError(f"{path}: duplicate query ids")
    return cases


def load_floors(path: Path = FLOORS_FILE) -> dict[str, dict[str, dict[str, float]]]:
    """backend -> part ("tuning" | "holdout") -> metric -> floor (a ceiling for "zero")."""
    floors: dict[str, dict[str, dict[str, float]]] = yaml.safe_load(path.read_text(encoding="utf-8"))[
        "floors"
    ]
    return floors


def summarise(outcomes: Iterable[Outcome]) -> dict[str, float]:
    rows = list(outcomes)
    n = len(rows)
    if n == 0:
        return {"n": 0, "hit@1": 0.0, "hit@3": 0.0, "mrr": 0.0, "zero": 0.0}
    return {
        "n": n,
        "hit@1": round(sum(o.rank == 1 for o in rows) / n, 4),
        "hit@3": round(sum(0 < o.rank <= 3 for o in rows) / n, 4),
        "mrr": round(sum(1 / o.rank for o in rows if o.rank) / n, 4),
        "zero": round(sum(o.total == 0 for o in rows) / n, 4),
    }


def report(outcomes: Sequence[Outcome]) -> dict[str, Any]:
    """The metrics of one back end: overall, per part and per category (each split by part)."""
    parts = {
        "tuning": [o for o in outcomes if not o.case.holdout],
        "holdout": [o for o in outcomes if o.case.holdout],
    }
    categories = sorted({o.case.category for o in outcomes})
    return {
        "all": summarise(outcomes),
        **{part: summarise(rows) for part, rows in parts.items()},
        "categories": {
            c: {part: summarise(o for o in rows if o.case.category == c) for part, rows in parts.items()}
            for c in categories
        },
        "audiences": {
            a: summarise(o for o in outcomes if o.case.audience == a)
            for a in sorted({o.case.audience for o in outcomes})
        },
        "misses": [
            {
                "id": o.case.id,
                "query": o.case.query,
                "site": o.case.site,
                "expect": list(o.case.expect),
                "got": list(o.ranked[:3]),
                "total": o.total,
            }
            for o in outcomes
            if o.rank == 0 or o.rank > 3
        ],
    }


def below_floors(result: Mapping[str, Any], floors: Mapping[str, Mapping[str, float]]) -> list[str]:
    """What falls short of the floors of one back end (the zero-result rate must not exceed its own)."""
    failures = []
    for part, metrics in floors.items():
        for metric, floor in metrics.items():
            value = result[part][metric]
            if (value > floor) if metric == "zero" else (value < floor):
                failures.append(f"{part} {metric} = {value} (floor {floor})")
    return failures


# -- the services, in this process ------------------------------------------------------------


@asynccontextmanager
async def demo_search(
    backend: str, work_dir: Path, cluster: Mapping[str, str] | None = None
) -> AsyncIterator[Any]:
    """A search service stub over the demo province, indexed by a full reindex, on ``backend``."""
    from govhall.catalogue import app as catalogue_app
    from govhall.catalogue.demo import load_demo
    from govhall.catalogue.settings import CatalogueSettings
    from govhall.kit.bus import InProcessBus
    from govhall.kit.caller import caller_metadata
    from govhall.kit.service import ServiceHost
    from govhall.kit.settings import PlatformSettings
    from govhall.kit.testing import as_service, caller_channel, es_auth
    from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
    from govhall.protos.common.v1 import common_pb2
    from govhall.protos.search.v1 import search_pb2 as pb
    from govhall.protos.search.v1 import search_pb2_grpc
    from govhall.search import app as search_app
    from govhall.search.settings import SearchSettings

    admin = caller_metadata(common_pb2.CallerIdentity(kind=common_pb2.CALLER_KIND_ADMIN, subject="admin"))
    run = uuid.uuid4().hex[:10]
    alias = f"eval-{run}-search"
    embedded = PlatformSettings(
        var_dir=work_dir / "var", nats_url=None, redis_url=None, elasticsearch_url=None
    )
    hosts: list[Any] = []
    channels: list[Any] = []
    try:
        # The catalogue's events go nowhere: the index is filled by the reindex alone, so every
        # run indexes the same documents whatever the timing.
        catalogue = ServiceHost(
            catalogue_app.SPEC,
            CatalogueSettings(database_url=f"sqlite+aiosqlite:///{work_dir / f'catalogue-{run}.db'}"),
            embedded,
            InProcessBus(),
        )
        await catalogue.start()
        hosts.append(catalogue)
        cch = caller_channel(catalogue.address, "catalogue")
        channels.append(cch)
        await load_demo(catalogue_pb2_grpc.CatalogueServiceStub(cch), admin)
        platform = embedded.model_copy(update={"var_dir": work_dir / f"var-{run}"})
        if backend == "elasticsearch":
            if cluster is None:
                raise RuntimeError("the Elasticsearch back end needs the local servers' settings")
            platform = as_service(platform, cluster, "search").model_copy(update={"redis_url": None})
        search = ServiceHost(
            search_app.SPEC,
            SearchSettings(
                database_url=f"sqlite+aiosqlite:///{work_dir / f'search-{run}.db'}",
                index_alias=alias,
                kv_namespace=f"eval-{run}",
                catalogue_address=catalogue.address,
            ),
            platform,
            InProcessBus(),
        )
        await search.start()
        hosts.append(search)
        sch = caller_channel(search.address, "search")
        channels.append(sch)
        stub = search_pb2_grpc.SearchServiceStub(sch)
        async for progress in stub.Reindex(pb.ReindexRequest(), metadata=admin):
            last = progress
        if last.phase != pb.ReindexProgress.Phase.PHASE_DONE or last.done == 0:
            raise RuntimeError(f"the reindex did not finish: {last}")
        yield stub
    finally:
        for ch in channels:
            await ch.close()
        for host in reversed(hosts):
            await host.stop()
        if backend == "elasticsearch" and cluster is not None:
            from elasticsearch import AsyncElasticsearch

            async with AsyncElasticsearch(
                cluster["GOVHALL_ELASTICSEARCH_URL"], basic_auth=es_auth(cluster)
            ) as es:
                await es.options(ignore_status=404).indices.delete(index=f"{alias}-*")


async def run_cases(stub: Any, cases: Sequence[Case]) -> list[Outcome]:
    from govhall.protos.common.v1 import common_pb2
    from govhall.protos.search.v1 import search_pb2 as pb

    outcomes = []
    for case in cases:
        reply = await stub.Search(
            pb.SearchRequest(
                site_code=case.site, query=case.query, page=common_pb2.PageRequest(page=1, page_size=PAGE)
            )
        )
        outcomes.append(Outcome(case, tuple(h.id for h in reply.hits), reply.page.total))
    return outcomes


async def evaluate(
    backend: str,
    work_dir: Path,
    cases: Sequence[Case] | None = None,
    cluster: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The report (see `report`) of one back end over the relevance set."""
    cases = load_cases() if cases is None else cases
    async with demo_search(backend, work_dir, cluster) as stub:
        return report(await run_cases(stub, cases))


# -- the command line -------------------------------------------------------------------------


def _cluster_env() -> dict[str, str]:
    """The local servers' settings from deploy/local/env.sh (never starts anything)."""
    out = subprocess.run(
        ["bash", "-c", ". deploy/local/env.sh >/dev/null && env -0"],
        cwd=ROOT,
        capture_output=True,
        check=True,
    ).stdout.decode()
    pairs = (item.split("=", 1) for item in out.split("\0") if "=" in item)
    return {k: v for k, v in pairs if k.startswith("GOVHALL_")}


def _trust(directory: Path) -> None:
    """Caller-assertion keys for this run's services and for this process calling them."""
    from govhall.kit import trustkeys

    trustkeys.init(directory)
    os.environ["GOVHALL_TRUST_DIR"] = str(directory)


def _row(name: str, m: Mapping[str, float]) -> str:
    return (
        f"  {name:<22} {m['n']:>4} {m['hit@1']:>7.3f} {m['hit@3']:>7.3f} {m['mrr']:>7.3f} {m['zero']:>7.3f}"
    )


def print_report(backend: str, result: Mapping[str, Any], show_misses: bool) -> None:
    print(f"\n{backend}")
    print(f"  {'':<22} {'n':>4} {'hit@1':>7} {'hit@3':>7} {'MRR':>7} {'zero':>7}")
    for part in ("tuning", "holdout", "all"):
        print(_row(part, result[part]))
    print("  per category (tuning | held out):")
    for category, parts in result["categories"].items():
        print(_row(f"{category}", parts["tuning"]) + "  |" + _row("", parts["holdout"])[24:])
    print("  per audience:")
    for audience, m in result["audiences"].items():
        print(_row(audience, m))
    if show_misses:
        print("  not in the first three:")
        for miss in result["misses"]:
            print(
                f"    {miss['id']} {miss['query']!r} @{miss['site']}: want {miss['expect']} got {miss['got']} of {miss['total']}"
            )


async def _main(args: argparse.Namespace) -> dict[str, Any]:
    cases = load_cases()
    backends = BACKENDS if args.backend == "both" else (args.backend,)
    cluster = _cluster_env() if "elasticsearch" in backends else None
    results: dict[str, Any] = {}
    for backend in backends:
        with tempfile.TemporaryDirectory(prefix=f"govhall-eval-{backend}-") as work:
            results[backend] = await evaluate(backend, Path(work), cases, cluster)
    return results


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=(*BACKENDS, "both"), default="both")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of tables")
    parser.add_argument(
        "--show-misses", action="store_true", help="list the queries not found in the first three"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("GOVHALL_LOG_LEVEL", "WARNING")
    # The demo load's own administrator calls would each log an audit line.
    logging.getLogger("govhall.audit").setLevel(logging.ERROR)
    trust_dir = Path(tempfile.mkdtemp(prefix="govhall-eval-trust-"))
    try:
        _trust(trust_dir)
        results = asyncio.run(_main(args))
    finally:
        shutil.rmtree(trust_dir, ignore_errors=True)
    floors = load_floors()
    failures = {b: below_floors(r, floors[b]) for b, r in results.items() if b in floors}
    if args.json:
        print(json.dumps({"results": results, "below_floors": failures}, ensure_ascii=False, indent=1))
    else:
        for backend, result in results.items():
            print_report(backend, result, args.show_misses)
            for failure in failures.get(backend, []):
                print(f"  BELOW FLOOR: {failure}")
    return 1 if any(failures.values()) else 0


if __name__ == "__main__":
    sys.exit(main())
