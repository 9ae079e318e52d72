"""Identity settings: GOVHALL_IDENTITY_* variables."""

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from govhall.kit.settings import ServiceSettings


class IdentitySettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GOVHALL_IDENTITY_", extra="ignore")

    # 32 bytes, base64: encrypts ID numbers, mobiles and signing keys at rest (AES-GCM) and keys
    # the blind indexes that find them. Unset: a key generated once into var/identity-data.key
    # (all-in-one mode only; a deployment sets it from a secret).
    data_key: SecretStr = Field(default=SecretStr(""), description="base64 of 32 random bytes")
    issuer: str = "govhall-identity"
    audience: str = "govhall"
    access_token_seconds: int = 900
    # A new signing key signs only after this long in the JWKS: longer than the gateway waits
    # between JWKS fetches (10 s), so no gateway meets a token signed by a key it cannot know.
    signing_key_activation_seconds: float = 15.0
    refresh_token_seconds: int = 14 * 24 * 3600
    # argon2id cost (RFC 9106's second recommended option: 64 MiB, 3 passes).
    argon2_time_cost: int = 3
    argon2_memory_kib: int = 65536
    argon2_parallelism: int = 1
    # Hashes computed at once: each takes argon2_memory_kib, so this bounds the memory a login
    # burst can take (4 x 64 MiB by default); the rest queue.
    argon2_max_concurrent: int = 4
    # Password logins one client address may attempt per minute (offices share addresses behind
    # NAT, so generous; it stops one client from taking all the hashing CPU).
    logins_per_client_per_minute: int = 60
    sms_code_seconds: int = 300
    sms_resend_seconds: int = 60
    sms_per_mobile_per_day: int = 10
    sms_per_client_per_hour: int = 30
    # Wrong guesses one SMS code survives before it is void.
    sms_code_attempts: int = 5
    # Wrong passwords, counted per account and client address (lockout.py): this many from one
    # client lock that client out of that account for the window; other clients still sign in.
    login_max_failures: int = 5
    login_failure_window_seconds: int = 900
    # Before that, after this many failures each further try from that client waits
    # login_delay_seconds, doubling each time (0: no waiting).
    login_free_failures: int = 2
    login_delay_seconds: int = 2
    # Failures from all clients together that lock the account for everyone (an attack spread over
    # many addresses); the user gets back in by SMS (citizens) or a site administrator (staff).
    login_account_max_failures: int = 20
    # Failures from one client over all accounts (one password tried on many accounts).
    login_client_max_failures: int = 100
    # Where the development SMS gateway "delivers" messages (JSON lines); unset: var/dev-sms.jsonl.
    dev_sms_file: Path | None = None
    # Prefix of the Redis keys (login failures, SMS limits, revoked sessions): must match the gateway's.
    kv_namespace: str = "govhall"
