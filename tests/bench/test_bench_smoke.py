"""Each benchmark, run as `make bench` runs it but tiny, prints its table: they cannot rot unnoticed.

A benchmark that cannot start its services (as when the gateway's /readyz began to wait for
cases and none of them started it), whose requests fail, or whose output lost a row fails here.
Only the shape of the output is checked, and that no request failed: never a timing, which on
a shared machine says as much about the machine as about the code (see bench/README.md).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
# Start-up of five services, the demo data and the index dominate; the load itself is a second.
TIMEOUT = 270
# One connection: on a loaded machine a queue of argon2 logins could outlast the gateway's deadline
# (a 504, which counts as a failed request); the table is the same with one.
TINY = ["--seconds", "0.5", "--rounds", "1", "--warmup", "0", "--concurrency", "1"]
# A row of the load table: name, requests, errors, req/s, p50 ms, p99 ms, body bytes.
ROW = re.compile(r"^(\w+) +(\d+) +(\d+) +[\d.]+ +[\d.]+ +[\d.]+ +\d+$", re.M)
HEADER = re.compile(r"^ +requests +errors +req/s +p50 ms +p99 ms +body B$", re.M)

# Room for the run, then for its clean-up after a SIGTERM, before pytest-timeout steps in.
pytestmark = [pytest.mark.integration, pytest.mark.timeout(TIMEOUT + 150)]


def run_bench(script: str, args: list[str], output: Path) -> str:
    """The benchmark's stdout (its table); its log (stderr) is shown when it fails."""
    # --no-start: the session's `cluster` fixture started the servers.
    argv = [sys.executable, f"bench/{script}", *args, "--no-start", "--output", str(output)]
    proc = subprocess.Popen(argv, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        stdout, stderr = proc.communicate(timeout=TIMEOUT)
    except subprocess.TimeoutExpired:
        # SIGTERM, not a kill: the benchmark then drops its databases, streams, keys and indices.
        proc.terminate()
        stdout, stderr = proc.communicate(timeout=120)
        pytest.fail(f"{script} did not finish within {TIMEOUT} s\n{stderr[-6000:]}", pytrace=False)
    assert proc.returncode == 0, f"{script} exited with {proc.returncode}\n{stderr[-6000:]}"
    assert json.loads(output.read_text(encoding="utf-8"))["benchmark"] == script.removesuffix(".py")
    return stdout


def load_rows(stdout: str) -> list[dict[str, int | str]]:
    return [{"name": m[1], "requests": int(m[2]), "errors": int(m[3])} for m in ROW.finditer(stdout)]


def test_search_vs_bare(cluster: dict[str, str], tmp_path: Path) -> None:
    out = run_bench("search_vs_bare.py", TINY, tmp_path / "result.json")

    assert "search vs bare: cluster mode, 1 rounds x 0.5 s each, concurrency 1" in out
    assert len(HEADER.findall(out)) == 1
    rows = load_rows(out)
    assert [r["name"] for r in rows] == ["bare", "hot", "uncached"]
    assert all(r["requests"] > 0 and r["errors"] == 0 for r in rows), rows
    assert re.search(r"^hot / bare +req/s [\d.]+x", out, re.M)
    assert re.search(r"^uncached / bare +req/s [\d.]+x", out, re.M)
    # The unique queries reach search; the hot ones mostly come from the gateway's cache.
    assert re.search(r"^  uncached .*search \d+.*; machine \d+$", out, re.M)


def test_identity_vs_bare(cluster: dict[str, str], tmp_path: Path) -> None:
    args = [*TINY, "--users", "2", "--verify-seconds", "0.2"]
    out = run_bench("identity_vs_bare.py", args, tmp_path / "result.json")

    assert "identity vs bare: 1 rounds x 0.5 s each, concurrency 1" in out
    assert "POST /api/v1/auth/login (password)" in out
    assert "GET /api/v1/me (token verification + GetMe)" in out
    assert len(HEADER.findall(out)) == 2
    rows = load_rows(out)
    assert [r["name"] for r in rows] == ["bare", "gateway", "bare", "gateway"]
    assert all(r["requests"] > 0 and r["errors"] == 0 for r in rows), rows
    verification = re.findall(r"^(decode|verify|verify\+redis) +(\d+) +(\d+) ", out, re.M)
    assert [v[0] for v in verification] == ["decode", "verify", "verify+redis"]
    assert all(int(ops) > 0 and errors == "0" for _name, ops, errors in verification), verification


def test_cases_submissions(cluster: dict[str, str], tmp_path: Path) -> None:
    # Cases as two worker processes on its port (kit/workers.py), two applicants on two connections.
    args = ["--seconds", "1", "--rounds", "1", "--warmup", "0", "--concurrency", "2"]
    args += ["--workers", "2", "--channels", "2"]
    out = run_bench("cases_submissions.py", args, tmp_path / "result.json")

    assert "vs pgbench: 1 rounds x 1 s, concurrency 2, cases workers 2, 2 channels" in out
    rows = re.findall(r"^(pgbench|submissions) +(\d+) +(\d+) +[\d.]+ +[\d.]+ +[\d.]+ ", out, re.M)
    assert [r[0] for r in rows] == ["pgbench", "submissions"]
    assert all(int(done) > 0 and errors == "0" for _name, done, errors in rows), rows
    parts = re.findall(r"^  (CreateDraft|UploadMaterial|SubmitCase) +-?[\d.]+ ", out, re.M)
    assert parts == ["CreateDraft", "UploadMaterial", "SubmitCase"]
    assert re.search(r"^submissions / pgbench +per s [\d.]+x", out, re.M)


def test_consult_inbox(cluster: dict[str, str], tmp_path: Path) -> None:
    # 200 events for 20 applicants, of whom 2 sign in: each of them has 10 messages.
    args = [*TINY, "--events", "200", "--applicants", "20", "--users", "2", "--drain-timeout", "120"]
    output = tmp_path / "result.json"
    out = run_bench("consult_inbox.py", args, output)

    assert "consult inbox: 200 case events for 20 applicants (as fast as published), 2 signed-in users" in out
    lag = re.findall(r"^(bare|consult) +(\d+) +(\d+) +(\d+) +[\d.]+ ", out, re.M)
    assert lag == [("bare", "200", "200", "0"), ("consult", "200", "200", "0")]
    assert re.search(r"^consult / bare +per s [\d.]+x +p50 lag [\d.]+x +p99 lag [\d.]+x$", out, re.M)
    result = json.loads(output.read_text(encoding="utf-8"))
    # Every event gave exactly one row, in consult's inbox and in the baseline's table.
    for name in ("bare", "consult"):
        assert result["lag"][name]["table"] == {"rows": 200, "distinct_events": 200}
        assert result["lag"][name]["duplicate_notices"] == 0
    # Each signed-in user's unread count and list total through the gateway: their 10 events.
    assert result["checks"] == {"users": 2, "expected": [10, 10], "wrong": []}
    assert len(HEADER.findall(out)) == 2
    rows = load_rows(out)
    assert [r["name"] for r in rows] == ["bare", "gateway", "bare", "gateway"]
    assert all(r["requests"] > 0 and r["errors"] == 0 for r in rows), rows


def test_province_scale(cluster: dict[str, str], tmp_path: Path) -> None:
    # The smallest province that holds every site the benchmark searches from: 31 sites, 1 matter each.
    args = [*TINY, "--cities", "5", "--counties-per-city", "5", "--matters-per-site", "1"]
    out = run_bench("province_scale.py", args, tmp_path / "result.json")

    assert "province at scale: 31 matters at 31 sites" in out
    assert re.search(r"^index 31 documents: reindex [\d.]+ s .*; reindex / bare [\d.]+x$", out, re.M)
    assert len(HEADER.findall(out)) == 1
    rows = load_rows(out)
    assert [r["name"] for r in rows] == ["bare", "gateway"]
    assert all(r["requests"] > 0 and r["errors"] == 0 for r in rows), rows


def test_province_scale_refuses_a_province_without_the_searched_sites(tmp_path: Path) -> None:
    argv = [sys.executable, "bench/province_scale.py", "--cities", "4", "--output", str(tmp_path / "r.json")]
    done = subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)

    assert done.returncode == 2
    assert "leave out sites the searches need: 420602" in done.stderr
    assert not (tmp_path / "r.json").exists()


