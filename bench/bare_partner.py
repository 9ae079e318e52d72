"""The baseline of bench/crossprovince_handover.py: a bare gRPC server with mutual TLS.

The same PartnerService and port set-up as crossprovince's partner endpoint (grpc.aio, the same
message size limits, client certificates required from the partners' CA bundle), and the same
bytes in: the Handover envelope. It answers each with an unsigned Receipt naming the message id,
ACCEPTED: no certificate-to-province check, no signature verified or made, no lookup of the
message id, nothing written. What is left is the round trip itself (TLS, HTTP/2, protobuf).

    python bench/bare_partner.py --port PORT --cert server.pem --key server.key --ca ca-bundle.pem
"""

from __future__ import annotations

import argparse
import asyncio
import signal
from pathlib import Path

import grpc

from govhall.protos.crossprovince.v1 import partner_pb2 as pb
from govhall.protos.crossprovince.v1 import partner_pb2_grpc

MAX_MESSAGE_BYTES = 16 * 1024 * 1024  # as crossprovince's server.MAX_MESSAGE_BYTES


class Bare(partner_pb2_grpc.PartnerServiceServicer):
    async def Handover(self, request: pb.Envelope, context: grpc.aio.ServicerContext) -> pb.Receipt:
        return pb.Receipt(message_id=request.message_id, status=pb.RECEIPT_STATUS_ACCEPTED)


async def serve(args: argparse.Namespace) -> None:
    server = grpc.aio.server(
        options=[
            ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
            ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
        ]
    )
    partner_pb2_grpc.add_PartnerServiceServicer_to_server(Bare(), server)
    credentials = grpc.ssl_server_credentials(
        [(args.key.read_bytes(), args.cert.read_bytes())],
        root_certificates=args.ca.read_bytes(),
        require_client_auth=True,
    )
    server.add_secure_port(f"127.0.0.1:{args.port}", credentials)
    await server.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    print("ready", flush=True)
    await stop.wait()
    await server.stop(grace=1.0)


def main() -> None:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--port", type=int, required=True)
    p.add_argument("--cert", type=Path, required=True)
    p.add_argument("--key", type=Path, required=True)
    p.add_argument("--ca", type=Path, required=True)
    args = p.parse_args()
    try:
        import uvloop

        uvloop.run(serve(args))
    except ImportError:
        asyncio.run(serve(args))


if __name__ == "__main__":
    main()
