"""The Grafana dashboards shipped in the chart (deploy/helm/govhall/dashboards/*.json) and the
ConfigMaps templates/dashboards.yaml makes of them for the Grafana sidecar."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "deploy" / "helm" / "govhall"
DASHBOARDS = CHART / "dashboards"
EXPECTED = {"platform", "cases", "events", "search", "appointments", "consult"}

pytestmark = pytest.mark.timeout(1800)  # a cold helm build; seconds once it is there


def load(path: Path) -> dict[str, Any]:
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def panels(dashboard: dict[str, Any]) -> list[dict[str, Any]]:
    """Every panel, the ones inside collapsed rows too; rows themselves hold no queries."""
    found = []
    for p in dashboard["panels"]:
        found.extend(p.get("panels", []))
        if p["type"] != "row":
            found.append(p)
    return found


def test_the_six_dashboards_parse_with_unique_uids_and_titles() -> None:
    files = sorted(DASHBOARDS.glob("*.json"))
    assert {f.stem for f in files} == EXPECTED
    dashboards = [load(f) for f in files]
    uids = [d["uid"] for d in dashboards]
    titles = [d["title"] for d in dashboards]
    assert len(set(uids)) == len(uids), uids
    assert len(set(titles)) == len(titles), titles
    for d in dashboards:
        assert re.fullmatch(r"[a-zA-Z0-9_-]{1,40}", d["uid"]), d["uid"]  # Grafana's uid limits


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_every_panel_queries_through_the_datasource_and_site_variables(name: str) -> None:
    dashboard = load(DASHBOARDS / f"{name}.json")
    variables = {v["name"]: v for v in dashboard["templating"]["list"]}
    assert variables["datasource"]["type"] == "datasource"
    assert variables["datasource"]["query"] == "prometheus"
    assert variables["site_code"]["type"] == "query"
    found = panels(dashboard)
    assert found, name
    ids = [p["id"] for p in found]
    assert len(set(ids)) == len(ids), f"{name}: panel ids repeat"
    for p in found:
        exprs = [t.get("expr", "") for t in p.get("targets", [])]
        assert exprs and all(e.strip() for e in exprs), f"{name}/{p['title']}: a target without expr"
        for e in exprs:
            assert '$site_code"' in e, f"{name}/{p['title']}: {e} ignores the site variable"
    # No data source is named by a fixed uid anywhere: each is the ${datasource} variable.
    text = json.dumps(dashboard)
    uids = set(re.findall(r'"uid": "([^"]*)"', text)) - {dashboard["uid"]}
    assert uids == {"${datasource}"}, f"{name}: fixed data-source uids {uids}"


def configmaps(helm: Path, env: dict[str, str], *args: str) -> list[dict[str, Any]]:
    proc = subprocess.run(
        [str(helm), "template", "govhall", str(CHART), "--namespace", "govhall-420000", *args],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    docs = [d for d in yaml.safe_load_all(proc.stdout) if d]
    return [
        d for d in docs
        if d["kind"] == "ConfigMap" and d["metadata"]["labels"]["app.kubernetes.io/component"].startswith("dashboard-")
    ]  # fmt: skip


def test_one_configmap_per_dashboard_for_the_grafana_sidecar(helm: Path, helm_env: dict[str, str]) -> None:
    found = configmaps(helm, helm_env)
    assert {m["metadata"]["name"] for m in found} == {f"govhall-dashboard-{n}" for n in EXPECTED}
    for m in found:
        assert m["metadata"]["namespace"] == "govhall-420000"
        assert m["metadata"]["labels"]["grafana_dashboard"] == "1"
        assert "annotations" not in m["metadata"]
        ((key, text),) = m["data"].items()
        name = m["metadata"]["name"].removeprefix("govhall-dashboard-")
        assert key == f"govhall-{name}.json"
        assert json.loads(text) == load(DASHBOARDS / f"{name}.json")  # the file, unchanged


def test_sidecar_label_folder_and_namespace_are_values(helm: Path, helm_env: dict[str, str]) -> None:
    found = configmaps(
        helm, helm_env,
        "--set", "grafana.dashboards.label=govhall_dashboard",
        "--set", "grafana.dashboards.labelValue=yes",
        "--set", "grafana.dashboards.annotations.grafana_folder=政务服务",
        "--set", "grafana.dashboards.namespace=monitoring",
    )  # fmt: skip
    assert len(found) == len(EXPECTED)
    for m in found:
        assert m["metadata"]["labels"]["govhall_dashboard"] == "yes"
        assert "grafana_dashboard" not in m["metadata"]["labels"]
        assert m["metadata"]["annotations"] == {"grafana_folder": "政务服务"}
        assert m["metadata"]["namespace"] == "monitoring"
    assert configmaps(helm, helm_env, "--set", "grafana.dashboards.enabled=false") == []