def test_appointments_booking(cluster: dict[str, str], tmp_path: Path) -> None:
    # 60 persons at once on 3 slots of capacity 1: 3 granted, 57 SLOT_FULL, at both targets.
    args = ["--requests", "60", "--slots", "3", "--rounds", "1"]
    output = tmp_path / "result.json"
    out = run_bench("appointments_booking.py", args, output)

    assert "appointments booking: 60 concurrent requests on 3 slots of capacity 1, 1 rounds," in out
    rows = re.findall(r"^(bare|gateway) +(\d+) +(\d+) +(\d+) +(\d+) +[\d.]+ +[\d.]+ +[\d.]+ +\d+$", out, re.M)
    assert rows == [("bare", "60", "3", "57", "0"), ("gateway", "60", "3", "57", "0")]
    assert re.search(r"^gateway / bare +req/s [\d.]+x +p50 [\d.]+x +p99 [\d.]+x$", out, re.M)
    assert re.search(r"^  gateway .*appointments \d+.*; machine \d+$", out, re.M)
    result = json.loads(output.read_text(encoding="utf-8"))
    assert result["wrong"] == []
    # What the database says of each burst's slots: 3 bookings, 3 places taken.
    for name in ("bare", "gateway"):
        [burst] = result[name]["rounds"]
        assert burst["outcomes"] == {"granted": 3, "SLOT_FULL": 57}
        assert burst["database"] == {"bookings": 3, "booked": 3}


