"""python -m govhall.search: the search service in its own process."""

from govhall.kit.service import run_forever
from govhall.search.app import SPEC
from govhall.search.settings import SearchSettings

if __name__ == "__main__":
    run_forever(SPEC, SearchSettings())
