"""Search settings: GOVHALL_SEARCH_* variables (the Elasticsearch URL is platform-wide: GOVHALL_ELASTICSEARCH_URL)."""

from pydantic_settings import SettingsConfigDict

from govhall.kit.settings import ServiceSettings


class SearchSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GOVHALL_SEARCH_", extra="ignore")

    # The alias queries go through; the concrete index behind it is <alias>-v<n>.
    index_alias: str = "govhall-matters"
    # Consumer name on the bus; two search deployments sharing a NATS need different ones.
    consumer_name: str = "search-matters"
