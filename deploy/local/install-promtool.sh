#!/usr/bin/env bash
# Provide promtool (the rule checker and unit-test runner of Prometheus) without installing or
# running a Prometheus server: Debian bookworm's `prometheus` package ships it, so the package is
# downloaded (apt-get download: no dpkg, no service started) and only usr/bin/promtool is taken
# out of it, into $GOVHALL_CACHE/bin next to helm. Idempotent: when a working promtool is there
# (or on PATH) nothing is downloaded. Progress goes to stderr; the only line on stdout is the
# path of promtool, so callers can do `promtool=$(deploy/local/install-promtool.sh)`.
set -euo pipefail

: "${GOVHALL_CACHE:=${XDG_CACHE_HOME:-${HOME:-/tmp}/.cache}/govhall}"
BIN="$GOVHALL_CACHE/bin"
PROMTOOL="$BIN/promtool"

log() { printf 'install-promtool: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

works() { [ -x "$1" ] && "$1" --version >/dev/null 2>&1; }

if works "$PROMTOOL"; then
  echo "$PROMTOOL"
  exit 0
fi
if on_path="$(command -v promtool 2>/dev/null)" && works "$on_path"; then
  echo "$on_path"
  exit 0
fi

mkdir -p "$BIN"
# Serialise concurrent runs (parallel test sessions, install.sh) on the shared cache.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$BIN/.promtool-install.lock"
  flock 9
  if works "$PROMTOOL"; then
    echo "$PROMTOOL"
    exit 0
  fi
fi

command -v apt-get >/dev/null || die "apt-get is required (promtool comes from Debian's prometheus package); or put a promtool on PATH"
tmp="$(mktemp -d "$BIN/.promtool.XXXXXX")"
trap 'rm -rf "$tmp"' EXIT
# apt's download sandbox user must be able to write the directory.
chmod 0777 "$tmp"

download() { (cd "$tmp" && apt-get download -qq prometheus 2>"$tmp/apt.err" >&2); }
if ! download; then
  # A fresh machine may have no package lists yet: only root (or password-less sudo) can fetch them.
  sudo=()
  if [ "$(id -u)" -ne 0 ]; then
    command -v sudo >/dev/null && sudo -n true 2>/dev/null \
      || { cat "$tmp/apt.err" >&2; die "apt-get download prometheus failed and updating the package lists needs root: run 'sudo apt-get update', then try again"; }
    sudo=(sudo -n)
  fi
  log "apt-get download prometheus failed; updating the package lists and retrying"
  "${sudo[@]}" apt-get update -qq >&2 || die "apt-get update failed"
  download || { cat "$tmp/apt.err" >&2; die "apt-get download prometheus failed"; }
fi
deb="$(find "$tmp" -maxdepth 1 -name 'prometheus_*.deb' | head -n 1)"
[ -n "$deb" ] || die "apt-get download reported success but left no prometheus_*.deb"
log "extracting usr/bin/promtool from $(basename "$deb")"
dpkg-deb --fsys-tarfile "$deb" | tar -x -C "$tmp" ./usr/bin/promtool \
  || die "$(basename "$deb") holds no usr/bin/promtool"
works "$tmp/usr/bin/promtool" || die "the extracted promtool does not run"
mv -f "$tmp/usr/bin/promtool" "$PROMTOOL"
log "$("$PROMTOOL" --version 2>&1 | head -n 1) installed in $BIN"
echo "$PROMTOOL"
