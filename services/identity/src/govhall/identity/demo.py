"""Demo staff accounts for the demo province (all-in-one mode and `make up`).

Citizens register themselves: in development the SMS codes land in var/dev-sms.jsonl. Staff
are created by an administrator; these are the accounts a newcomer needs to try the staff side.
One demo citizen (load_demo_citizen) registers as any citizen does, reading its SMS code from the
development SMS file, so that the all-in-one can give it the demo 证照库. The password is public,
so this is for a development machine only.

    python -m govhall.identity.demo [ADDRESS] [--citizen-file PATH]
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import grpc

from govhall.kit.caller import caller_metadata
from govhall.kit.grpcclient import channel, operator_caller, operator_signer
from govhall.kit.trust import Signer
from govhall.protos.identity.v1 import identity_pb2 as pb
from govhall.protos.identity.v1 import identity_pb2_grpc

DEMO_PASSWORD = "Govhall-demo-2026"

# username, name, mobile, site, department, roles
DEMO_STAFF = [
    ("hb_admin", "湖北管理员", "13900000001", "420000", "420000-ZWFW", ["site_admin"]),
    ("yc_admin", "宜昌管理员", "13900000002", "420500", "420500-ZWFW", ["site_admin", "supervisor"]),
    # The window accepts for the whole site (无差别综合受理); review and decision are done in the
    # implementing department, here 西陵区市场监督管理局, whose demo matters take online applications.
    ("xl_clerk", "西陵受理员", "13900000003", "420502", "420502-ZWFW", ["window_clerk"]),
    ("xl_reviewer", "西陵审核员", "13900000004", "420502", "420502-SCJGJ", ["reviewer"]),
    ("xl_approver", "西陵审批员", "13900000005", "420502", "420502-SCJGJ", ["approver"]),
    ("xl_supervisor", "西陵监察员", "13900000006", "420502", "420502-ZWFW", ["supervisor"]),
]


# The demo citizen who signs in with a password to see the demo licences (all-in-one).
DEMO_CITIZEN_MOBILE = "13900000100"


async def load_demo_citizen(address: str, sms_file: Path, *, signer: Signer | None = None) -> str:
    """The demo citizen's account subject: registered on the first start (the SMS code read from
    identity's development SMS file, as a newcomer would), found by signing in after that."""
    admin = caller_metadata(operator_caller("demo loader"))
    ch = channel(address, signer=signer or operator_signer(), audience="identity")
    stub = identity_pb2_grpc.IdentityServiceStub(ch)
    login = pb.LoginRequest(password=pb.PasswordLogin(login_name=DEMO_CITIZEN_MOBILE, password=DEMO_PASSWORD))
    try:
        try:
            return str((await stub.Login(login, metadata=admin, timeout=10)).account.id)
        except grpc.aio.AioRpcError as err:
            if err.code() not in (grpc.StatusCode.UNAUTHENTICATED, grpc.StatusCode.NOT_FOUND):
                raise
        sent = pb.SendSmsCodeRequest(mobile=DEMO_CITIZEN_MOBILE, purpose=pb.SMS_PURPOSE_REGISTER)
        await stub.SendSmsCode(sent, metadata=admin, timeout=10)
        lines = (await asyncio.to_thread(sms_file.read_text, encoding="utf-8")).splitlines()
        code = [m["code"] for m in map(json.loads, lines) if m.get("mobile") == DEMO_CITIZEN_MOBILE][-1]
        register = pb.RegisterPersonRequest(mobile=DEMO_CITIZEN_MOBILE, sms_code=code, password=DEMO_PASSWORD)
        return str((await stub.RegisterPerson(register, metadata=admin, timeout=30)).id)
    finally:
        await ch.close()


async def load_demo_staff(address: str, *, wait_seconds: float = 30.0, signer: Signer | None = None) -> int:
    """Create the demo staff that do not exist yet; returns how many were created.

    Identity learns the sites from the catalogue's events, so just after the catalogue's demo
    is loaded a site may not be known yet: wait for it rather than fail. It signs with the
    operators' key (``signer``; by default the one the platform settings name).
    """
    admin = caller_metadata(operator_caller("demo loader"))
    ch = channel(address, signer=signer or operator_signer(), audience="identity")
    stub = identity_pb2_grpc.IdentityServiceStub(ch)
    created = 0
    loop = asyncio.get_running_loop()
    deadline = loop.time() + wait_seconds
    try:
        for username, name, mobile, site, department, roles in DEMO_STAFF:
            request = pb.CreateStaffRequest(
                username=username,
                name=name,
                mobile=mobile,
                password=DEMO_PASSWORD,
                site_code=site,
                department_code=department,
                roles=roles,
            )
            while True:
                try:
                    await stub.CreateStaff(request, metadata=admin, timeout=10)
                    created += 1
                    break
                except grpc.aio.AioRpcError as err:
                    if err.code() == grpc.StatusCode.ALREADY_EXISTS:
                        break
                    if err.code() != grpc.StatusCode.NOT_FOUND or loop.time() > deadline:
                        raise
                    await asyncio.sleep(0.5)
    finally:
        await ch.close()
    return created


if __name__ == "__main__":
    import argparse
    import os

    parser = argparse.ArgumentParser(prog="python -m govhall.identity.demo")
    parser.add_argument(
        "address", nargs="?", default=os.environ.get("GOVHALL_IDENTITY_GRPC_ADDRESS", "127.0.0.1:50053")
    )
    parser.add_argument(
        "--citizen-file",
        type=Path,
        help="also register the demo citizen (SMS code from GOVHALL_IDENTITY_DEV_SMS_FILE) and write "
        "its subject here, for the licences demo's --holder",
    )
    args = parser.parse_args()
    target = args.address
    print(
        f"demo staff: {asyncio.run(load_demo_staff(target))} created at {target} (password {DEMO_PASSWORD})"
    )
    if args.citizen_file:
        sms = Path(os.environ.get("GOVHALL_IDENTITY_DEV_SMS_FILE", "var/dev-sms.jsonl"))
        subject = asyncio.run(load_demo_citizen(target, sms))
        args.citizen_file.write_text(subject, encoding="utf-8")
        print(f"demo citizen: {DEMO_CITIZEN_MOBILE} (password {DEMO_PASSWORD})")
