"""Settings: pydantic-settings read from GOVHALL_* environment variables.

PlatformSettings holds what every process shares (the bus, the caches, where var/ is);
each service subclasses ServiceSettings with its own prefix, GOVHALL_<SERVICE>_.
An unset URL means the embedded back end (all-in-one mode).
"""

from __future__ import annotations

from pathlib import Path

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


def _default_var_dir() -> Path:
    return Path.cwd() / "var"


class PlatformSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GOVHALL_", extra="ignore")

    var_dir: Path = Field(default_factory=_default_var_dir, description="where embedded back ends keep files")
    nats_url: str | None = Field(default=None, description="NATS JetStream; unset means the in-process bus")
    redis_url: str | None = Field(
        default=None,
        description="Redis for revoked sessions, lock-outs, rate limits and hot words; "
        "unset means a SQLite file under var/ (kv.db)",
    )
    elasticsearch_url: str | None = Field(default=None, description="unset means the embedded index")
    log_level: str = "INFO"
    # A deployment of several sites shares one NATS; the stream names carry this prefix.
    stream_prefix: str = "GOVHALL"
    # Caller assertions (govhall.kit.trust): the public keys of every principal, and this
    # process's own private key. Unset: <trust_dir>/bundle.json and <trust_dir>/<principal>.key,
    # as all-in-one mode and deploy/local make them.
    trust_bundle_file: Path | None = Field(default=None, description="public keys of every principal")
    trust_key_file: Path | None = Field(default=None, description="this process's signing key (a secret)")
    trust_dir: Path | None = Field(default=None, description="unset: <var_dir>/trust")

    def trust_directory(self) -> Path:
        return self.trust_dir or self.var_dir / "trust"

    def trust_files(self, principal: str) -> tuple[Path, Path]:
        """(the bundle, ``principal``'s key file): the files set, or those in the trust directory.
        A key file set for another principal is refused when it is read (`trust.Signer`)."""
        directory = self.trust_directory()
        return (
            self.trust_bundle_file or directory / "bundle.json",
            self.trust_key_file or directory / f"{principal}.key",
        )


class ServiceSettings(BaseSettings):
    """Base of each service's settings; subclasses set env_prefix to GOVHALL_<SERVICE>_."""

    model_config = SettingsConfigDict(extra="ignore")

    database_url: str | None = Field(default=None, description="unset means SQLite under var/")
    grpc_address: str = "127.0.0.1:0"
    metrics_port: int | None = Field(default=None, description="Prometheus /metrics port; unset: none")
    # Upper bound on any one RPC when the caller set no deadline of its own.
    default_deadline_seconds: float = 10.0
    # The prefix of the shared key-value store's keys: every service reads the sessions identity
    # revokes under it, so all of a deployment's services (and its gateway) must agree on it.
    kv_namespace: str = "govhall"

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, value: str | None) -> str | None:
        if value and value.startswith("postgresql://"):
            return "postgresql+asyncpg://" + value.removeprefix("postgresql://")
        return value

    def resolved_database_url(self, platform: PlatformSettings, name: str) -> str:
        if self.database_url:
            return self.database_url
        platform.var_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{platform.var_dir / (name + '.db')}"
