"""Gateway settings: GOVHALL_GATEWAY_* variables."""

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GOVHALL_GATEWAY_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    catalogue_address: str = "127.0.0.1:50051"
    search_address: str = "127.0.0.1:50052"
    identity_address: str = "127.0.0.1:50053"
    cases_address: str = "127.0.0.1:50054"
    # The largest upload passed on to cases (GOVHALL_CASES_MAX_UPLOAD_BYTES): a bigger body is
    # refused here, before it is read whole.
    case_upload_max_bytes: int = Field(default=10 * 1024 * 1024, ge=1024, le=15 * 1024 * 1024)
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
    # Seconds a site lookup is cached (sites change rarely; a new site shows up after this).
    site_cache_seconds: float = 60.0
