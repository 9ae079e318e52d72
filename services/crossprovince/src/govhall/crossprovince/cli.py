"""The operators' commands: devca (development certificates), audit-verify and ping.

audit-verify and ping act as the instance whose GOVHALL_* settings they run with; --env FILE
reads them from a file of NAME=VALUE lines first (all-in-one writes var/crossprovince.env), the
variables already set taking precedence."""

from __future__ import annotations

import argparse
import asyncio
import os
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa

from govhall.crossprovince import audit, devca, ping
from govhall.crossprovince.app import SPEC
from govhall.crossprovince.settings import CrossprovinceSettings
from govhall.kit.db import Database
from govhall.kit.settings import PlatformSettings


async def _verify() -> int:
    settings = CrossprovinceSettings()
    db = Database(settings.resolved_database_url(PlatformSettings(), SPEC.name))
    try:
        verdict = await audit.verify(db)
    except sa.exc.DBAPIError as err:
        # No tables (the service never started on this database) or no database at all.
        print(
            f"cannot read the audit log ({type(err.orig).__name__}): has crossprovince run on this database?"
        )
        return 2
    finally:
        await db.close()
    if verdict.intact:
        print(f"intact, {verdict.entries} entries")
        return 0
    print(
        f"broken at entry {verdict.broken_seq}: {verdict.problem} ({verdict.entries} entries before it verify)"
    )
    return 1


def load_env_file(path: Path) -> None:
    """NAME=VALUE lines into the environment, leaving variables already set alone."""
    for line in path.read_text(encoding="utf-8").splitlines():
        name, sep, value = line.partition("=")
        if sep and name.strip() and not line.lstrip().startswith("#"):
            os.environ.setdefault(name.strip(), value)


def main(argv: Sequence[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m govhall.crossprovince")
    commands = parser.add_subparsers(dest="command", required=True)
    ca = commands.add_parser("devca", help="development CA, certificates and signing keys per province")
    ca.add_argument("--out", type=Path, required=True)
    ca.add_argument("--province", action="append", required=True, help="6-digit code; give two or more")
    ca.add_argument(
        "--endpoint",
        action="append",
        default=[],
        help="CODE=HOST:PORT a province's partner endpoint (default 127.0.0.1:50059, 50069, ...)",
    )
    verify = commands.add_parser("audit-verify", help="walk the audit chain; name the first broken entry")
    verify.add_argument("--env", type=Path, help="read the instance's settings from this file")
    hello = commands.add_parser(
        "ping", help="send a partner a signed ListMatters; print the verified receipt"
    )
    hello.add_argument("--partner", required=True, help="the partner's 6-digit province code")
    hello.add_argument("--group", default="", help="only the matters offered to this group")
    hello.add_argument("--timeout", type=float, default=10.0, help="seconds to wait for the receipt")
    hello.add_argument("--env", type=Path, help="read the instance's settings from this file")
    args = parser.parse_args(argv)
    if args.command in ("audit-verify", "ping") and args.env is not None:
        try:
            load_env_file(args.env)
        except OSError as err:
            parser.error(f"--env {args.env}: {err.strerror}")
    if args.command == "audit-verify":
        return asyncio.run(_verify())
    if args.command == "ping":
        return asyncio.run(ping.ping(args.partner, args.group, args.timeout))
    codes = list(dict.fromkeys(args.province))
    if len(codes) < 2 or not all(len(c) == 6 and c.isdigit() for c in codes):
        parser.error("give two or more distinct 6-digit --province codes")
    endpoints = {code: f"127.0.0.1:{50059 + 10 * i}" for i, code in enumerate(codes)}
    for item in args.endpoint:
        code, _, address = item.partition("=")
        if code not in endpoints or ":" not in address:
            parser.error(f"--endpoint {item!r}: CODE=HOST:PORT for one of the --province codes")
        endpoints[code] = address
    devca.write_all(args.out, codes, endpoints)
    for code in codes:
        print(f"{code}: {args.out / code} (settings in {args.out / code / 'env'})")
    return 0
