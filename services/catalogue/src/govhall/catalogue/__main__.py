"""python -m govhall.catalogue: the catalogue service in its own process."""

from govhall.catalogue.app import SPEC
from govhall.catalogue.settings import CatalogueSettings
from govhall.kit.service import run_forever

if __name__ == "__main__":
    run_forever(SPEC, CatalogueSettings())
