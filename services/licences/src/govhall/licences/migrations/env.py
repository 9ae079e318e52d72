from govhall.kit.migrations import run_env
from govhall.licences.store import metadata

run_env(metadata)
