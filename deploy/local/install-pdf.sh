#!/usr/bin/env bash
# Install the Debian packages the cases service needs to render notices (办件文书) as PDF with
# WeasyPrint: Pango for text layout, the Noto CJK fonts it embeds, and HarfBuzz's subset library
# (without it WeasyPrint falls back to fontTools, which takes seconds per notice instead of about
# 0.1 s). Idempotent: a second run checks and returns at once.
set -euo pipefail
# shellcheck source=deploy/local/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

install_debs "${PDF_PACKAGES[@]}"
