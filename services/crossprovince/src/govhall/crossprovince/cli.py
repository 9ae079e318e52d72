"""The operators' commands: devca (development certificates) and audit-verify."""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import Sequence
from pathlib import Path

import sqlalchemy as sa

from govhall.crossprovince import audit, devca
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
    commands.add_parser("audit-verify", help="walk the audit chain; name the first broken entry")
    args = parser.parse_args(argv)
    if args.command == "audit-verify":
        return asyncio.run(_verify())
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
