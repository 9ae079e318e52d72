"""The image's Containerfile, read without building it (`make image-test` builds and runs it).

What a build would only show minutes later, or never on this machine's Debian base: the runtime
stage runs as UID 10001, installs exactly the PDF packages deploy/local installs for cases (one
list, so the two cannot drift apart), installs no compiler, and keeps Python from writing bytecode
on the read-only root filesystem; and every service the chart runs has a module in the image.
"""

from __future__ import annotations

import re
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
CONTAINERFILE = REPO / "deploy" / "image" / "Containerfile"
SERVICES = [
    "identity",
    "catalogue",
    "search",
    "cases",
    "consult",
    "appointments",
    "licences",
    "crossprovince",
    "gateway",
]
COMPILERS = {"gcc", "g++", "cpp", "clang", "make", "build-essential", "python3-dev", "libc6-dev"}


def stages() -> list[list[str]]:
    """The Containerfile's instructions (continuation lines joined, comments dropped), by stage."""
    text = re.sub(
        r"\\\n",
        " ",
        "\n".join(
            line for line in CONTAINERFILE.read_text().splitlines() if not line.lstrip().startswith("#")
        ),
    )
    result: list[list[str]] = []
    for line in text.splitlines():
        if line.startswith("FROM "):
            result.append([])
        if result and line.strip():
            result[-1].append(" ".join(line.split()))
    return result


def apt_installed(instructions: list[str]) -> set[str]:
    """The packages every `apt-get install` of these instructions names."""
    packages: set[str] = set()
    for instruction in instructions:
        for args in re.findall(r"apt-get install ([^&;|>]*)", instruction):
            packages |= {word for word in args.split() if not word.startswith("-")}
    return packages


def pdf_packages() -> set[str]:
    lib = (REPO / "deploy" / "local" / "lib.sh").read_text()
    match = re.search(r"^PDF_PACKAGES=\(([^)]*)\)", lib, re.MULTILINE)
    assert match, "PDF_PACKAGES not found in deploy/local/lib.sh"
    return set(match.group(1).split())


def test_the_runtime_stage_runs_as_uid_10001_on_a_read_only_root() -> None:
    runtime = stages()[-1]
    users = [i.split()[1] for i in runtime if i.startswith("USER ")]
    assert users == ["10001:10001"]
    env = " ".join(i for i in runtime if i.startswith("ENV "))
    assert "PYTHONDONTWRITEBYTECODE=1" in env
    assert "HOME=/tmp" in env and "GOVHALL_VAR_DIR=/tmp/" in env


def test_the_runtime_stage_installs_the_pdf_packages_and_no_compiler() -> None:
    builder, runtime = stages()
    installed = apt_installed(runtime)
    assert pdf_packages() <= installed, pdf_packages() - installed
    assert not installed & COMPILERS
    assert not apt_installed(builder) & COMPILERS  # every locked dependency is a wheel
    assert any(i.startswith("COPY --from=builder /opt/govhall") for i in runtime)


def test_every_service_the_chart_runs_has_a_module_in_the_image() -> None:
    for service in [*SERVICES, "allinone"]:
        roots = [REPO / "services" / service, REPO / "apps" / service]
        assert any((r / "src" / "govhall" / service / "__main__.py").exists() for r in roots), service
