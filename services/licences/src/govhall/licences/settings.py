"""Licences settings: GOVHALL_LICENCES_* variables."""

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from govhall.kit.settings import ServiceSettings


class LicencesSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GOVHALL_LICENCES_", extra="ignore")

    # Matters and departments (issuers) and the site tree.
    catalogue_address: str = "127.0.0.1:50051"
    # Holders' names and agents (an enterprise's agent acts with a licences scope).
    identity_address: str = "127.0.0.1:50053"
    # A concluded case's holder and form (level-A issuance), and which case a grant is for.
    cases_address: str = "127.0.0.1:50054"
    # Encrypts holders' ID and credit codes (kit.fieldcipher); all-in-one mode generates one into
    # var/licences-data.key.
    data_key: SecretStr = Field(default=SecretStr(""), description="base64 of 32 random bytes")
    # Verification reads each issuer's status lists through a cache this long: a revocation made
    # on another replica shows within it (the writing replica drops its copy at once).
    status_cache_seconds: float = Field(default=2.0, ge=0)
    # How often the expiry sweep announces licences past their date (event `expired`); 0 turns
    # the timer off (tests sweep themselves).
    expiry_sweep_seconds: float = Field(default=3600.0, ge=0, description="0 turns the timer off")
