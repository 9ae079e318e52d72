"""Search settings: GOVHALL_SEARCH_* variables (the Elasticsearch URL is platform-wide: GOVHALL_ELASTICSEARCH_URL)."""

from pydantic_settings import SettingsConfigDict

from govhall.kit.kv import DEFAULT_NAMESPACE
from govhall.kit.settings import ServiceSettings


class SearchSettings(ServiceSettings):
    model_config = SettingsConfigDict(env_prefix="GOVHALL_SEARCH_", extra="ignore")

    # The alias queries go through; the concrete indices behind it are <alias>-000001, -000002, …
    # (one per full reindex), and <alias>-next names the one a reindex is building.
    index_alias: str = "govhall-search"
    # Replicas of each index once it serves queries (a single-node cluster wants 0).
    index_replicas: int = 0
    # Consumer name on the bus; two search deployments sharing a NATS need different ones.
    consumer_name: str = "search-index"
    # The catalogue, whose export stream a full reindex reads.
    catalogue_address: str = "127.0.0.1:50051"
    # The prefix of search's keys (hot words) in the key-value store, shared with the gateway's.
    kv_namespace: str = DEFAULT_NAMESPACE
    # Hot words count the searches of this many recent days.
    hot_words_days: int = 7
    # How stale a site's lexicon may be on a replica that did not make the change (seconds): the
    # site's newest change id is checked at most this often.
    lexicon_refresh_seconds: float = 3.0
    # Load jieba's dictionary (about a second and ~100 MB) before serving, so the first query does
    # not pay for it. The all-in-one turns it off: it starts in seconds and idles small, and its
    # first search loads the dictionary instead.
    segmenter_at_start: bool = True
