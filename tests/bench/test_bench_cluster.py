"""Which services a benchmark starts (bench/cluster.py): derived from the services' settings, so
a new upstream of the gateway is started by every benchmark without editing them."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "bench"))

import cluster  # noqa: E402  (bench/ is a directory of scripts, not a package)


async def test_the_gateway_brings_everything_its_readiness_checks() -> None:
    from govhall.gateway.settings import GatewaySettings
    from govhall.gateway.upstreams import Upstreams
    from govhall.kit.testing import signer

    up = Upstreams(GatewaySettings(), signer("gateway"))
    try:
        # What /healthz/upstreams asks for its health: every upstream the gateway holds.
        checked = set(up.all)
    finally:
        await up.close()

    planned = cluster.with_upstreams([cluster.GATEWAY])
    assert set(planned) == checked | {"gateway"}
    assert planned[-1] == "gateway"
    assert {"cases", "identity", "search", "catalogue", "consult", "appointments", "licences"} <= checked


def test_each_service_starts_after_those_it_calls() -> None:
    planned = cluster.with_upstreams(["cases"])

    assert set(planned) == {"catalogue", "identity", "cases"}
    assert planned.index("cases") > max(planned.index("catalogue"), planned.index("identity"))
    assert cluster.upstreams("search") == ("catalogue",)
    assert cluster.upstreams("catalogue") == ()


def test_the_environment_wires_each_service_to_the_run(tmp_path: Path) -> None:
    infra = {
        "GOVHALL_PG_URL": "postgresql+asyncpg://u@127.0.0.1:1",
        "GOVHALL_NATS_URL": "nats://127.0.0.1:2",
        "GOVHALL_REDIS_URL": "redis://127.0.0.1:3/0",
        "GOVHALL_ELASTICSEARCH_URL": "http://127.0.0.1:4",
        "GOVHALL_RUN": "/nowhere",
    }
    c = cluster.Cluster.plan([cluster.GATEWAY], infra, tmp_path, "warning")
    env = c.env()

    for service in ("catalogue", "search", "identity", "cases", "consult", "appointments", "licences"):
        assert env[f"GOVHALL_GATEWAY_{service.upper()}_ADDRESS"] == c.addresses[service]
        assert env[f"GOVHALL_{service.upper()}_GRPC_ADDRESS"] == c.addresses[service]
        assert (
            env[f"GOVHALL_{service.upper()}_DATABASE_URL"]
            == f"{infra['GOVHALL_PG_URL']}/bench_{c.run_id}_{service}"
        )
    assert env["GOVHALL_CASES_CATALOGUE_ADDRESS"] == c.addresses["catalogue"]
    assert env["GOVHALL_CASES_IDENTITY_ADDRESS"] == c.addresses["identity"]
    assert env["GOVHALL_SEARCH_CATALOGUE_ADDRESS"] == c.addresses["catalogue"]
    assert env["GOVHALL_CONSULT_CATALOGUE_ADDRESS"] == c.addresses["catalogue"]
    assert env["GOVHALL_CONSULT_IDENTITY_ADDRESS"] == c.addresses["identity"]
    assert env["GOVHALL_APPOINTMENTS_CATALOGUE_ADDRESS"] == c.addresses["catalogue"]
    assert env["GOVHALL_APPOINTMENTS_IDENTITY_ADDRESS"] == c.addresses["identity"]
    assert env["GOVHALL_LICENCES_CASES_ADDRESS"] == c.addresses["cases"]
    assert env["GOVHALL_GATEWAY_PORT"] == str(c.gateway_port)
    # One key namespace, shared as in a deployment (identity writes revocations the gateway reads).
    for service in ("gateway", "identity", "search"):
        assert env[f"GOVHALL_{service.upper()}_KV_NAMESPACE"] == f"bench-{c.run_id}"
    assert env["GOVHALL_STREAM_PREFIX"] == f"BENCH{c.run_id.upper()}"
    assert env["GOVHALL_SEARCH_INDEX_ALIAS"] == f"bench-{c.run_id}-search"
    assert "GOVHALL_RUN" not in env
    assert len(set(c.addresses.values()) | {f"127.0.0.1:{c.gateway_port}"}) == 8
    assert sorted(c.databases) == sorted(
        f"bench_{c.run_id}_{s}"
        for s in ("catalogue", "search", "identity", "cases", "consult", "appointments", "licences")
    )


def test_the_run_has_caller_keys_of_its_own(tmp_path: Path) -> None:
    """Services verify every call: each process of the run and the benchmark's own calls (as the
    gateway, ops or a service) use the run's keys, made for it outside any test run too."""
    from govhall.kit import trustkeys

    infra = {"GOVHALL_PG_URL": "postgresql+asyncpg://u@127.0.0.1:1"}
    c = cluster.Cluster.plan([cluster.GATEWAY], infra, tmp_path, "warning")
    trust = Path(c.env()["GOVHALL_TRUST_DIR"])

    assert trust == tmp_path / "trust"
    bundle = trustkeys.read_bundle(trust / trustkeys.BUNDLE_FILE)
    for principal in (*c.services, "ops"):
        assert bundle[principal], principal
        assert trustkeys.read_key_file(trust / f"{principal}.key")[0] == principal


