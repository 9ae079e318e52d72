"""python -m govhall.identity.cli: administration without the gateway.

    create-staff  create a staff account (the first site administrator of a new site, say)
    rotate-key    make a new access-token signing key current
    republish     write every account's public state and every agent authorisation to the
                  outbox again, for a consumer that joined after the stream dropped the history
                  (see republish.py)

It works on identity's database directly, through the same service code and rules as the
gRPC API, acting as a platform administrator. Events it raises go to the outbox, and the
running identity service's relay publishes them.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import os
import sys

from govhall.identity.app import build
from govhall.identity.republish import republish
from govhall.identity.settings import IdentitySettings
from govhall.kit.bus import InProcessBus
from govhall.kit.caller import set_caller
from govhall.kit.db import Database
from govhall.kit.errors import DomainError
from govhall.kit.grpcclient import operator_caller
from govhall.kit.service import ServiceContext, migrate
from govhall.kit.settings import PlatformSettings
from govhall.kit.trust import Signer, audit
from govhall.protos.identity.v1 import identity_pb2 as pb

# A platform administrator named by their login: the audit lines name them (see `audit`).
CLI_ADMIN = operator_caller("identity CLI")


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m govhall.identity.cli", description=__doc__.split("\n")[0]
    )
    commands = parser.add_subparsers(dest="command", required=True)
    staff = commands.add_parser("create-staff", help="create a staff account")
    staff.add_argument("--username", required=True)
    staff.add_argument("--name", required=True, help="real name, e.g. 王审批")
    staff.add_argument("--mobile", required=True)
    staff.add_argument("--site", required=True, help="6-digit site code")
    staff.add_argument("--department", required=True, help="department code")
    staff.add_argument(
        "--roles", required=True, help="comma-separated: window_clerk,reviewer,approver,supervisor,site_admin"
    )
    commands.add_parser("rotate-key", help="make a new signing key current")
    commands.add_parser("republish", help="send identity's current public state through the outbox again")
    return parser


async def run(args: argparse.Namespace, settings: IdentitySettings, platform: PlatformSettings) -> str:
    from govhall.identity.app import SPEC

    db = Database(settings.resolved_database_url(platform, SPEC.name))
    await migrate(db, SPEC)
    if args.command == "republish":
        audit(SPEC.name, args.command, CLI_ADMIN, "cli")
        try:
            done = await republish(db)
        finally:
            await db.close()
        return (
            f"已重新发布{done.users}个账号、{done.authorisations}项经办人授权 / republished {done.users} users, "
            f"{done.authorisations} agent authorisations (the running identity's relay sends them)"
        )
    # It runs where identity runs (with its database credentials and key): what identity asks
    # the catalogue on the way (a site its copy lacks) it asks as itself.
    signer = Signer.from_settings(platform, SPEC.name)
    ctx = ServiceContext(SPEC.name, db, InProcessBus(), settings, platform, signer)
    service = build(ctx)
    # Whoever can run this holds identity's database credentials; the audit line names them.
    audit(SPEC.name, args.command, CLI_ADMIN, "cli")
    set_caller(CLI_ADMIN)
    try:
        if args.command == "create-staff":
            password = os.environ.get("GOVHALL_STAFF_PASSWORD") or getpass.getpass("initial password: ")
            staff = await service.CreateStaff(
                pb.CreateStaffRequest(
                    username=args.username,
                    name=args.name,
                    mobile=args.mobile,
                    password=password,
                    site_code=args.site,
                    department_code=args.department,
                    roles=[r.strip() for r in args.roles.split(",") if r.strip()],
                ),
                None,
            )
            return f"created staff {staff.username} ({staff.name}) at site {staff.site_code}: {', '.join(staff.roles)}"
        jwks = await service.RotateSigningKey(pb.RotateSigningKeyRequest(), None)
        return f"new signing key {jwks.keys[0].kid}; {len(jwks.keys)} keys published"
    finally:
        for close in reversed(ctx.closers):
            await close()
        await db.close()


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        print(asyncio.run(run(args, IdentitySettings(), PlatformSettings())))
    except DomainError as err:
        print(f"error {err.code}: {err.message_zh} ({err.message})", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
