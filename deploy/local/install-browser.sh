#!/usr/bin/env bash
# Install the browser the portal's tests drive: Debian's chromium (Playwright launches it by its
# executable path, GOVHALL_CHROMIUM, default /usr/bin/chromium) and the Noto CJK fonts the
# Chinese pages are drawn with. Idempotent: a second run checks and returns at once.
set -euo pipefail
# shellcheck source=deploy/local/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

install_debs "${BROWSER_PACKAGES[@]}"
