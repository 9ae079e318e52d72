"""Every metric a Grafana dashboard or an alert rule of the chart names is exported by some service.

A dashboard panel or a rule on a name nobody exports shows "no data" or never fires, silently:
this test scrapes each service's /metrics in the shared e2e cluster (every service its own
process, as deployed) and fails naming the unknown metrics and where they are used. It lives
under tests/e2e rather than tests/deploy because that package's cluster fixture is the one that
runs every service.

Names come out of PromQL by a regular expression, not a parser: strings, label matchers,
ranges, grouping clauses and function calls are dropped, and what remains that looks like an
identifier is a metric name. Families with no sample yet (a labelled counter nothing has
counted) still count as exported: prometheus_client prints their # HELP and # TYPE lines.
"""

from __future__ import annotations

import json
import re
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
import yaml

from govhall.kit.testing import wait_until_sync

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "deploy" / "helm" / "govhall"
DASHBOARDS = CHART / "dashboards"
ALERTS = CHART / "templates" / "alerts.yaml"

# Series Prometheus makes itself, not a service: `up` of every scrape target.
PROMETHEUS_OWN = {"up"}

# The metric contract of issue 18 (dashboards and rules are built on these names): each must be
# exported by the service named, even before anything has moved it.
CONTRACT = {
    "govhall_outbox_oldest_age_seconds": "cases",
    "govhall_events_consumer_pending": "search",
    "govhall_events_redelivered_total": "search",
    "govhall_cases_overdue": "cases",
    "govhall_search_queries_total": "search",
    "govhall_search_query_seconds_bucket": "search",
    "govhall_search_reindex_total": "search",
    "govhall_search_indexed_total": "search",
    "govhall_appointments_bookings_total": "appointments",
    "govhall_appointments_no_shows_total": "appointments",
    "govhall_appointments_slot_fill_ratio": "appointments",
    "govhall_consult_letters": "consult",
    "govhall_consult_letters_overdue": "consult",
    "govhall_consult_evaluations_total": "consult",
    "govhall_crossprovince_certificate_expiry_timestamp_seconds": "crossprovince",
}

# PromQL words that look like identifiers and are not metrics.
KEYWORDS = {
    "and", "or", "unless", "by", "without", "on", "ignoring", "group_left", "group_right", "bool",
    "offset", "start", "end", "inf", "nan",
    "sum", "min", "max", "avg", "count", "stddev", "stdvar", "topk", "bottomk", "quantile",
    "count_values", "group", "limitk", "limit_ratio",
}  # fmt: skip
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"|\'(?:[^\'\\]|\\.)*\'|`[^`]*`')
_MATCHERS = re.compile(r"\{[^{}]*\}")
_RANGE = re.compile(r"\[[^\[\]]*\]")
_GROUPING = re.compile(r"\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^()]*\)")
_VARIABLE = re.compile(r"\$\{[^}]*\}|\$\w+")
_IDENTIFIER = re.compile(r"(?<![\w.:])([A-Za-z_:][\w:]*)(\s*\()?")


def metric_names(expr: str) -> set[str]:
    """The metric names a PromQL expression reads (Grafana's $variables allowed in it)."""
    text = _STRING.sub(" ", expr)
    text = _VARIABLE.sub(" ", text)
    text = _MATCHERS.sub(" ", text)
    text = _RANGE.sub(" ", text)
    text = _GROUPING.sub(" ", text)
    names = set()
    for m in _IDENTIFIER.finditer(text):
        name, call = m.group(1), m.group(2)
        if call or name.lower() in KEYWORDS or re.fullmatch(r"\d.*", name):
            continue  # a function or aggregation, or a keyword
        names.add(name)
    return names


