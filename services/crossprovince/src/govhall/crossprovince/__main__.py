"""python -m govhall.crossprovince: the service in its own process; with a command, a tool:

python -m govhall.crossprovince devca --out DIR --province 210000 --province 220000
python -m govhall.crossprovince audit-verify [--env FILE]
python -m govhall.crossprovince ping --partner 430000 [--env FILE]
"""

import sys

from govhall.crossprovince.app import SPEC
from govhall.crossprovince.settings import CrossprovinceSettings
from govhall.kit.service import run_forever

if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1:] != ["migrate"]:  # migrate: the kit's (the chart's Job)
        from govhall.crossprovince.cli import main

        sys.exit(main(sys.argv[1:]))
    run_forever(SPEC, CrossprovinceSettings())
