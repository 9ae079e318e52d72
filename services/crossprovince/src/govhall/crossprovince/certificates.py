"""When the certificates the partner link stands on run out, as a gauge (issue 18's metric
contract): each partner's CA, and this province's own server and client certificates. They are
read at start; a renewed certificate is a restart, which sets the gauge again."""

from __future__ import annotations

from cryptography import x509
from prometheus_client import Gauge

from govhall.crossprovince.partners import Partners

EXPIRY = Gauge(
    "govhall_crossprovince_certificate_expiry_timestamp_seconds",
    "notAfter of a certificate as Unix time (role: partner_ca for a partner's CA, server or client for our own)",
    ["province", "role"],
)


def report_partner_cas(partners: Partners) -> None:
    for partner in partners.by_code.values():
        EXPIRY.labels(partner.code, "partner_ca").set(partner.ca.not_valid_after_utc.timestamp())


def report_own(province: str, role: str, pem: bytes) -> None:
    """``role`` server or client; ``pem`` the certificate (the first of a chain)."""
    cert = x509.load_pem_x509_certificate(pem)
    EXPIRY.labels(province, role).set(cert.not_valid_after_utc.timestamp())
