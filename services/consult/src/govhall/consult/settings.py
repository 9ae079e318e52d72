"""Consult settings: GOVHALL_CONSULT_* variables."""

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from govhall.kit.settings import ServiceSettings


class ConsultSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GOVHALL_CONSULT_", extra="ignore")

    # Matters' current names and states (favourites), sites (routing letters).
    catalogue_address: str = "127.0.0.1:50051"
    # Mobiles, read when an SMS is sent and never kept here.
    identity_address: str = "127.0.0.1:50053"
    # How many matters one user may keep (a bound on a list shown whole, page by page).
    max_favourites: int = 500
    # Encrypts anonymous letter writers' names and mobiles (kit.fieldcipher); all-in-one mode
    # generates one into var/consult-data.key.
    data_key: SecretStr = Field(default=SecretStr(""), description="base64 of 32 random bytes")
    # How often the letters' clock sweep raises warnings and overdue (seconds; 0 turns the timer off).
    letter_sweep_seconds: float = Field(default=300.0, ge=0, description="0 turns the timer off")
