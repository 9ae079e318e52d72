"""Appointments settings: GOVHALL_APPOINTMENTS_* variables."""

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from govhall.kit.settings import ServiceSettings


class AppointmentsSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GOVHALL_APPOINTMENTS_", extra="ignore")

    # Matters (names, the guide's appointment flag, situations) and the site tree.
    catalogue_address: str = "127.0.0.1:50051"
    # The booker's contact details, prefilled (the mobile masked).
    identity_address: str = "127.0.0.1:50053"
    # Encrypts a booking's contact name and mobile (kit.fieldcipher); all-in-one mode generates
    # one into var/appointments-data.key.
    data_key: SecretStr = Field(default=SecretStr(""), description="base64 of 32 random bytes")
    # How far ahead slots exist and can be listed (days, today included).
    horizon_days: int = Field(default=14, ge=1, le=90)
    # How often the horizon's slots are made (seconds; they are also made at start and right
    # after a timetable change). 0: never periodically (tests call make() themselves).
    slot_making_seconds: float = Field(default=3600.0, ge=0)
