"""python -m govhall.cases.cli: cases administration without the gateway.

    republish   write every case's current state (a CaseChanged each) to the outbox again, for
                a consumer that joined after the stream dropped the history (see republish.py)

It works on the cases database directly (GOVHALL_CASES_DATABASE_URL; unset: SQLite under
GOVHALL_VAR_DIR), migrating it first; the running cases service's relay publishes the events.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from govhall.cases.app import SPEC
from govhall.cases.republish import republish
from govhall.cases.settings import CasesSettings
from govhall.kit.db import Database
from govhall.kit.grpcclient import operator_caller
from govhall.kit.service import migrate
from govhall.kit.settings import PlatformSettings
from govhall.kit.trust import audit

# A platform administrator named by their login: the audit line names them (see `audit`).
CLI_ADMIN = operator_caller("cases CLI")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m govhall.cases.cli", description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("republish", help="send every case's current state through the outbox again")
    return parser


async def run(args: argparse.Namespace) -> str:
    settings, platform = CasesSettings(), PlatformSettings()
    db = Database(settings.resolved_database_url(platform, SPEC.name))
    try:
        await migrate(db, SPEC)
        audit(SPEC.name, args.command, CLI_ADMIN, "cli")
        done = await republish(db)
    finally:
        await db.close()
    return f"已重新发布{done}个办件 / republished {done} cases (the running cases service's relay sends them)"


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    print(asyncio.run(run(args)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
