"""python -m govhall.identity: the identity service in its own process."""

from govhall.identity.app import SPEC
from govhall.identity.settings import IdentitySettings
from govhall.kit.service import run_forever

if __name__ == "__main__":
    run_forever(SPEC, IdentitySettings())
