"""Licences' demo data for `make run` and `make up`: the demo licence types (营业执照, 食品经营许可证,
结婚证, 医师执业证书, 残疾人证, 社会保障卡) linked to the demo matters whose result they are. Kept as
data (types.json) and loaded through licences' own API (LicenceAdminService), signed as the
operators, like the other services' demo loaders; idempotent: a type that exists is left as it
is (an administrator may have changed it), and only missing links are made.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import grpc

from govhall.kit.caller import caller_metadata
from govhall.kit.grpcclient import channel, operator_caller, operator_signer
from govhall.kit.grpcclient import wait_serving as wait_serving  # the loaders of this package share it
from govhall.kit.trust import Signer
from govhall.protos.licences.v1 import types_pb2 as T
from govhall.protos.licences.v1 import types_pb2_grpc, verification_pb2_grpc
from govhall.protos.licences.v1 import verification_pb2 as pb

TYPES_FILE = Path(__file__).resolve().parent / "types.json"


def demo_types(path: Path = TYPES_FILE) -> list[dict[str, Any]]:
    return list(json.loads(path.read_text(encoding="utf-8"))["types"])


async def load_demo_into(address: str, signer: Signer | None = None, *, wait_seconds: float = 30.0) -> int:
    """Create the demo types that are missing and link their matters; returns how many types
    were created (0 when all were there)."""
    ops = caller_metadata(operator_caller("licences demo loader"))
    ch = channel(address, signer=signer or operator_signer(), audience="licences")
    created = 0
    try:
        await wait_serving(ch, wait_seconds)
        public = types_pb2_grpc.LicenceTypesServiceStub(ch)
        admin = verification_pb2_grpc.LicenceAdminServiceStub(ch)
        for spec in demo_types():
            try:
                have = await public.GetLicenceType(
                    T.GetLicenceTypeRequest(code=spec["code"]), metadata=ops, timeout=30
                )
            except grpc.aio.AioRpcError as err:
                if err.code() != grpc.StatusCode.NOT_FOUND:
                    raise
                kind = T.LicenceType(
                    **{k: v for k, v in spec.items() if k not in ("fields", "matter_codes")},
                    fields=[T.LicenceField(**f) for f in spec["fields"]],
                )
                have = await admin.SaveLicenceType(
                    pb.SaveLicenceTypeRequest(type=kind), metadata=ops, timeout=30
                )
                created += 1
            for matter in spec["matter_codes"]:
                if matter not in have.matter_codes:
                    request = pb.LinkMatterRequest(type_code=spec["code"], matter_code=matter)
                    await admin.LinkMatter(request, metadata=ops, timeout=30)
    finally:
        await ch.close()
    return created
