"""python -m govhall.licences: the licences service in its own process."""

from govhall.kit.service import run_forever
from govhall.licences.app import SPEC
from govhall.licences.settings import LicencesSettings

if __name__ == "__main__":
    run_forever(SPEC, LicencesSettings())
