"""govhall.kit: the platform plumbing every service imports once (see docs/ARCHITECTURE.md)."""
