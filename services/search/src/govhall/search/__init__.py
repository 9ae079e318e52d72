"""govhall.search: Cross-region search over matters (Elasticsearch, or SQLite FTS5 embedded)."""
