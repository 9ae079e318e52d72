"""python -m govhall.cases: the cases service in its own process."""

from govhall.cases.app import SPEC
from govhall.cases.settings import CasesSettings
from govhall.kit.service import run_forever

if __name__ == "__main__":
    run_forever(SPEC, CasesSettings())
