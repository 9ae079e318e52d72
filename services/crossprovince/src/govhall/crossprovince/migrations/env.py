from govhall.crossprovince.store import metadata
from govhall.kit.migrations import run_env

run_env(metadata)
