"""A whole province at scale: generate it, index it with a full reindex, search it through the gateway.

    uv run python bench/province_scale.py [--matters-per-site 2000] [--seconds 6] [--rounds 4]
                                          [--concurrency 8] [--batch-size 500] [--no-start]
                                          [--cities N] [--counties-per-city M]

1. **Generate** (set-up, reported but not compared): `python -m govhall.catalogue.cli
   generate-province --publish` writes 湖北省 (151 sites: the province, 16 cities, 134 counties)
   with about 2,000 matters each, 300,000 in all, into a fresh catalogue database through the
   catalogue's own import path (validation, versions, one transaction per site).
   The outbox rows of that load are then discarded: this run's search service starts empty and
   indexes the province with a full reindex, the way a new search deployment starts, rather than
   from 300,000 single events.

2. **Index**: subject `govhall.search.cli reindex` against the running search service: the
   catalogue's export stream → search documents → bulk writes into a new generation → alias
   swap. Baseline: the same documents, already built in memory (from the same export, untimed),
   bulk-loaded straight into a fresh Elasticsearch index with the same mapping, the same index
   settings while building and the same bulk size, then refreshed: what Elasticsearch itself
   needs to ingest them. Ratio: seconds of the subject / seconds of the baseline (lower is
   better). One round each (a round takes minutes), baseline first.

3. **Search**: subject `GET /api/v1/sites/{site}/search?q=…` on the gateway over the whole
   province (county sites seeing their ancestors, the province searching one city's region,
   filters), against bench/bare_app.py, the bare FastAPI endpoint of the same shape that does
   no I/O; alternating rounds as in search_vs_bare.py, ratio of req/s, p50 and p99.

Every process, database, stream, key and index of the run is removed afterwards, also on error
or Ctrl-C. Needs a few GB of disk for Elasticsearch and about 3 GB of memory in this process
while the baseline documents are held.
"""

from __future__ import annotations

import argparse
import os
import platform
import subprocess
import sys
import time
import urllib.parse
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cluster import GATEWAY, Cluster
from common import (
    RESULTS_DIR,
    START_TIMEOUT,
    Call,
    Processes,
    Target,
    check_load_bounds,
    client_address,
    connector,
    free_port,
    get_json,
    infra_env,
    load_parser,
    log,
    print_cpu,
    print_rows,
    ratio_line,
    ratios,
    run_main,
    run_rounds,
    server_pids,
    start_bare,
    summarise,
    wait_until,
)

from govhall.kit.testing import es_auth

RESULTS = RESULTS_DIR / "province_scale.json"
GENERATE_TIMEOUT = 3 * 3600.0

# (site searched from, query, extra parameters): realistic portal searches over the province.
SEARCHES: tuple[tuple[str, str, dict[str, str]], ...] = (
    ("420502", "营业执照", {}),  # 西陵区 sees itself, 宜昌市 and 湖北省
    ("420502", "居民身份证换领", {}),
    ("420502", "食品经营许可", {}),
    ("420502", "身份证", {}),  # widened by synonyms to 居民身份证
    ("420106", "落户", {}),  # 武昌区
    ("420106", "公积金提取", {}),
    ("420106", "结婚登记", {"audience": "person"}),
    ("420602", "机动车驾驶证", {}),  # 襄城区
    ("420602", "社保", {}),
    ("420602", "建设工程规划许可", {"type": "licensing"}),
    ("420000", "食品经营许可", {"region": "420500"}),  # the province searching 宜昌市's region
    ("420000", "排污许可", {"region": "420100"}),
    ("420000", "营业执照", {"region": "420000", "level": "county"}),  # every county of the province
    ("420000", "医师执业注册", {}),
    ("420500", "出生医学证明", {}),
    ("420500", "护照", {}),
)


def search_target(site: str, query: str, params: dict[str, str]) -> str:
    return f"/api/v1/sites/{site}/search?" + urllib.parse.urlencode({"q": query, **params})


@dataclass
class Run:
    work_dir: Path
    processes: Processes
    cluster: Cluster | None = None  # the services and this run's names on the servers
    bare_port: int = 0

    @property
    def c(self) -> Cluster:
        assert self.cluster is not None, "the services are not planned yet"
        return self.cluster


