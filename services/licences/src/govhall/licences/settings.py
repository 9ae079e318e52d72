"""Licences settings: GOVHALL_LICENCES_* variables."""

from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from govhall.kit.contents import ContentLimits
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
    # The volume drive files (and licence renderings) are stored on by content hash. Its own
    # directory by default: the blob sweep deletes only what licences once referenced, and a blob
    # on a volume shared with cases is deleted only when no service holds a reference marker.
    files_dir: Path | None = Field(
        default=None, description="where files are stored by hash; unset: var/licences-files"
    )
    # 政务云盘: what one owner (a person or an enterprise) may keep, counted in bytes.
    drive_quota_bytes: int = Field(default=200 * 1024 * 1024, ge=0, description="per owner")
    # A drive file travels in chunks (client/server-streaming gRPC), so it may exceed one gRPC
    # message (16 MiB). The whole file is held in memory once to be content-checked (a PDF is
    # parsed for active content), which bounds it: 64 MiB.
    drive_max_file_bytes: int = Field(
        default=64 * 1024 * 1024, ge=1024, le=256 * 1024 * 1024, description="largest drive file"
    )
    drive_chunk_bytes: int = Field(
        default=1024 * 1024, ge=1024, le=4 * 1024 * 1024, description="download chunk"
    )
    # What a licence's QR code opens: the portal's verification page (the code is unguessable).
    verify_url_template: str = Field(
        default="http://127.0.0.1:8000/verify/licence?code={code}",
        description="the portal page a licence's QR code opens (文书核验 of the reference portal), with {code}",
    )
    # A holder's level-C scan travels in one gRPC message (the kit's limit is 16 MiB).
    max_upload_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024, le=15 * 1024 * 1024, description="largest level-C scan"
    )
    # Blobs nobody references and temporary files left by a crash are removed by a periodic
    # sweep, only once older than the grace period (an upload in flight has put its blob but
    # not yet committed its reference). 0 turns the timer off (tests call the sweep directly).
    blob_sweep_interval_seconds: float = Field(default=3600.0, ge=0, description="0 turns it off")
    blob_grace_seconds: float = Field(default=24 * 3600.0, ge=0, description="age before a blob is swept")
    # 用证授权: how long a holder's grant to a case lives when they do not say, and the longest it
    # may (a grant outliving the case's handling would let staff keep reading the licence).
    grant_default_days: int = Field(default=30, ge=1, le=365)
    grant_max_days: int = Field(default=180, ge=1, le=365)
    # What an upload may unpack to (as cases' GOVHALL_CASES_UPLOAD_*).
    upload_max_archive_entries: int = Field(default=10_000, ge=1)
    upload_max_unpacked_bytes: int = Field(default=256 * 1024 * 1024, ge=1024)
    upload_max_unpacked_ratio: int = Field(default=100, ge=1)
    upload_max_pdf_objects: int = Field(default=500_000, ge=100)

    def content_limits(self) -> ContentLimits:
        return ContentLimits(
            archive_entries=self.upload_max_archive_entries,
            unpacked_bytes=self.upload_max_unpacked_bytes,
            unpacked_ratio=self.upload_max_unpacked_ratio,
            pdf_objects=self.upload_max_pdf_objects,
        )

    def resolved_files_dir(self, var_dir: Path) -> Path:
        return self.files_dir or var_dir / "licences-files"
