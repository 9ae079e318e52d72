"""Cases settings: GOVHALL_CASES_* variables."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr
from pydantic_settings import SettingsConfigDict

from govhall.kit.contents import ContentLimits
from govhall.kit.settings import ServiceSettings


class CasesSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GOVHALL_CASES_", extra="ignore")

    # Every applicant's call holds a connection for its transaction: a portal's submissions run
    # more at once than the kit's 10, and each one past the pool was a new PostgreSQL backend.
    database_pool_size: int = Field(default=20, ge=1, le=100, description="PostgreSQL connections kept open")
    catalogue_address: str = Field(default="127.0.0.1:50051", description="where matters are read from")
    # WeasyPrint is imported in the background at start so the first notice is not slow. The
    # all-in-one turns it off and warms it once it serves: in one process the import (1-2 s of
    # CPU under the GIL) slowed every other service's start.
    pdf_warm_up_at_start: bool = Field(default=True, description="import the PDF renderer at start")
    identity_address: str = Field(default="127.0.0.1:50053", description="agent checks and mailing addresses")
    # A material picked from the applicant's cloud drive (云盘选择) is asked of licences.
    licences_address: str = Field(default="127.0.0.1:50057", description="the cloud drive (licences)")
    # 32 bytes, base64: encrypts the ID and mobile numbers inside application forms at rest
    # (AES-GCM). Unset: a key generated once into var/cases-data.key (all-in-one mode only; a
    # deployment sets it from a secret, and keeps it: numbers stored under a lost key are lost).
    data_key: SecretStr = Field(default=SecretStr(""), description="base64 of 32 random bytes")
    files_dir: Path | None = Field(
        default=None,
        description="the volume uploaded materials and notices are stored on; unset: var/cases-files",
    )
    # An upload travels in one gRPC message, and the kit's servers and channels take at most 16 MiB.
    max_upload_bytes: int = Field(
        default=10 * 1024 * 1024, ge=1024, le=15 * 1024 * 1024, description="largest single upload"
    )
    max_files_per_material: int = Field(default=10, ge=1)
    # What an upload may unpack to: an OFD is a ZIP package, read from its central directory.
    upload_max_archive_entries: int = Field(default=10_000, ge=1, description="entries in an OFD package")
    upload_max_unpacked_bytes: int = Field(
        default=256 * 1024 * 1024, ge=1024, description="total unpacked size of an OFD package"
    )
    upload_max_unpacked_ratio: int = Field(
        default=100, ge=1, description="unpacked size of an OFD package over its file size"
    )
    upload_max_pdf_objects: int = Field(
        default=500_000, ge=100, description="PDF dictionaries and arrays looked through for active content"
    )
    # Reads by a legal person's agent trust identity's last "yes" this long (revocations drop it).
    agent_cache_seconds: float = Field(
        default=10.0, ge=0, description="how long a read trusts identity's yes to an agent; 0: ask every time"
    )
    agent_cache_size: int = Field(default=10_000, ge=1, description="cached CheckAgent answers per process")
    # CreateDraft keeps the catalogue's answer for a matter this long (matters.py): a withdrawal
    # or a new version reaches new drafts within it; every draft asked the catalogue before.
    matter_cache_seconds: float = Field(
        default=2.0,
        ge=0,
        le=60,
        description="how long CreateDraft reuses a GetMatter answer; 0: ask every time",
    )
    matter_cache_size: int = Field(default=10_000, ge=1, description="matters kept per process")
    # The clock sweep: overdue supplements become 退件, cases entering 黄牌/红牌 raise events.
    sweep_interval_seconds: float = Field(default=300.0, ge=0, description="0 turns the timer off")
    # What a notice's QR code opens: the portal's verification page.
    verify_url_template: str = Field(
        default="http://127.0.0.1:8000/verify/notice/{document_id}?code={code}",
        description="with {document_id} and {code}",
    )
    # Consumer name on the bus (site tree copy). Not cases-sites any more: that durable filtered
    # the unkeyed catalogue.site.upserted, and a durable's filter cannot change in place.
    consumer_name: str = "cases-site-copy"
    # 好差评: consult's evaluations move a case 待评价 -> 已办结 (durable consumer); a case nobody
    # rated within the period (working days after its conclusion) is moved by the clock sweep.
    evaluation_consumer_name: str = "cases-evaluations"
    evaluation_period_days: int = Field(default=15, ge=1, le=365, description="working days to rate a case")
    # The directory of site-maintained holiday tables (YYYY.json), loaded into the calendar.
    holiday_tables_dir: Path | None = None
    # Real-name level (identity.v1.RealNameLevel: 2 real name, 3 high) an applicant needs before
    # applying. The catalogue's matters carry no such field yet, so a matter that asks for more
    # is named here: GOVHALL_CASES_MATTER_REAL_NAME_LEVELS='{"420502-GAJ-0001": 3}'.
    min_real_name_level: int = Field(default=2, ge=1, le=3, description="for every matter")
    matter_real_name_levels: dict[str, Annotated[int, Field(ge=1, le=3)]] = Field(
        default_factory=dict, description="matter code -> the level that matter needs"
    )

    def real_name_level(self, matter_code: str) -> int:
        return self.matter_real_name_levels.get(matter_code, self.min_real_name_level)

    def content_limits(self) -> ContentLimits:
        return ContentLimits(
            archive_entries=self.upload_max_archive_entries,
            unpacked_bytes=self.upload_max_unpacked_bytes,
            unpacked_ratio=self.upload_max_unpacked_ratio,
            pdf_objects=self.upload_max_pdf_objects,
        )

    def resolved_files_dir(self, var_dir: Path) -> Path:
        return self.files_dir or var_dir / "cases-files"
