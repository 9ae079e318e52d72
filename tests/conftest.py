"""What the chart's tests share (tests/deploy and tests/e2e): the pinned helm and a clean home for it."""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
INSTALL_HELM = REPO / "deploy" / "helm" / "install-helm.sh"


@pytest.fixture(scope="session")
def helm_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Keep helm away from the user's own helm config, cache and plugins."""
    home = tmp_path_factory.mktemp("helm-home")
    env = dict(os.environ)
    for var in ("HELM_CACHE_HOME", "HELM_CONFIG_HOME", "HELM_DATA_HOME"):
        env[var] = str(home / var.lower())
    env.pop("HELM_NAMESPACE", None)
    env.pop("HELM_KUBECONTEXT", None)
    return env


@pytest.fixture(scope="session")
def helm() -> Path:
    """The pinned helm; building it when needed. Never skips: no helm is a failure."""
    proc = subprocess.run(["bash", str(INSTALL_HELM)], capture_output=True, text=True, timeout=1800)
    if proc.returncode != 0:
        pytest.fail(
            f"deploy/helm/install-helm.sh could not provide helm (exit {proc.returncode}):\n"
            f"{proc.stderr[-4000:]}",
            pytrace=False,
        )
    lines = proc.stdout.strip().splitlines()
    assert lines, f"install-helm.sh printed no path; stderr:\n{proc.stderr[-2000:]}"
    path = Path(lines[-1])
    assert path.is_file() and os.access(path, os.X_OK), f"install-helm.sh printed {path}, not a binary"
    assert not path.resolve().is_relative_to(REPO), "helm must live outside the repository"
    return path