def generate(
    run: Run, env: dict[str, str], matters_per_site: int, cities: int | None, counties_per_city: int | None
) -> float:
    """The province into the catalogue's database; seconds taken (the CLI's own progress goes to its log)."""
    argv = [
        sys.executable,
        "-m",
        "govhall.catalogue.cli",
        "generate-province",
        "--matters-per-site",
        str(matters_per_site),
        "--publish",
    ]
    if cities:
        argv += ["--cities", str(cities)]
    if counties_per_city:
        argv += ["--counties-per-city", str(counties_per_city)]
    log(f"generating the province: {' '.join(argv[2:])} (log: {run.work_dir / 'logs' / 'generate.log'})")
    start = time.monotonic()
    with open(run.work_dir / "logs" / "generate.log", "ab") as out:
        done = subprocess.run(
            argv,
            env=env,
            cwd=Path(__file__).resolve().parents[1],
            stdout=out,
            stderr=out,
            timeout=GENERATE_TIMEOUT,
            check=False,
        )
    seconds = time.monotonic() - start
    if done.returncode != 0:
        raise RuntimeError(f"generate-province exited with {done.returncode}\n{run.processes.log_tail()}")
    return seconds


async def count_and_clear_outbox(database_url: str) -> dict[str, int]:
    """How many sites and published matters the catalogue holds; then forget the load's events."""
    import asyncpg

    dsn = database_url.replace("postgresql+asyncpg://", "postgresql://")
    conn = await asyncpg.connect(dsn, timeout=10)
    try:
        sites = await conn.fetchval("SELECT count(*) FROM sites")
        matters = await conn.fetchval("SELECT count(*) FROM matters WHERE published_version > 0")
        events = await conn.fetchval("SELECT count(*) FROM outbox")
        await conn.execute("TRUNCATE outbox")
    finally:
        await conn.close()
    return {"sites": int(sites), "published_matters": int(matters), "discarded_events": int(events)}


async def export_documents(c: Cluster) -> list[dict[str, Any]]:
    """Every document a reindex writes, as Elasticsearch bulk actions (read from the export, untimed)."""
    # Imported here: grpc starts threads, and the processes must all be started before that.
    from govhall.kit.caller import caller_metadata
    from govhall.protos.catalogue.v1 import catalogue_pb2 as cat
    from govhall.protos.catalogue.v1 import catalogue_pb2_grpc
    from govhall.search.es import to_source
    from govhall.search.model import SearchDoc
    from govhall.search.reindex import SEARCH_SERVICE

    docs = []
    ch = c.channel("catalogue", "search")  # what search's reindex reads, as search
    try:
        stub = catalogue_pb2_grpc.CatalogueServiceStub(ch)
        stream = stub.ExportCatalogue(
            cat.ExportCatalogueRequest(), metadata=caller_metadata(SEARCH_SERVICE), timeout=3600
        )
        async for item in stream:
            which = item.WhichOneof("item")
            if which in ("matter", "article"):
                doc = (
                    SearchDoc.from_matter(item.matter)
                    if which == "matter"
                    else SearchDoc.from_article(item.article)
                )
                docs.append(
                    {
                        "_op_type": "index",
                        "_id": doc.key,
                        "version": doc.revision,
                        "version_type": "external",
                        "_source": to_source(doc),
                    }
                )
    finally:
        await ch.close()
    return docs


async def bare_bulk(
    es_url: str,
    index: str,
    actions: list[dict[str, Any]],
    batch_size: int,
    in_flight: int,
    auth: tuple[str, str] | None = None,
) -> float:
    """The baseline: bulk the prepared documents into a fresh index with search's mapping,
    in_flight bulk requests under way at once; seconds."""
    import asyncio

    from elasticsearch import AsyncElasticsearch
    from elasticsearch.helpers import async_bulk

    from govhall.search.es import MAPPINGS, REFRESH_INTERVAL

    es = AsyncElasticsearch(es_url, request_timeout=120, basic_auth=auth)

    async def write(chunk: list[dict[str, Any]]) -> int:
        stored, _errors = await async_bulk(
            es, ({**a, "_index": index} for a in chunk), chunk_size=batch_size, raise_on_error=True
        )
        return stored

    try:
        await es.indices.create(
            index=index,
            settings={"number_of_shards": 1, "number_of_replicas": 0, "refresh_interval": "-1"},
            mappings=MAPPINGS,
        )
        start = time.monotonic()
        stored, pending = 0, set()
        for i in range(0, len(actions), batch_size):
            pending.add(asyncio.create_task(write(actions[i : i + batch_size])))
            if len(pending) >= in_flight:
                done, pending = await asyncio.wait(pending, return_when=asyncio.FIRST_COMPLETED)
                stored += sum(task.result() for task in done)
        stored += sum(await asyncio.gather(*pending))
        await es.indices.put_settings(index=index, settings={"index": {"refresh_interval": REFRESH_INTERVAL}})
        await es.indices.refresh(index=index)
        seconds = time.monotonic() - start
        if stored != len(actions):
            raise RuntimeError(f"the baseline stored {stored} of {len(actions)} documents")
        return seconds
    finally:
        await es.options(ignore_status=404).indices.delete(index=index)
        await es.close()


