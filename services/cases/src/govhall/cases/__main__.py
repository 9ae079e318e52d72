"""Entry point placeholder: the cases service is not built yet."""

import sys


def main() -> int:
    print("govhall.cases: not built yet", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
