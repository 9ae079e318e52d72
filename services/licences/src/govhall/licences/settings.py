"""Licences settings: GOVHALL_LICENCES_* variables."""

from pathlib import Path

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
    # Licence PDFs (level A) and holders' scans (level C), stored by content hash (kit.files).
    files_dir: Path | None = Field(
        default=None, description="the volume licence files are stored on; unset: var/licences-files"
    )
    # What a licence's QR code opens: the public verify route (the code is unguessable).
    verify_url_template: str = Field(
        default="http://127.0.0.1:8000/api/v1/licences/verify?code={code}", description="with {code}"
    )
    # A holder's scan travels in one gRPC message (the kit's limit is 16 MiB).
    max_upload_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024, le=15 * 1024 * 1024, description="largest level-C scan"
    )

    def resolved_files_dir(self, var_dir: Path) -> Path:
        return self.files_dir or var_dir / "licences-files"
