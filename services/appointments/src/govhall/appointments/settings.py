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

    # At the hall (取号): a booking checks in from this many minutes before its slot's start to
    # this many after it (the 15 and 15).
    check_in_before_minutes: int = Field(default=15, ge=0, le=240)
    check_in_after_minutes: int = Field(default=15, ge=0, le=240)
    # A booking not checked in by the end of its slot plus this grace is a no-show (counted once).
    no_show_grace_minutes: int = Field(default=15, ge=0, le=24 * 60)
    # The second reminder goes this many minutes before the start (the first: the day before).
    reminder_before_minutes: int = Field(default=60, ge=1, le=12 * 60)
    # How often the desk's sweep (no-shows, reminders) runs; 0 turns it off (tests call it).
    desk_sweep_seconds: float = Field(default=60.0, ge=0, description="0 turns the timer off")
