"""Gateway settings: GOVHALL_GATEWAY_* variables."""

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict


class GatewaySettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GOVHALL_GATEWAY_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8000
    catalogue_address: str = "127.0.0.1:50051"
    search_address: str = "127.0.0.1:50052"
    # The static admin token guarding the write paths until identity issues real tokens.
    admin_token: SecretStr = Field(default=SecretStr(""), description="empty disables the admin API")
    # Requests per client address per minute on /api (Redis when GOVHALL_REDIS_URL is set).
    rate_limit_per_minute: int = 1200
    # Prefix of the limiter's Redis keys, so deployments sharing one Redis count separately.
    rate_limit_namespace: str = "govhall"
    rpc_timeout_seconds: float = 5.0
    # Seconds a site lookup is cached (sites change rarely; a new site shows up after this).
    site_cache_seconds: float = 60.0
