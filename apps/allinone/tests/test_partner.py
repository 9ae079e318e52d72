"""All-in-one as either side of cross-province handling: `make run` (湖北 420000) and `make
run-partner` (湖南 430000, its own var dir and ports) make one set of development certificates
between them on the first start, and a signed ListMatters goes each way, receipted and in both
audit logs."""

from __future__ import annotations

import json
import os
import re
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from govhall.allinone import partner

from .conftest import allinone_processes, partner_endpoints

ROOT = Path(__file__).resolve().parents[3]


def ping(var: Path, code: str) -> str:
    """`python -m govhall.crossprovince ping` as the instance on ``var`` (its crossprovince.env)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVHALL_")}
    argv = [sys.executable, "-m", "govhall.crossprovince", "ping", "--env", str(var / "crossprovince.env")]
    done = subprocess.run(
        [*argv, "--partner", code], env=env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
    )
    assert done.returncode == 0, done.stdout + done.stderr
    return done.stdout


def audit_rows(var: Path) -> list[tuple[str, str, str, str, str]]:
    with sqlite3.connect(var / "crossprovince.db") as db:
        return db.execute(
            "SELECT direction, peer, kind, message_id, status FROM audit_log ORDER BY seq"
        ).fetchall()


def message_id(out: str) -> str:
    found = re.search(r"^  message ([0-9a-f-]{36}),", out, re.M)
    assert found, out
    return found[1]


def test_two_all_in_ones_are_partners_and_a_signed_round_trip_goes_each_way(tmp_path: Path) -> None:
    dev = tmp_path / "crossprovince-dev"
    hubei, hunan = tmp_path / "hubei" / "var", tmp_path / "hunan" / "var"
    shared = {
        "GOVHALL_ALLINONE_CROSSPROVINCE_DIR": str(dev),
        "GOVHALL_ALLINONE_PARTNER_ENDPOINTS": partner_endpoints(),
        "GOVHALL_IDENTITY_ARGON2_TIME_COST": "1",
        "GOVHALL_IDENTITY_ARGON2_MEMORY_KIB": "1024",
    }
    with allinone_processes(
        120, (hubei, shared), (hunan, {**shared, "GOVHALL_ALLINONE_PROVINCE": partner.HUNAN})
    ):
        # One set of material, made by whichever started first; each side's partners file names
        # the other.
        for own, other in ((partner.HUBEI, partner.HUNAN), (partner.HUNAN, partner.HUBEI)):
            listed = json.loads((dev / own / "partners.json").read_text(encoding="utf-8"))["partners"]
            assert [(p["code"], p["name"], p["groups"]) for p in listed] == [
                (other, partner.NAMES[other], [partner.GROUP])
            ]
        assert "GOVHALL_CROSSPROVINCE_PROVINCE_CODE=430000" in (hunan / "crossprovince.env").read_text()

        there = ping(hubei, partner.HUNAN)
        back = ping(hunan, partner.HUBEI)

    # Verified receipts, signed by the other side, listing what it offers (the demo's matters,
    # their names from its catalogue).
    assert "receipt from 430000 (湖南省)" in there and "RECEIPT_STATUS_ACCEPTED" in there
    assert "signature verified with 430000-dev-1" in there
    assert "3 matters offered to 420000:" in there and "420502-SCJGJ-0002 " in there
    assert "receipt from 420000 (湖北省)" in back and "RECEIPT_STATUS_ACCEPTED" in back
    assert "signature verified with 420000-dev-1" in back and "3 matters offered to 430000:" in back
    # Each message in both audit logs: sent, then its receipt (outgoing's one format), at the sender; received at the receiver.
    out, into = message_id(there), message_id(back)
    accepted, receipted = "RECEIPT_STATUS_ACCEPTED", "RECEIPTED_ACCEPTED"
    assert audit_rows(hubei) == [
        ("sent", partner.HUNAN, "ListMatters", out, "SENT"),
        ("sent", partner.HUNAN, "ListMatters", out, receipted),
        ("received", partner.HUNAN, "ListMatters", into, accepted),
    ]
    assert audit_rows(hunan) == [
        ("received", partner.HUBEI, "ListMatters", out, accepted),
        ("sent", partner.HUBEI, "ListMatters", into, "SENT"),
        ("sent", partner.HUBEI, "ListMatters", into, receipted),
    ]
    env = {k: v for k, v in os.environ.items() if not k.startswith("GOVHALL_")}
    for var in (hubei, hunan):
        verify = [
            sys.executable,
            "-m",
            "govhall.crossprovince",
            "audit-verify",
            "--env",
            str(var / "crossprovince.env"),
        ]
        done = subprocess.run(
            verify, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False
        )
        assert (done.returncode, done.stdout.strip()) == (0, "intact, 3 entries"), done.stderr


def test_the_material_is_made_once_and_kept(tmp_path: Path) -> None:
    endpoints = {partner.HUBEI: "127.0.0.1:1", partner.HUNAN: "127.0.0.1:2"}
    assert partner.ensure_material(tmp_path, endpoints) is True
    before = {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and p.name != ".lock"}
    assert partner.ensure_material(tmp_path, {}) is False
    assert {p: p.read_bytes() for p in tmp_path.rglob("*") if p.is_file() and p.name != ".lock"} == before
    offered = json.loads((tmp_path / partner.HUNAN / "offered-matters.json").read_text(encoding="utf-8"))
    assert [m["matter_code"] for m in offered["matters"]] == [m["matter_code"] for m in partner.OFFERED]


def test_a_missing_endpoint_is_named(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="no endpoint for \\['430000'\\]"):
        partner.ensure_material(tmp_path, {partner.HUBEI: "127.0.0.1:1"})
