"""Calling a partner: a mutual-TLS channel trusting only THAT partner's CA, and `send`, which
returns the partner's receipt once its signature, message id and request hash are checked."""

from __future__ import annotations

import grpc

from govhall.crossprovince.envelope import verify_receipt
from govhall.crossprovince.partners import Partner
from govhall.crossprovince.server import MAX_MESSAGE_BYTES
from govhall.protos.crossprovince.v1 import partner_pb2 as pb
from govhall.protos.crossprovince.v1 import partner_pb2_grpc


class PartnerClient:
    def __init__(self, partner: Partner, client_cert_pem: bytes, client_key_pem: bytes) -> None:
        self.partner = partner
        credentials = grpc.ssl_channel_credentials(
            root_certificates=partner.ca_pem, private_key=client_key_pem, certificate_chain=client_cert_pem
        )
        self.channel = grpc.aio.secure_channel(
            partner.endpoint,
            credentials,
            options=[
                ("grpc.max_receive_message_length", MAX_MESSAGE_BYTES),
                ("grpc.max_send_message_length", MAX_MESSAGE_BYTES),
                # A partner back after an outage is reached on the sender's next try, not after
                # gRPC's own reconnect backoff (up to two minutes by default) has run out.
                ("grpc.initial_reconnect_backoff_ms", 200),
                ("grpc.min_reconnect_backoff_ms", 200),
                ("grpc.max_reconnect_backoff_ms", 5000),
            ],
        )
        self.stub = partner_pb2_grpc.PartnerServiceStub(self.channel)

    async def send(self, envelope: pb.Envelope, timeout: float = 30.0) -> pb.Receipt:  # noqa: ASYNC109 - the gRPC deadline
        """The partner's receipt for ``envelope``, verified (EnvelopeInvalid if it is not a
        receipt for this message signed by the partner); grpc errors as raised."""
        if envelope.receiver != self.partner.code:
            raise ValueError(
                f"the envelope is for {envelope.receiver}, this client reaches {self.partner.code}"
            )
        receipt: pb.Receipt = await getattr(self.stub, envelope.kind)(envelope, timeout=timeout)
        verify_receipt(receipt, envelope, self.partner.signing_keys)
        return receipt

    async def close(self) -> None:
        await self.channel.close()