def test_metric_names_are_read_out_of_promql() -> None:
    assert metric_names(
        "histogram_quantile(0.99, sum by (le, route) (rate(govhall_gateway_request_seconds_bucket[5m])))"
    ) == {"govhall_gateway_request_seconds_bucket"}
    assert metric_names(
        'sum by (site_code) (rate(govhall_grpc_server_handled_total{code!="OK", service=~"cases|search"}'
        "[$__rate_interval])) / ignoring(code) group_left sum without (code) "
        "(rate(govhall_grpc_server_handled_total[5m] offset 1h))"
    ) == {"govhall_grpc_server_handled_total"}
    assert metric_names("max by (site_code) (govhall_crossprovince_unreceipted_overdue) > 0") == {
        "govhall_crossprovince_unreceipted_overdue"
    }
    assert metric_names(
        "(govhall_crossprovince_certificate_expiry_timestamp_seconds - time()) / 86400 < 30 and on() up == 1"
    ) == {"govhall_crossprovince_certificate_expiry_timestamp_seconds", "up"}
    assert metric_names(
        'sum(increase(govhall_search_queries_total{result="zero", site_code="$site"}[1h])) '
        "/ clamp_min(sum(increase(govhall_search_queries_total[1h])), 1e-9)"
    ) == {"govhall_search_queries_total"}
    assert metric_names('label_replace(govhall_cases{state="accepted"}, "s", "$1", "state", "(.*)")') == {
        "govhall_cases"
    }
    assert metric_names("topk(5, govhall_outbox_pending) unless bool govhall_outbox_oldest_age_seconds") == {
        "govhall_outbox_pending",
        "govhall_outbox_oldest_age_seconds",
    }


def exported_names(exposition: str) -> set[str]:
    """Every series name a /metrics page exports, with the _bucket/_sum/_count/_total/_created
    names of the families it declares (a family with no sample yet has only # HELP and # TYPE)."""
    names: set[str] = set()
    suffixes = {
        "counter": ("", "_total", "_created"),
        "histogram": ("", "_bucket", "_sum", "_count", "_created"),
        "summary": ("", "_sum", "_count", "_created"),
    }
    for line in exposition.splitlines():
        if line.startswith("# TYPE "):
            _, _, name, kind = line.split(maxsplit=3)
            base = name.removesuffix("_total") if kind == "counter" else name
            names.update(base + s for s in suffixes.get(kind, ("",)))
        elif line and not line.startswith("#"):
            names.add(re.split(r"[{\s]", line, maxsplit=1)[0])
    return names


def test_families_without_samples_count_as_exported() -> None:
    page = (
        "# HELP govhall_search_query_seconds Search query time\n"
        "# TYPE govhall_search_query_seconds histogram\n"
        "# HELP govhall_search_reindex_total Full reindex runs\n"
        "# TYPE govhall_search_reindex_total counter\n"
        "# HELP govhall_cases_overdue Open cases past their due date\n"
        "# TYPE govhall_cases_overdue gauge\n"
        "govhall_cases_overdue 3.0\n"
        'python_info{implementation="CPython"} 1.0\n'
    )
    found = exported_names(page)
    assert {
        "govhall_search_query_seconds_bucket",
        "govhall_search_query_seconds_count",
        "govhall_search_reindex_total",
        "govhall_cases_overdue",
        "python_info",
    } <= found


def _exprs_in(node: Any, inside_targets: bool = False) -> Iterator[str]:
    if isinstance(node, dict):
        if inside_targets and isinstance(node.get("expr"), str):
            yield node["expr"]
        for key, value in node.items():
            yield from _exprs_in(value, key == "targets")
    elif isinstance(node, list):
        for item in node:
            yield from _exprs_in(item, inside_targets)


def dashboard_exprs() -> list[tuple[str, str]]:
    """(where, expr) of every panel target of the chart's dashboards."""
    out = []
    for path in sorted(DASHBOARDS.glob("*.json")) if DASHBOARDS.is_dir() else []:
        out += [
            (f"dashboards/{path.name}", e) for e in _exprs_in(json.loads(path.read_text(encoding="utf-8")))
        ]
    return out


