"""The PrometheusRule's alerts (deploy/helm/govhall/templates/alerts.yaml), checked with promtool.

The chart is rendered with helm (deploy/helm/install-helm.sh, as test_helm.py does); the rule's
groups become a rules file next to copies of the unit tests in deploy/helm/promtool, which name it
`govhall-rules.yaml`. `promtool check rules` must accept it, `promtool test rules` must pass, and
every alert must have a unit test that sees it fire and one that sees it not fire. promtool comes
from deploy/local/install-promtool.sh (Debian's prometheus package, no server; `make infra`
installs it). No cluster and no network are needed once both binaries are there.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
CHART = REPO / "deploy" / "helm" / "govhall"
PROMTOOL_TESTS = REPO / "deploy" / "helm" / "promtool"
INSTALL_PROMTOOL = REPO / "deploy" / "local" / "install-promtool.sh"
# The release and namespace the unit tests' series are written for (job govhall-<service>).
RELEASE = NAMESPACE = "govhall"
RULES_FILE = "govhall-rules.yaml"

# A cold helm build takes minutes; with helm and promtool present the module takes seconds.
pytestmark = pytest.mark.timeout(1800)


def _tool(script: Path) -> Path:
    proc = subprocess.run(["bash", str(script)], capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        pytest.fail(f"{script.name} failed (exit {proc.returncode}):\n{proc.stderr[-4000:]}", pytrace=False)
    path = Path(proc.stdout.strip().splitlines()[-1])
    assert path.is_file() and os.access(path, os.X_OK), f"{script.name} printed {path}, not a binary"
    return path


@pytest.fixture(scope="module")
def promtool() -> Path:
    return _tool(INSTALL_PROMTOOL)


def render_rule(helm: Path, env: dict[str, str], *args: str) -> dict[str, Any]:
    proc = subprocess.run(
        [str(helm), "template", RELEASE, str(CHART), "--namespace", NAMESPACE,
         "--set", "serviceMonitor.enabled=true", *args],
        capture_output=True, text=True, env=env, timeout=120,
    )  # fmt: skip
    assert proc.returncode == 0, proc.stderr
    (rule,) = [d for d in yaml.safe_load_all(proc.stdout) if d and d["kind"] == "PrometheusRule"]
    return rule


@pytest.fixture(scope="module")
def workdir(helm: Path, helm_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The rendered rules file and copies of the unit tests side by side."""
    work = tmp_path_factory.mktemp("promtool")
    rule = render_rule(helm, helm_env)
    (work / RULES_FILE).write_text(
        yaml.safe_dump({"groups": rule["spec"]["groups"]}, allow_unicode=True, sort_keys=False),
        encoding="utf-8",
    )
    for test in PROMTOOL_TESTS.glob("*.yaml"):
        shutil.copy(test, work / test.name)
    return work


def unit_test_files() -> list[Path]:
    files = sorted(PROMTOOL_TESTS.glob("*.yaml"))
    assert files, f"no promtool unit tests in {PROMTOOL_TESTS}"
    return files


def rendered_alerts(workdir: Path) -> list[str]:
    groups = yaml.safe_load((workdir / RULES_FILE).read_text(encoding="utf-8"))["groups"]
    return [r["alert"] for g in groups for r in g["rules"] if "alert" in r]


def test_promtool_check_rules_accepts_the_rendered_rules(promtool: Path, workdir: Path) -> None:
    proc = subprocess.run(
        [str(promtool), "check", "rules", RULES_FILE], cwd=workdir, capture_output=True, text=True, timeout=60
    )
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert f"SUCCESS: {len(rendered_alerts(workdir))} rules found" in proc.stdout + proc.stderr


def test_promtool_unit_tests_pass(promtool: Path, workdir: Path) -> None:
    names = [f.name for f in unit_test_files()]
    proc = subprocess.run(
        [str(promtool), "test", "rules", *names], cwd=workdir, capture_output=True, text=True, timeout=120
    )
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out
    assert out.count("SUCCESS") == len(names), out


def test_every_alert_is_tested_firing_and_not_firing(workdir: Path) -> None:
    fired: set[str] = set()
    quiet: set[str] = set()
    for path in unit_test_files():
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        assert spec["rule_files"] == [RULES_FILE], path.name
        for test in spec["tests"]:
            for case in test.get("alert_rule_test", []):
                (fired if case.get("exp_alerts") else quiet).add(case["alertname"])
    alerts = rendered_alerts(workdir)
    assert len(alerts) == len(set(alerts)), f"alert names repeat: {alerts}"
    assert sorted(set(alerts) - fired) == [], "alerts no promtool test sees firing"
    assert sorted(set(alerts) - quiet) == [], "alerts no promtool test sees staying quiet"
    assert sorted((fired | quiet) - set(alerts)) == [], "promtool tests of alerts the chart does not render"


def test_a_broken_rule_fails_the_unit_tests(promtool: Path, workdir: Path, tmp_path: Path) -> None:
    """The unit tests do look at the thresholds: doubling the outbox threshold turns a firing
    case into a failure (so a passing run is not promtool ignoring the files)."""
    rules = (workdir / RULES_FILE).read_text(encoding="utf-8")
    assert "govhall_outbox_pending) > 500" in rules
    (tmp_path / RULES_FILE).write_text(
        rules.replace("govhall_outbox_pending) > 500", "govhall_outbox_pending) > 1000")
    )
    shutil.copy(PROMTOOL_TESTS / "pipeline.yaml", tmp_path / "pipeline.yaml")
    proc = subprocess.run(
        [str(promtool), "test", "rules", "pipeline.yaml"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert proc.returncode != 0
    assert "GovhallOutboxBacklog" in proc.stdout + proc.stderr


def test_thresholds_come_from_the_values(helm: Path, helm_env: dict[str, str]) -> None:
    rule = render_rule(
        helm, helm_env,
        "--set", "alerts.thresholds.outboxPending=42",
        "--set", "alerts.thresholds.certificateCriticalDays=3",
        "--set", "alerts.thresholds.serviceDownFor=2m",
    )  # fmt: skip
    rules = {r["alert"]: r for g in rule["spec"]["groups"] for r in g["rules"]}
    assert rules["GovhallOutboxBacklog"]["expr"].endswith("> 42")
    assert "< 3 * 86400" in rules["GovhallCertificateExpiringCritical"]["expr"]
    assert rules["GovhallServiceDown"]["for"] == "2m"
    # The jobs watched are this release's services, in its namespace.
    assert 'job=~"govhall-appointments|govhall-cases|' in rules["GovhallServiceDown"]["expr"]
    assert rules["GovhallServiceNotScraped"]["expr"].count('absent(up{namespace="govhall"') == 9
    # Every alert says what it means and what to do.
    for name, r in rules.items():
        assert r["labels"]["severity"] in ("warning", "critical"), name
        assert r["annotations"]["summary"] and len(r["annotations"]["description"]) > 80, name
