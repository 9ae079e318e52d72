"""Cross-province handling (跨省通办): the partner endpoint, signed messages, the audit log."""
