"""Every built service is started in every way to run, with its credentials (docs/NEW_SERVICE.md).

A service is "built" once its package has an ``app.py`` with a ``SPEC`` (the placeholders do not
yet). Forgetting one place is how a new service used to break a way to run that its own tests did
not cover (the benchmarks once stopped starting because the gateway began to wait for a service
they did not start): each check below names the file to edit, in the page's words.
"""

from __future__ import annotations

import ast
import json
import re
from pathlib import Path

import pytest
import yaml

from govhall.kit import trustkeys

ROOT = Path(__file__).resolve().parents[2]


def _built_services() -> list[str]:
    built = []
    for app in sorted(ROOT.glob("services/*/src/govhall/*/app.py")):
        tree = ast.parse(app.read_text(encoding="utf-8"))
        if any(
            isinstance(node, ast.Assign) and any(getattr(t, "id", None) == "SPEC" for t in node.targets)
            for node in tree.body
        ):
            built.append(app.parent.name)
    return built


BUILT = _built_services()


def _shell_array(path: Path, name: str) -> list[str]:
    match = re.search(rf"^{name}=\(([^)]*)\)", path.read_text(encoding="utf-8"), re.MULTILINE)
    assert match, f"{path.relative_to(ROOT)} has no {name}=(...)"
    return [word.strip('"') for word in match.group(1).split()]


def test_the_services_with_a_spec_are_found() -> None:
    # The guard against this whole file passing vacuously.
    assert {"identity", "catalogue", "search", "cases"} <= set(BUILT)


@pytest.mark.parametrize("service", BUILT)
def test_it_has_a_principal_and_a_caller_policy(service: str) -> None:
    assert service in trustkeys.PRINCIPALS, "step 5: add it to kit.trustkeys.PRINCIPALS"
    policy = ROOT / f"services/{service}/src/govhall/{service}/callers.json"
    assert policy.is_file(), f"step 5: write {policy.relative_to(ROOT)}"
    assert json.loads(policy.read_text(encoding="utf-8")), "its callers.json allows nobody"


@pytest.mark.parametrize("service", BUILT)
def test_it_runs_in_the_all_in_one_process(service: str) -> None:
    stack = (ROOT / "apps/allinone/src/govhall/allinone/stack.py").read_text(encoding="utf-8")
    assert f"{service}_app.SPEC" in stack, "step 3: start a ServiceHost for it in apps/allinone stack.py"


@pytest.mark.parametrize("service", BUILT)
def test_make_up_and_the_e2e_cluster_start_it(service: str) -> None:
    assert service in _shell_array(ROOT / "deploy/local/services.sh", "SERVICES"), (
        "step 3: add it to SERVICES in deploy/local/services.sh"
    )
    e2e = (ROOT / "tests/e2e/conftest.py").read_text(encoding="utf-8")
    started = re.search(r"for service in \(([^)]*)\):\s*\n\s*c\.start\(service\)", e2e)
    assert started and f'"{service}"' in started.group(1), "step 3: start it in tests/e2e/conftest.py"


@pytest.mark.parametrize("service", BUILT)
def test_the_chart_deploys_it(service: str) -> None:
    chart = ROOT / "deploy/helm/govhall"
    assert (chart / "templates" / f"{service}.yaml").is_file(), f"step 3: add templates/{service}.yaml"
    values = yaml.safe_load((chart / "values.yaml").read_text(encoding="utf-8"))
    assert service in values["services"], "step 3: add it under services: in values.yaml"


@pytest.mark.parametrize("service", BUILT)
def test_it_has_a_database_and_a_bus_user(service: str) -> None:
    env = (ROOT / "deploy/local/env.sh").read_text(encoding="utf-8")
    databases = re.search(r"GOVHALL_DB_SERVICES:=([^}]*)\}", env)
    assert databases and service in databases.group(1).split(), "step 3: add it to GOVHALL_DB_SERVICES"
    nats = (ROOT / "deploy/local/nats.sh").read_text(encoding="utf-8")
    block = re.search(r"^NATS_USERS=\((.*?)^\)", nats, re.MULTILINE | re.DOTALL)
    assert block, "deploy/local/nats.sh has no NATS_USERS=(...)"
    users = re.findall(r'^\s*"([a-z]+)[ "]', block.group(1), re.MULTILINE)
    assert service in users, "step 5: give it a row in NATS_USERS (deploy/local/nats.sh)"


# Services no user route reaches, and why: the gateway must then NOT know their address (a
# gateway holding one would wait for them in /healthz/upstreams and offer a path to them).
NOT_BEHIND_THE_GATEWAY = {
    # Partner provinces reach it on its own mutual-TLS port (the partner ingress); the gateway,
    # facing the public, must hold neither that port nor the province's signing key.
    "crossprovince": "partner provinces only, on its partner endpoint",
}


@pytest.mark.parametrize("service", BUILT)
def test_the_gateway_knows_where_it_is(service: str) -> None:
    from govhall.gateway.settings import GatewaySettings

    if service in NOT_BEHIND_THE_GATEWAY:
        assert f"{service}_address" not in GatewaySettings.model_fields, NOT_BEHIND_THE_GATEWAY[service]
        return
    assert f"{service}_address" in GatewaySettings.model_fields, (
        "step 3: give the gateway a <service>_address (its upstream registry and the benchmarks follow)"
    )