def test_each_service_gets_its_own_credentials_and_no_other(tmp_path: Path) -> None:
    infra = {
        "GOVHALL_PG_URL": "postgresql+asyncpg://u@127.0.0.1:1",
        "GOVHALL_NATS_URL": "nats://127.0.0.1:2",
        "GOVHALL_SECRET_NATS_CASES": "cases-secret",
        "GOVHALL_SECRET_NATS_CATALOGUE": "catalogue-secret",
        "GOVHALL_SECRET_NATS_ADMIN": "admin-secret",
    }
    c = cluster.Cluster.plan(["cases"], infra, tmp_path, "warning")
    env = c.env()

    assert not [k for k in env if k.startswith("GOVHALL_SECRET_")]
    cases = c.service_env("cases", env)
    assert (cases["GOVHALL_NATS_USER"], cases["GOVHALL_NATS_PASSWORD"]) == ("cases", "cases-secret")
    catalogue = c.service_env("catalogue", env)
    assert (catalogue["GOVHALL_NATS_USER"], catalogue["GOVHALL_NATS_PASSWORD"]) == (
        "catalogue",
        "catalogue-secret",
    )
    # No secret for identity here: it connects without credentials (a NATS without users).
    assert "GOVHALL_NATS_USER" not in c.service_env("identity", env)


def test_a_cycle_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    calls = {"a": ("b",), "b": ("a",)}
    monkeypatch.setattr(cluster, "upstreams", lambda service: calls[service])

    with pytest.raises(ValueError, match="a -> b -> a"):
        cluster.with_upstreams(["a"])


def test_each_service_process_gets_only_its_own_credentials(tmp_path: Path) -> None:
    infra = {
        "GOVHALL_PG_URL": "postgresql+asyncpg://govhall@127.0.0.1:1",
        "GOVHALL_PG_HOST": "127.0.0.1",
        "GOVHALL_PG_PORT": "1",
        "GOVHALL_DB_SERVICES": "identity catalogue cases search",
        "GOVHALL_NATS_URL": "nats://127.0.0.1:2",
        "GOVHALL_REDIS_URL": "redis://127.0.0.1:3/0",
        "GOVHALL_ELASTICSEARCH_URL": "http://127.0.0.1:4",
        "GOVHALL_RUN": "/nowhere",
        **{f"GOVHALL_SECRET_PG_{s}": f"pg-{s}" for s in ("IDENTITY", "CATALOGUE", "CASES", "SEARCH")},
        **{f"GOVHALL_SECRET_REDIS_{u}": f"r-{u}" for u in ("GATEWAY", "IDENTITY", "SERVICES", "ADMIN")},
        "GOVHALL_SECRET_ES_SEARCH": "es-search",
    }
    c = cluster.Cluster.plan([cluster.GATEWAY], infra, tmp_path, "warning")
    env = c.env()
    assert not [k for k in env if k.startswith("GOVHALL_SECRET_")]
    assert not [k for k in env if k.endswith("_PASSWORD")]
    # Each database as the service's own role (its password apart).
    assert (
        env["GOVHALL_CASES_DATABASE_URL"]
        == f"postgresql+asyncpg://govhall_cases@127.0.0.1:1/bench_{c.run_id}_cases"
    )
    cases = c.service_env("cases", env)
    assert cases["GOVHALL_CASES_DATABASE_URL"] == env["GOVHALL_CASES_DATABASE_URL"]
    assert cases["GOVHALL_CASES_DATABASE_PASSWORD"] == "pg-CASES"
    assert (cases["GOVHALL_REDIS_USERNAME"], cases["GOVHALL_REDIS_PASSWORD"]) == ("services", "r-SERVICES")
    assert not [
        k
        for k in cases
        if k.endswith("_PASSWORD") and k not in {"GOVHALL_CASES_DATABASE_PASSWORD", "GOVHALL_REDIS_PASSWORD"}
    ]
    gateway = c.service_env("gateway", env)
    assert (gateway["GOVHALL_REDIS_USERNAME"], gateway["GOVHALL_REDIS_PASSWORD"]) == ("gateway", "r-GATEWAY")
    assert c.service_env("search", env)["GOVHALL_ELASTICSEARCH_PASSWORD"] == "es-search"
