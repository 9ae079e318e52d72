"""A bounded schemathesis run over every operation of all-in-one, as the attackers ran it: as an
anonymous caller, a citizen and a site administrator. It must find nothing: no server error, no
status, header or body the OpenAPI document does not describe, no method or missing auth answered
wrongly, no invalid input accepted.

Bounded and repeatable: the coverage phase (boundary values, derived from the schema) and a
fixed number of random examples per operation from a fixed seed, one process per identity, the
three at once (the server is one process; each run keeps a core busy generating): some 15,000
requests for about 2 minutes of CPU in all, the all-in-one's start included (2 to 4 minutes'
wall time measured on a shared 2-core machine at load average 7 to 15).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from govhall.identity.demo import DEMO_PASSWORD

from .conftest import allinone_process

SEED = 20261204
EXAMPLES_PER_OPERATION = 5
CITIZEN_MOBILE = "13712345679"
CITIZEN_PASSWORD = "Fuzz-Citizen-2026"


@pytest.fixture(scope="module")
def allinone(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    var = tmp_path_factory.mktemp("fuzz") / "var"
    with allinone_process(
        var,
        90,
        # The run sends some 15,000 requests from one address in a minute or two; 429s would
        # only hide the operations behind them.
        GOVHALL_GATEWAY_RATE_LIMIT_PER_MINUTE="1000000",
        # What is checked is what the gateway answers, not how fast: cheap password hashes (the
        # fuzz registers, logs in and changes passwords by the hundred) and a deadline a loaded
        # machine meets, so a slow answer is not taken for a server error (504).
        GOVHALL_IDENTITY_ARGON2_TIME_COST="1",
        GOVHALL_IDENTITY_ARGON2_MEMORY_KIB="1024",
        GOVHALL_GATEWAY_RPC_TIMEOUT_SECONDS="60",
    ) as url:
        yield url, var


def _token(url: str, login: dict[str, str]) -> str:
    reply = httpx.post(f"{url}/api/v1/auth/login", json=login, timeout=10)
    assert reply.status_code == 200, reply.text
    return str(reply.json()["access_token"])


def _citizen_token(url: str, var: Path) -> str:
    sent = httpx.post(
        f"{url}/api/v1/auth/sms-codes", json={"mobile": CITIZEN_MOBILE, "purpose": "register"}, timeout=10
    )
    assert sent.status_code == 200, sent.text
    lines = (var / "dev-sms.jsonl").read_text(encoding="utf-8").splitlines()
    code = [m["code"] for m in map(json.loads, lines) if m["mobile"] == CITIZEN_MOBILE][-1]
    body = {"mobile": CITIZEN_MOBILE, "sms_code": code, "password": CITIZEN_PASSWORD}
    registered = httpx.post(f"{url}/api/v1/auth/register", json=body, timeout=10)
    assert registered.status_code == 201, registered.text
    return _token(url, {"method": "password", "login_name": CITIZEN_MOBILE, "password": CITIZEN_PASSWORD})


# Invalid data refused as too large (413: over the body limit) is refused all the same.
CONFIG = """
[checks.negative_data_rejection]
expected-statuses = ["400", "401", "403", "404", "405", "406", "409", "413", "415", "422", "428", "429", "5xx"]
"""


def schemathesis_command(url: str, workdir: Path, token: str | None) -> list[str]:
    (workdir / "schemathesis.toml").write_text(CONFIG, encoding="utf-8")
    command = [
        sys.executable,
        "-m",
        "schemathesis.cli",
        f"--config-file={workdir / 'schemathesis.toml'}",
        "run",
        f"{url}/openapi.json",
        "--phases=examples,coverage,fuzzing",
        f"--max-examples={EXAMPLES_PER_OPERATION}",
        f"--seed={SEED}",
        "--checks=all",
        # The services check what a schema cannot say (check digits, password strength, codes
        # that must exist), so schema-valid data may rightly be refused with 400.
        "--exclude-checks=positive_data_acceptance",
        "--workers=1",
        "--no-shrink",
        "--generation-database=none",
        "--request-timeout=20",
        "--no-color",
        "--output-truncate=true",
    ]
    if token:
        # Logging out would end the session the rest of the run uses; the anonymous run covers it.
        command += ["--exclude-operation-id=logout", f"--header=Authorization: Bearer {token}"]
    return command


@pytest.mark.timeout(900)  # about 90 s when quiet; a loaded CI machine may take several times that
def test_schemathesis_finds_nothing(allinone: tuple[str, Path], tmp_path: Path) -> None:
    url, var = allinone
    document = httpx.get(f"{url}/openapi.json", timeout=10).json()
    operations = sum(len(item) for item in document["paths"].values())
    staff = {"method": "staff", "username": "hb_admin", "password": DEMO_PASSWORD}
    identities = {
        "anonymous": None,
        "citizen": _citizen_token(url, var),
        "site admin": _token(url, staff),
    }
    runs: dict[str, tuple[subprocess.Popen[bytes], Path]] = {}
    try:
        for name, token in identities.items():
            workdir = tmp_path / name.replace(" ", "-")
            workdir.mkdir()
            output = workdir / "output.txt"
            with output.open("wb") as out:
                command = schemathesis_command(url, workdir, token)
                runs[name] = (
                    subprocess.Popen(command, cwd=workdir, stdout=out, stderr=subprocess.STDOUT),
                    output,
                )
        deadline = time.monotonic() + 840
        failed = []
        for name, (proc, output) in runs.items():
            try:
                code = proc.wait(timeout=max(1.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                code = None
            text = output.read_text(encoding="utf-8", errors="replace")
            tested = re.search(r"Tested: (\d+)", text)
            # Every operation, but logout for a signed-in caller.
            expected = operations if identities[name] is None else operations - 1
            if code != 0 or not tested or int(tested.group(1)) != expected:
                failed.append(f"--- as {name} (exit {code}, {expected} operations to test):\n{text[-12000:]}")
            else:
                print(f"--- as {name}:\n{text[text.find('=== SUMMARY') :]}")
        assert not failed, "\n".join(failed)
    finally:
        for proc, _ in runs.values():
            if proc.poll() is None:
                proc.kill()
                proc.wait()
