"""Demo staff accounts for the demo province (all-in-one mode and `make up`).

Citizens register themselves: in development the SMS codes land in var/dev-sms.jsonl. Staff
are created by an administrator; these are the accounts a newcomer needs to try the staff side.
The password is public, so this is for a development machine only.

    python -m govhall.identity.demo [ADDRESS]
"""

from __future__ import annotations

import asyncio

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
    import os
    import sys

    target = (
        sys.argv[1]
        if len(sys.argv) > 1
        else os.environ.get("GOVHALL_IDENTITY_GRPC_ADDRESS", "127.0.0.1:50053")
    )
    print(
        f"demo staff: {asyncio.run(load_demo_staff(target))} created at {target} (password {DEMO_PASSWORD})"
    )
