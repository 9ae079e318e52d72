from govhall.kit.migrations import run_env
from govhall.search.store import metadata

run_env(metadata)
