"""Crossprovince settings: GOVHALL_CROSSPROVINCE_* variables."""

from pathlib import Path

from pydantic import Field
from pydantic_settings import SettingsConfigDict

from govhall.kit.settings import ServiceSettings


class CrossprovinceSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GOVHALL_CROSSPROVINCE_", extra="ignore")

    # This instance's province (the 6-digit code its certificates and envelopes name).
    province_code: str = Field(default="210000", pattern=r"^\d{6}$")
    # The partner endpoint: its own port, mutual TLS, reached by partner provinces only (the
    # chart's NetworkPolicy lets only the partner ingress in). 0: any free port (tests).
    partner_host: str = "0.0.0.0"
    partner_port: int = Field(default=50059, ge=0, le=65535)
    # Its server certificate and key (PEM), issued by this province's CA; its client
    # certificate and key for calling partners (CN = province code). Unset: no partner endpoint
    # is started and nothing can be sent (logged at start): an instance without certificates
    # still serves health, as `make up` and the e2e cluster run it without a partner.
    tls_cert_file: Path | None = None
    tls_key_file: Path | None = None
    client_cert_file: Path | None = None
    client_key_file: Path | None = None
    # The province's Ed25519 signing key (PKCS#8 PEM) and the id partners know it by.
    signing_key_file: Path | None = None
    signing_key_id: str = ""
    # The partners (code, name, endpoint, CA, signing keys, groups, revoked serials) and the
    # matters this province offers for 通办 (partners.py describes both files).
    partners_file: Path | None = None
    offered_matters_file: Path | None = None
    # An envelope whose sent_at is further than this from our clock is refused (a replay of an
    # old message under a new id, or a sender whose clock is wrong).
    max_clock_skew_seconds: float = Field(default=600.0, gt=0)
    # The guides ListMatters returns.
    catalogue_address: str = "127.0.0.1:50051"
    # Cases keeps the handovers (receiving side) and the cross-province cases (home side).
    cases_address: str = "127.0.0.1:50054"
    # Licences: the level-A licence a concluded cross-province case was issued, returned with
    # its result (CaseLicencesService).
    licences_address: str = "127.0.0.1:50057"
    # The sender loop: a message not receipted is sent again after retry_initial_seconds,
    # doubling up to retry_max_seconds (a partner down for hours is tried every few minutes,
    # not hammered); due messages are looked for every poll_seconds (a new one wakes it at once).
    send_poll_seconds: float = Field(default=1.0, gt=0)
    send_retry_initial_seconds: float = Field(default=2.0, gt=0)
    send_retry_max_seconds: float = Field(default=300.0, gt=0)
    send_timeout_seconds: float = Field(default=30.0, gt=0)
    # A message not receipted after this long counts as overdue: the gauge
    # govhall_crossprovince_unreceipted_overdue and its alert tell the supervisor.
    overdue_after_seconds: float = Field(default=3600.0, gt=0)