def _template_exprs(source: str) -> Iterator[str]:
    """expr: values of a Helm template read as text (single-line or a block scalar), its
    {{ ... }} actions blanked: rules behind a values switch are checked whatever the switch."""
    lines = source.splitlines()
    for i, line in enumerate(lines):
        m = re.match(r"^(\s*)-?\s*expr:\s*(.*)$", line)
        if not m:
            continue
        value = m.group(2).strip()
        if value in ("|", "|-", ">", ">-", "|+", ">+"):
            indent = len(m.group(1))
            block = []
            for more in lines[i + 1 :]:
                if more.strip() and len(more) - len(more.lstrip()) <= indent:
                    break
                block.append(more)
            value = "\n".join(block)
        yield re.sub(r"\{\{.*?\}\}", " 0 ", value, flags=re.S)


def _rendered_exprs(helm: Path) -> Iterator[str]:
    """expr: of every PrometheusRule the chart renders with monitoring on."""
    rendered = subprocess.run(
        [str(helm), "template", "govhall", str(CHART), "--set", "serviceMonitor.enabled=true"],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert rendered.returncode == 0, rendered.stderr[-4000:]
    for doc in yaml.safe_load_all(rendered.stdout):
        if isinstance(doc, dict) and doc.get("kind") == "PrometheusRule":
            for group in doc["spec"]["groups"]:
                for rule in group.get("rules", []):
                    yield str(rule["expr"])


def rule_exprs(helm: Path) -> list[tuple[str, str]]:
    """(where, expr) of every alert and recording rule, rendered and as written in the template."""
    if not ALERTS.is_file():
        return []
    out = [("templates/alerts.yaml", e) for e in _template_exprs(ALERTS.read_text(encoding="utf-8"))]
    return out + [("templates/alerts.yaml (rendered)", e) for e in _rendered_exprs(helm)]


def test_rule_exprs_are_read_from_the_template_text() -> None:
    source = (
        "      rules:\n"
        "        - alert: A\n"
        "          expr: sum(rate(govhall_a_total[5m])) > {{ .Values.alerts.limit }}\n"
        "        - alert: B\n"
        "          expr: |\n"
        "            max by (site_code) (govhall_b_seconds)\n"
        "              > 600\n"
        "          for: 5m\n"
    )
    found = list(_template_exprs(source))
    assert [metric_names(e) for e in found] == [{"govhall_a_total"}, {"govhall_b_seconds"}]


def scrape(port: int) -> str:
    def page() -> str | None:
        try:
            reply = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=5)
        except httpx.HTTPError:
            return None
        return reply.text if reply.status_code == 200 else None

    return wait_until_sync(page, 60, interval=0.2, what=f"/metrics on port {port}")


@pytest.fixture(scope="module")
def exported(e2e: Any) -> dict[str, set[str]]:
    """The names each service's process exports, by service."""
    return {service: exported_names(scrape(port)) for service, port in e2e.metrics_ports.items()}


def test_every_service_exports_its_contract_metrics(exported: dict[str, set[str]]) -> None:
    assert set(exported) >= set(CONTRACT.values()) | {"gateway"}
    missing = sorted(
        f"{name} (from {service})" for name, service in CONTRACT.items() if name not in exported[service]
    )
    assert not missing, "not exported: " + ", ".join(missing)


def test_every_metric_a_dashboard_or_rule_names_is_exported(
    exported: dict[str, set[str]], helm: Path
) -> None:
    everywhere = set().union(*exported.values()) | PROMETHEUS_OWN
    used = dashboard_exprs() + rule_exprs(helm)
    unknown: dict[str, set[str]] = {}
    for where, expr in used:
        for name in metric_names(expr) - everywhere:
            unknown.setdefault(name, set()).add(where)
    assert not unknown, "metrics named but exported by no service:\n" + "\n".join(
        f"  {name}: used in {', '.join(sorted(places))}" for name, places in sorted(unknown.items())
    )