async def reindex_through_search(c: Cluster, batch_size: int) -> tuple[float, int]:
    """The subject: a full reindex by the running search service, started as the operators' CLI
    does (signed as ops); (seconds, documents)."""
    from govhall.search.cli import reindex

    start = time.monotonic()
    last = await reindex(c.addresses["search"], batch_size, signer=c.signer("ops"))
    seconds = time.monotonic() - start
    return seconds, int(last.done)


def cleanup(run: Run) -> None:
    run.processes.stop_all()
    if run.cluster is not None:
        run.cluster.remove(timeout=120)


async def bench(run: Run, args: argparse.Namespace) -> dict[str, Any]:
    # The gateway and everything /healthz/upstreams waits for (identity and cases are idle here).
    run.cluster = Cluster.plan([GATEWAY], infra_env(not args.no_start), run.work_dir, args.log_level)
    run.bare_port = free_port()
    env = run.cluster.env()

    # The catalogue's CLI writes as the catalogue, into the database made for it.
    run.c.create_databases()
    generate_seconds = generate(
        run, run.c.service_env("catalogue", env), args.matters_per_site, args.cities, args.counties_per_city
    )
    loaded = await count_and_clear_outbox(run.c.database_url("catalogue", password=True))
    log(
        f"generated {loaded['published_matters']} published matters at {loaded['sites']} sites in "
        f"{generate_seconds:.0f} s ({loaded['published_matters'] / generate_seconds:.0f} matters/s)"
    )

    run.c.start(run.processes, env)
    start_bare(run.processes, run.bare_port, args.log_level, env)

    async def gateway_ready() -> bool:
        return (await get_json(run.c.gateway_port, "/healthz/upstreams"))[0] == 200

    async def bare_ready() -> bool:
        return (await get_json(run.bare_port, "/healthz"))[0] == 200

    await wait_until(
        run.processes, "the upstreams serving (/healthz/upstreams)", gateway_ready, START_TIMEOUT
    )
    await wait_until(run.processes, "the bare app up", bare_ready, START_TIMEOUT)

    # Index: the baseline first, then the subject.
    actions = await export_documents(run.c)
    log(f"baseline: bulk-loading {len(actions)} documents straight into Elasticsearch")
    bare_seconds = await bare_bulk(
        run.c.infra["GOVHALL_ELASTICSEARCH_URL"],
        f"{run.c.index_alias}-bare",
        actions,
        args.batch_size,
        args.bare_in_flight,
        # As the search service's user (the index name is within its pattern, *-search-*).
        es_auth(run.c.infra, "search"),
    )
    documents = len(actions)
    del actions
    log(f"baseline: {bare_seconds:.1f} s ({documents / bare_seconds:.0f} docs/s)")
    log("subject: full reindex through the search service")
    reindex_seconds, reindexed = await reindex_through_search(run.c, args.batch_size)
    log(f"subject: {reindex_seconds:.1f} s ({reindexed / reindex_seconds:.0f} docs/s)")
    if reindexed != documents:
        raise RuntimeError(f"the reindex wrote {reindexed} documents, the export holds {documents}")

    hits = {}
    for site, query, params in SEARCHES:
        status, body = await get_json(run.c.gateway_port, search_target(site, query, params))
        if status != 200:
            raise RuntimeError(f"search {site} {query} {params}: HTTP {status} {body}")
        hits[f"{site} {query} {params or ''}".strip()] = int(body["page"]["total"])
    log("search hits: " + "; ".join(f"{k}: {v}" for k, v in hits.items()))

    calls = [Call(b"GET", search_target(site, q, p).encode()) for site, q, p in SEARCHES]
    targets = {
        "bare": Target(connector(args.client, run.bare_port), calls),
        "gateway": Target(connector(args.client, run.c.gateway_port), calls),
    }
    cpu_roots = {name: proc.pid for name, proc in run.processes.procs.items()}
    cpu_roots.update(server_pids(run.c.infra["GOVHALL_RUN"]))
    phases = await run_rounds(
        run.processes,
        ("bare", "gateway"),
        targets,
        rounds=args.rounds,
        seconds=args.seconds,
        warmup=args.warmup,
        concurrency=args.concurrency,
        cpu_roots=cpu_roots,
    )
    return {
        "benchmark": "province_scale",
        "time": datetime.now(UTC).isoformat(timespec="seconds"),
        "matters_per_site": args.matters_per_site,
        "loaded": loaded,
        "generate_seconds": round(generate_seconds, 1),
        "index": {
            "documents": documents,
            "batch_size": args.batch_size,
            "bare_in_flight": args.bare_in_flight,
            "bare_seconds": round(bare_seconds, 1),
            "reindex_seconds": round(reindex_seconds, 1),
            "bare_docs_per_second": round(documents / bare_seconds),
            "reindex_docs_per_second": round(reindexed / reindex_seconds),
            "ratio": round(reindex_seconds / bare_seconds, 3),
        },
        "search": {
            "client": args.client,
            "client_address": client_address() or "default",
            "concurrency": args.concurrency,
            "rounds": args.rounds,
            "seconds_per_round": args.seconds,
            "searches": [{"site": s, "q": q, **p} for s, q, p in SEARCHES],
            "hits": hits,
            "bare": summarise(phases["bare"]),
            "gateway": summarise(phases["gateway"]),
            "ratios": ratios(phases["bare"], phases["gateway"]),
        },
        "machine": {
            "cpus": os.cpu_count(),
            "python": platform.python_version(),
            "system": platform.platform(),
        },
    }


