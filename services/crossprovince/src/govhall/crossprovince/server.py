"""The partner endpoint's gRPC server: its own port, mutual TLS (a client without a certificate
from one of the partners' CAs fails the handshake), every RPC handed to `Endpoint.receive`."""

from __future__ import annotations

import logging

import grpc

from govhall.crossprovince.endpoint import Endpoint, Refused
from govhall.protos.crossprovince.v1 import partner_pb2 as pb
from govhall.protos.crossprovince.v1 import partner_pb2_grpc

log = logging.getLogger(__name__)

# Handover bodies carry scanned materials: as cases' uploads, up to 16 MiB a message.
MAX_MESSAGE_BYTES = 16 * 1024 * 1024


class PartnerServicer(partner_pb2_grpc.PartnerServiceServicer):
    """Every RPC passes its own name: the envelope's kind must be it (KINDS lists them)."""

    def __init__(self, endpoint: Endpoint) -> None:
        self.endpoint = endpoint

    async def _serve(self, kind: str, request: pb.Envelope, context: grpc.aio.ServicerContext) -> pb.Receipt:
        pems = context.auth_context().get("x509_pem_cert") or [None]
        try:
            return await self.endpoint.receive(kind, request, pems[0])
        except Refused as err:
            log.warning("partner request refused: %s %s (%s)", kind, err.code, err.message)
            await context.abort(err.status, f"{err.code}: {err.message}")
            raise  # abort raises; this line is for the type checker
        except Exception:
            # Our fault or a service behind us (the catalogue, cases) away: nothing was kept and
            # no receipt given, so the sender sends again; it learns nothing of our insides.
            log.exception("partner request %s %s could not be handled", kind, request.message_id)
            await context.abort(grpc.StatusCode.UNAVAILABLE, "UNAVAILABLE: not kept; send the message again")
            raise

    async def ListMatters(self, request: pb.Envelope, context: grpc.aio.ServicerContext) -> pb.Receipt:
        return await self._serve("ListMatters", request, context)

    async def Handover(self, request: pb.Envelope, context: grpc.aio.ServicerContext) -> pb.Receipt:
        return await self._serve("Handover", request, context)

    async def GetHandoverStatus(self, request: pb.Envelope, context: grpc.aio.ServicerContext) -> pb.Receipt:
        return await self._serve("GetHandoverStatus", request, context)

    async def ReportStatus(self, request: pb.Envelope, context: grpc.aio.ServicerContext) -> pb.Receipt:
        return await self._serve("ReportStatus", request, context)

    async def Supplement(self, request: pb.Envelope, context: grpc.aio.ServicerContext) -> pb.Receipt:
        return await self._serve("Supplement", request, context)

    async def ReturnResult(self, request: pb.Envelope, context: grpc.aio.ServicerContext) -> pb.Receipt:
        return await self._serve("ReturnResult", request, context)

    async def Acknowledge(self, request: pb.Envelope, context: grpc.aio.ServicerContext) -> pb.Receipt:
        return await self._serve("Acknowledge", request, context)


class PartnerServer:
    def __init__(self, endpoint: Endpoint, host: str, port: int, cert_pem: bytes, key_pem: bytes) -> None:
        self.endpoint = endpoint
        self._address = f"{host}:{port}"
        self._credentials = grpc.ssl_server_credentials(
            [(key_pem, cert_pem)],
            root_certificates=endpoint.partners.ca_bundle(),
            require_client_auth=True,
        )
        self.server: grpc.aio.Server | None = None
        self.port = 0

    async def start(self) -> int:
        self.server = grpc.aio.server(
            options=[
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
            ]
        )
        partner_pb2_grpc.add_PartnerServiceServicer_to_server(PartnerServicer(self.endpoint), self.server)
        self.port = self.server.add_secure_port(self._address, self._credentials)
        await self.server.start()
        log.info("partner endpoint (mutual TLS) on port %d", self.port)
        return self.port

    async def stop(self) -> None:
        if self.server is not None:
            await self.server.stop(grace=2.0)