def test_crossprovince_handover(cluster: dict[str, str], tmp_path: Path) -> None:
    output = tmp_path / "result.json"
    out = run_bench("crossprovince_handover.py", [*TINY, "--materials-kib", "4"], output)

    assert "crossprovince handover 430000 -> 420000: 1 rounds x 0.5 s each, concurrency 1" in out
    assert len(HEADER.findall(out)) == 1
    rows = load_rows(out)
    assert [r["name"] for r in rows] == ["bare", "endpoint"]
    assert all(r["requests"] > 0 and r["errors"] == 0 for r in rows), rows
    assert re.search(r"^endpoint / bare +req/s [\d.]+x", out, re.M)
    assert re.search(r"^  endpoint .*crossprovince \d+.*; machine \d+$", out, re.M)
    # Every request ended in a verified receipt, and every one ACCEPTED: the home side's catalogue
    # has the matter, so each handover made a case (the accepted path is what is measured).
    result = json.loads(output.read_text(encoding="utf-8"))
    for name, row in zip(("bare", "endpoint"), rows, strict=True):
        assert sum(result["receipts"][name].values()) == row["requests"], result["receipts"]
        assert result["accepted"][name] == row["requests"] and result["rejected"][name] == 0, result
    assert set(result["receipts"]["bare"]) == {"ACCEPTED"}
    assert set(result["receipts"]["endpoint"]) == {"ACCEPTED"}, result["receipts"]
    assert re.search(r"^receipts endpoint accepted [1-9]\d*, rejected 0 ", out, re.M)
    assert result["rpc_failures"] == {"bare": {}, "endpoint": {}}


def test_growth(cluster: dict[str, str], tmp_path: Path) -> None:
    # Two tiny sizes (the table's shape and the slope column need two); no services to start.
    args = ["--sizes", "200,400", "--seconds", "0.3", "--rounds", "1", "--warmup", "0", "--concurrency", "2"]
    out = run_bench("growth.py", args, tmp_path / "result.json")
    assert "cases' read paths against the number of cases (concurrency 2" in out
    rows = re.findall(r"^ +(\d+) (\w+) +(\d+) +(\d+) +[\d.]+ +[\d.]+ +[\d.]+ +-?[\d.]+$", out, re.M)
    flows = ["baseline", "my_cases", "queue", "status", "statistics"]
    assert [(size, flow) for size, flow, *_ in rows] == [(s, f) for s in ("200", "400") for f in flows], out
    assert all(int(done) > 0 and errors == "0" for *_, done, errors in rows), rows
    result = json.loads((tmp_path / "result.json").read_text(encoding="utf-8"))
    assert [row["size"] for row in result["sizes"]] == [200, 400]


def test_startup_memory(tmp_path: Path) -> None:
    # All-in-one and the baseline only (the cluster's start is what the other smokes do already).
    args = ["--no-cluster", "--requests", "40", "--concurrency", "2"]
    output = tmp_path / "result.json"
    out = run_bench("startup_memory.py", args, output)

    assert re.search(r"^startup and memory: 40 requests per load, concurrency 2, ", out, re.M)
    starts = re.findall(r"^(bare|allinone_cold|allinone_warm) +([\d.]+) +(\d+) +(\d+)$", out, re.M)
    assert [s[0] for s in starts] == ["bare", "allinone_cold", "allinone_warm"]
    assert all(float(s) > 0 and int(rss) > 0 and int(idle) > 0 for _name, s, rss, idle in starts), starts
    assert re.search(r"^allinone warm / bare +ready [\d.]+x +RSS [\d.]+x +idle RSS [\d.]+x$", out, re.M)
    assert re.findall(r"^load (\d): 40 requests, 0 errors, ", out, re.M) == ["1", "2"]
    assert re.search(r"^growth over the second load: [+-][\d.]+ MB$", out, re.M)
    result = json.loads(output.read_text(encoding="utf-8"))
    assert [row["errors"] for row in result["loads"]] == [0, 0]
