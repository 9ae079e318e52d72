"""Catalogue settings: GOVHALL_CATALOGUE_* variables."""

from pydantic_settings import SettingsConfigDict

from govhall.kit.settings import ServiceSettings


class CatalogueSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GOVHALL_CATALOGUE_", extra="ignore")
