"""Gateway settings: GOVHALL_GATEWAY_* variables."""

import json
from ipaddress import IPv4Network, IPv6Network, ip_network
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, SecretStr
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict


def _networks(value: Any) -> Any:
    """A JSON list or a comma-separated list of addresses and networks ("10.0.0.0/8,192.0.2.7")."""
    if isinstance(value, str):
        text = value.strip()
        value = json.loads(text) if text.startswith("[") else [v for v in text.split(",") if v.strip()]
    return [ip_network(v.strip(), strict=False) if isinstance(v, str) else v for v in value]


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GOVHALL_GATEWAY_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    # Prometheus /metrics on its own port, apart from the API (unset: none). Loopback only when
    # GOVHALL_METRICS_LOOPBACK is set, as for every service.
    metrics_port: int | None = Field(default=None, ge=1, le=65535)
    # The proxies (addresses or networks) whose X-Forwarded-For names the client: an ingress in
    # front of the gateway. Empty: nobody's, and the socket's peer is the client, for rate limits,
    # logins, SMS and hot words alike (a header anyone can set would let a client be anyone).
    trusted_proxies: Annotated[list[IPv4Network | IPv6Network], NoDecode, BeforeValidator(_networks)] = Field(
        default_factory=list
    )
    # The largest request body other than an upload (uploads: case_upload_max_bytes); bigger is
    # a 413 before it is read.
    max_body_bytes: int = Field(default=1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    # Free-form JSON in a body (a case's form, a matter's form schema): objects and arrays nested
    # at most this deep, and at most this big as compact JSON.
    json_max_depth: int = Field(default=32, ge=2, le=200)
    json_max_bytes: int = Field(default=256 * 1024, ge=1024, le=64 * 1024 * 1024)
    catalogue_address: str = "127.0.0.1:50051"
    search_address: str = "127.0.0.1:50052"
    identity_address: str = "127.0.0.1:50053"
    cases_address: str = "127.0.0.1:50054"
    consult_address: str = "127.0.0.1:50055"
    appointments_address: str = "127.0.0.1:50056"
    licences_address: str = "127.0.0.1:50057"
    # The largest upload passed on to cases (GOVHALL_CASES_MAX_UPLOAD_BYTES): a bigger body is
    # refused here, before it is read whole.
    case_upload_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, le=15 * 1024 * 1024)
    # The largest letter attachment passed on to consult (GOVHALL_CONSULT_MAX_ATTACHMENT_BYTES).
    letter_attachment_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, le=15 * 1024 * 1024)
    # The largest drive file passed on to licences (GOVHALL_LICENCES_DRIVE_MAX_FILE_BYTES): it is
    # streamed in chunks, so it may exceed one gRPC message.
    drive_file_max_bytes: int = Field(default=64 * 1024 * 1024, ge=1024, le=256 * 1024 * 1024)
    # A static platform-administrator token for operators and scripts; staff use their own
    # tokens from identity (a site admin edits their site's catalogue).
    admin_token: SecretStr = Field(default=SecretStr(""), description="empty disables the static admin token")
    # Requests per client address per minute on /api (Redis when GOVHALL_REDIS_URL is set).
    rate_limit_per_minute: int = 1200
    # Prefix of the gateway's Redis keys (rate limits, and the revoked sessions identity writes:
    # it must equal GOVHALL_IDENTITY_KV_NAMESPACE), so deployments sharing one Redis stay apart.
    kv_namespace: str = "govhall"
    # What identity writes into its tokens (GOVHALL_IDENTITY_ISSUER / _AUDIENCE): must match.
    token_issuer: str = "govhall-identity"
    token_audience: str = "govhall"
    # How long the identity service's public keys are cached before they are fetched again.
    jwks_cache_seconds: float = 300.0
    rpc_timeout_seconds: float = 5.0
    # How often the upstreams' health is asked for the govhall_gateway_upstream_up gauge, so it
    # tells even of a service no request has reached lately (0: only requests update it).
    upstream_check_seconds: float = Field(default=15.0, ge=0)
    # Seconds a public search or hot-words answer is reused for the same request (0: never).
    # It is how long a withdrawn matter may still be found after search's index dropped it: the
    # stated staleness bound (responsecache.py). Redis when GOVHALL_REDIS_URL is set (whole seconds).
    response_cache_seconds: float = Field(default=3.0, ge=0, le=60)
    # Seconds an answer is reused while this process hears the catalogue's and search's events
    # (cacheevents.py): they forget the answers a change makes stale, so the lifetime is only the
    # safety net for an event lost (NATS away longer than its consumer lives). 30 s: hot words and
    # guides are asked again and again within it, and a lost event still heals in half a minute.
    # Below response_cache_seconds it is raised to it; 0 keeps response_cache_seconds.
    response_cache_event_seconds: float = Field(default=30.0, ge=0, le=600)
    # Seconds a site lookup is cached (sites change rarely; a new site shows up after this).
    site_cache_seconds: float = 60.0
