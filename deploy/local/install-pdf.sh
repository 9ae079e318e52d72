#!/usr/bin/env bash
# Install the Debian packages the cases service needs to render notices (办件文书) as PDF with
# WeasyPrint: Pango for text layout, the Noto CJK fonts it embeds, and HarfBuzz's subset library
# (without it WeasyPrint falls back to fontTools, which takes seconds per notice instead of about
# 0.1 s). Idempotent: a second run checks and returns at once.
set -euo pipefail
# shellcheck source=deploy/local/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/lib.sh"

deb_installed() {
  [ "$(dpkg-query -W -f='${db:Status-Status}' "$1" 2>/dev/null || true)" = "installed" ]
}

wanted=(fonts-noto-cjk libpango-1.0-0 libpangoft2-1.0-0 libharfbuzz-subset0)

missing=()
for p in "${wanted[@]}"; do deb_installed "$p" || missing+=("$p"); done
if [ ${#missing[@]} -eq 0 ]; then
  say "PDF packages present: ${wanted[*]}"
  exit 0
fi

say "installing Debian packages for PDF rendering: ${missing[*]}"
SUDO=()
if ! is_root; then
  command -v sudo >/dev/null || die "need root (or sudo) to install: ${missing[*]}"
  SUDO=(sudo)
fi
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get update -qq
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
# A new font is found by fontconfig once its cache knows it (the package's trigger usually does this).
if [[ " ${missing[*]} " == *" fonts-noto-cjk "* ]] && command -v fc-cache >/dev/null; then
  "${SUDO[@]}" fc-cache -s >/dev/null 2>&1 || true
fi
say "PDF packages installed: ${missing[*]}"
