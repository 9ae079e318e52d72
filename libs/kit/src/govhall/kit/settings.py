"""Settings: pydantic-settings read from GOVHALL_* environment variables.

PlatformSettings holds what every process shares (the bus, the caches, where var/ is);
each service subclasses ServiceSettings with its own prefix, GOVHALL_<SERVICE>_.
An unset URL means the embedded back end (all-in-one mode).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from pydantic import Field, SecretStr, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

if TYPE_CHECKING:
    from govhall.kit.kv import KeyValueStore


def _default_var_dir() -> Path:
    return Path.cwd() / "var"


class PlatformSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="GOVHALL_", extra="ignore")

    var_dir: Path = Field(default_factory=_default_var_dir, description="where embedded back ends keep files")
    nats_url: str | None = Field(default=None, description="NATS JetStream; unset means the in-process bus")
    # This process's own NATS user (one per service, with permissions on its own subjects only);
    # unset connects without credentials (a NATS without users, as in some tests' private servers).
    nats_user: str | None = Field(default=None, description="NATS user; unset: no credentials")
    nats_password: SecretStr | None = Field(default=None, description="the NATS user's password")
    redis_url: str | None = Field(
        default=None,
        description="Redis for revoked sessions, lock-outs, rate limits and hot words; "
        "unset means a SQLite file under var/ (kv.db)",
    )
    # Credentials of this process on the shared servers (deploy/local's secrets.env, the chart's
    # Secrets); unset means none (all-in-one, a development server without users).
    redis_username: str | None = Field(default=None, description="Redis ACL user (with redis_password)")
    redis_password: SecretStr | None = None
    elasticsearch_url: str | None = Field(default=None, description="unset means the embedded index")
    elasticsearch_username: str | None = Field(default=None, description="Elasticsearch user (basic auth)")
    elasticsearch_password: SecretStr | None = None
    log_level: str = "INFO"
    # A deployment of several sites shares one NATS; the stream names carry this prefix.
    stream_prefix: str = "GOVHALL"
    # This site instance's JetStream domain (its NATS server's `jetstream { domain }`): JetStream
    # API requests then name it, so another site's server across a leaf-node link never answers
    # them. Unset: the plain `$JS.API` of a server without a domain (all-in-one, deploy/local).
    jetstream_domain: str | None = Field(default=None, description="this site's JetStream domain")
    # Caller assertions (govhall.kit.trust): the public keys of every principal, and this
    # process's own private key. Unset: <trust_dir>/bundle.json and <trust_dir>/<principal>.key,
    # as all-in-one mode and deploy/local make them.
    trust_bundle_file: Path | None = Field(default=None, description="public keys of every principal")
    trust_key_file: Path | None = Field(default=None, description="this process's signing key (a secret)")
    trust_dir: Path | None = Field(default=None, description="unset: <var_dir>/trust")
    # Migrate the database at start (under its lock): `make up`, all-in-one and the tests. The
    # chart runs `python -m govhall.<service> migrate` as a hook Job instead and sets this false:
    # a replica then only checks its database is at its code's heads, waiting for the Job.
    migrate_on_start: bool = Field(default=True, description="migrate at start; false: check only")
    migrate_wait_seconds: float = Field(
        default=300, ge=0, description="with migrate_on_start false: how long to wait for a behind database"
    )

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
    # The database role's password, kept out of the URL (which appears in configs and logs); it
    # replaces any password the URL holds. A SecretStr: never shown in a repr or a log line.
    database_password: SecretStr | None = None
    # Connections kept open to PostgreSQL (as many again may be opened for a burst). One beyond
    # them is opened for a use and closed after it: a backend forked and a password exchange
    # each time, which under a steady load above the pool (cases at 16 submissions at once)
    # was a connect on most requests.
    database_pool_size: int = Field(default=10, ge=1, le=100, description="PostgreSQL connections kept open")
    grpc_address: str = "127.0.0.1:0"
    metrics_port: int | None = Field(default=None, description="Prometheus /metrics port; unset: none")
    # Processes serving this service's port (kit/workers.py): Python runs one core per process,
    # and a service under load (cases submitting) is held by it before its database is.
    workers: int = Field(default=1, ge=1, le=32, description="processes sharing the gRPC port (SO_REUSEPORT)")
    # Upper bound on any one RPC when the caller set no deadline of its own.
    default_deadline_seconds: float = 10.0
    # Upper bound on a streamed RPC (a file sent or read in chunks), which lasts as long as its
    # bytes take over the caller's link: 64 MiB at 2 Mbit/s is about 4.5 minutes.
    stream_deadline_seconds: float = Field(default=600.0, gt=0)
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
        """The URL to connect with, the password included: hand it to the engine, never to a log."""
        if self.database_url:
            if self.database_password is None or self.database_url.startswith("sqlite"):
                return self.database_url
            # Here, not at import: the gateway reads these settings and has no database, and
            # SQLAlchemy would be some MB of its memory (kit/memory.py).
            from sqlalchemy.engine import make_url

            url = make_url(self.database_url).set(password=self.database_password.get_secret_value())
            return url.render_as_string(hide_password=False)
        platform.var_dir.mkdir(parents=True, exist_ok=True)
        return f"sqlite+aiosqlite:///{platform.var_dir / (name + '.db')}"


def platform_kv(platform: PlatformSettings, namespace: str) -> KeyValueStore:
    """The key-value store of this process: Redis with its own ACL user, or the embedded one."""
    from govhall.kit.kv import create_kv

    password = platform.redis_password.get_secret_value() if platform.redis_password else None
    return create_kv(
        platform.redis_url,
        namespace,
        var_dir=platform.var_dir,
        username=platform.redis_username,
        password=password,
    )
