"""Consult settings: GOVHALL_CONSULT_* variables."""

from pathlib import Path

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
    # 好差评: working days a department has to rectify a bad review, and how often the sweep
    # raises rectification warnings (0: no sweep, as in tests that call it themselves).
    rectification_days: int = 5
    rectification_sweep_seconds: float = 300.0
    # How many error reports (纠错) one reporter may file per day (China time): against spam.
    error_reports_per_day: int = 10
    # Where the development SMS gateway "delivers" texts (JSON lines): the file identity's
    # development adapter writes too; unset: var/dev-sms.jsonl.
    dev_sms_file: Path | None = None
    # How often the SMS sender looks for texts whose claim lapsed or that failed (it is also
    # woken by every message that needs one), and how long a claim lasts before a re-send.
    sms_interval_seconds: float = 5.0
    sms_claim_seconds: float = 60.0
    # Encrypts anonymous letter writers' names and mobiles (kit.fieldcipher); all-in-one mode
    # generates one into var/consult-data.key.
    data_key: SecretStr = Field(default=SecretStr(""), description="base64 of 32 random bytes")
    # How often the letters' clock sweep raises warnings and overdue (seconds; 0 turns the timer off).
    letter_sweep_seconds: float = Field(default=300.0, ge=0, description="0 turns the timer off")
    # Letter attachments (kit.files, the checks case materials get): the volume they are kept on
    # (unset: var/consult-files) and the largest one. Up to three go one by one, each in one gRPC
    # message (the kit takes at most 16 MiB).
    files_dir: Path | None = Field(default=None, description="unset: var/consult-files")
    max_attachment_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024, le=15 * 1024 * 1024, description="largest single attachment"
    )
