"""govhall.kit: the platform plumbing every service imports once (see ../shared/DESIGN.md)."""
