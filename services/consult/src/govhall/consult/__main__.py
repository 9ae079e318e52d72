"""python -m govhall.consult: the consult service in its own process."""

from govhall.consult.app import SPEC
from govhall.consult.settings import ConsultSettings
from govhall.kit.service import run_forever

if __name__ == "__main__":
    run_forever(SPEC, ConsultSettings())
