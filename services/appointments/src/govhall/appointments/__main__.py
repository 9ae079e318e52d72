"""Entry point placeholder: the appointments service is not built yet."""

import sys


def main() -> int:
    print("govhall.appointments: not built yet", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
