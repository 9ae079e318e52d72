"""Catalogue settings: GOVHALL_CATALOGUE_* variables."""

from pydantic import Field, field_validator
from pydantic_settings import SettingsConfigDict

from govhall.kit.settings import ServiceSettings

DEFAULT_GUIDE_URL_TEMPLATE = "http://127.0.0.1:8000/guide/{site_code}/{code}"


class CatalogueSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GOVHALL_CATALOGUE_", extra="ignore")

    guide_url_template: str = Field(
        default=DEFAULT_GUIDE_URL_TEMPLATE,
        description="the portal's guide page, with {site_code} and {code}: what a guide's QR code opens",
    )

    @field_validator("guide_url_template")
    @classmethod
    def _fills(cls, value: str) -> str:
        # Refuse a template with other placeholders at start-up rather than on the first QR request.
        try:
            value.format(site_code="420000", code="X")
        except (KeyError, IndexError, ValueError) as exc:
            raise ValueError(f"guide_url_template may use only {{site_code}} and {{code}}: {exc}") from exc
        return value
