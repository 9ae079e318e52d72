"""govhall.allinone: the whole platform in one process (make run)."""