def print_table(result: dict[str, Any]) -> None:
    loaded, index, search = result["loaded"], result["index"], result["search"]
    print()
    print(
        f"province at scale: {loaded['published_matters']} matters at {loaded['sites']} sites, generated in "
        f"{result['generate_seconds']:.0f} s; {result['machine']['cpus']} CPUs"
    )
    print(
        f"index {index['documents']} documents: reindex {index['reindex_seconds']:.1f} s "
        f"({index['reindex_docs_per_second']} docs/s), bare bulk {index['bare_seconds']:.1f} s "
        f"({index['bare_docs_per_second']} docs/s, {index['bare_in_flight']} in flight); "
        f"reindex / bare {index['ratio']:.2f}x"
    )
    print()
    print(
        f"search: {search['rounds']} rounds x {search['seconds_per_round']:g} s, concurrency {search['concurrency']}"
    )
    summaries = {name: search[name] for name in ("bare", "gateway")}
    print_rows(summaries)
    print()
    print(ratio_line("gateway / bare", search["ratios"]))
    print_cpu(summaries, result["machine"]["cpus"])


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    from govhall.search.es import ElasticsearchRebuild  # the client only: starts no thread

    p = load_parser(__doc__.split("\n\n")[0], RESULTS)
    p.add_argument("--matters-per-site", type=int, default=2000, help="about 2,000 makes 300,000 in all")
    p.add_argument("--batch-size", type=int, default=500, help="documents per bulk request, both sides")
    p.add_argument(
        "--bare-in-flight",
        type=int,
        default=ElasticsearchRebuild.writes_in_flight,
        help="the baseline's bulk requests under way at once (default: as many as the reindex keeps)",
    )
    # A smaller province (the smoke test's): the first N cities, the first M counties of each.
    p.add_argument(
        "--cities", type=int, help="only the first N cities (default: all 16; 5 holds every searched site)"
    )
    p.add_argument(
        "--counties-per-city", type=int, help="only the first N counties of each city (at least 5)"
    )
    args = p.parse_args(argv)
    check_load_bounds(p, args)
    if not 1 <= args.matters_per_site <= 5000:
        p.error("--matters-per-site must be in [1, 5000]")
    if not 1 <= args.batch_size <= 5000:
        p.error("--batch-size must be in [1, 5000]")
    if not 1 <= args.bare_in_flight <= 16:
        p.error("--bare-in-flight must be in [1, 16]")
    from govhall.catalogue.generator import province_sites  # protobuf only: starts no thread

    generated = {site.code for site in province_sites(args.cities, args.counties_per_city)}
    missing = sorted({site for site, _q, _p in SEARCHES} - generated)
    if missing:
        p.error(f"--cities / --counties-per-city leave out sites the searches need: {', '.join(missing)}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    return run_main(
        lambda work, processes: Run(work, processes),
        lambda run: bench(run, args),
        cleanup,
        print_table,
        args.output,
    )


if __name__ == "__main__":
    sys.exit(main())
