#!/usr/bin/env bash
# `make image`: build the one govhall image (deploy/image/Containerfile) on a machine where no
# container registry is reachable. buildah and mmdebstrap come from Debian's packages; the base
# image is a bookworm root filesystem with python3 made by mmdebstrap from the machine's own apt
# sources (cached, so a second build skips it) and imported into buildah's store; the same
# Containerfile that docker or podman build on the official Python image then runs on it.
#
#   build.sh            build localhost/govhall:<chart appVersion> (and :latest)
#
# Environment: GOVHALL_IMAGE (the name:tag to build), GOVHALL_IMAGE_CA_BUNDLE (CA certificates
# for PyPI; default the machine's), GOVHALL_IMAGE_APT_SOURCES (the apt sources
# the base is made from; default the machine's own), GOVHALL_IMAGE_BASE (an existing base image to
# build on instead, e.g. docker.io/library/python:3.11-slim-bookworm where a registry is reachable),
# GOVHALL_IMAGE_REBUILD=1 (build even when the image was built from the same sources).
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=deploy/image/common.sh
. "$here/common.sh"

started=$SECONDS
install_debs buildah mmdebstrap

# The base root filesystem: Debian bookworm, minbase, python3 and what apt needs to install more
# in the Containerfile. Documentation, manuals and translations are left out of every package
# installed into it, now and in the Containerfile's apt-get (dpkg's path-exclude is kept in the
# root filesystem).
BASE_PACKAGES=(python3 ca-certificates debian-archive-keyring)
MMDEBSTRAP_OPTS=(
  --variant=minbase
  --aptopt='APT::Install-Recommends "false"'
  --dpkgopt='path-exclude=/usr/share/doc/*'
  --dpkgopt='path-include=/usr/share/doc/*/copyright'
  --dpkgopt='path-exclude=/usr/share/man/*'
  --dpkgopt='path-exclude=/usr/share/info/*'
  --dpkgopt='path-exclude=/usr/share/locale/*'
  --dpkgopt='path-exclude=/usr/share/lintian/*'
  --skip=output/dev
)

apt_sources() {
  local f
  if [ -n "${GOVHALL_IMAGE_APT_SOURCES:-}" ]; then
    [ -r "$GOVHALL_IMAGE_APT_SOURCES" ] || die "GOVHALL_IMAGE_APT_SOURCES=$GOVHALL_IMAGE_APT_SOURCES is not readable"
    cat "$GOVHALL_IMAGE_APT_SOURCES"
    return
  fi
  # The machine's own (deb822 or one-line) sources: the archive this machine can reach.
  for f in /etc/apt/sources.list.d/*.sources /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
    [ -s "$f" ] && grep -qvE '^\s*(#|$)' "$f" && cat "$f" && return
  done
  die "no apt sources found on this machine; name a sources file in GOVHALL_IMAGE_APT_SOURCES"
}

base_image() {
  local sources key tar
  sources="$(apt_sources)"
  # A new package list or new sources make a new base (and leave the old tarball to clean up).
  key="$(printf '%s\n' "$sources" "${BASE_PACKAGES[*]}" "${MMDEBSTRAP_OPTS[*]}" | sha256sum | cut -c1-12)"
  GOVHALL_IMAGE_BASE="localhost/govhall-base:bookworm-$key"
  if "${BUILDAH[@]}" inspect --type image "$GOVHALL_IMAGE_BASE" >/dev/null 2>&1; then
    say "base image present: $GOVHALL_IMAGE_BASE"
    return
  fi
  mkdir -p "$GOVHALL_IMAGE_CACHE"
  tar="$GOVHALL_IMAGE_CACHE/bookworm-python3-$key.tar"
  if [ ! -s "$tar" ]; then
    say "making the bookworm base root filesystem with mmdebstrap (a few minutes, once): $tar"
    # With sources on standard input mmdebstrap uses those, not a mirror named here.
    # --format: the name of the partial file would otherwise make mmdebstrap write a directory.
    printf '%s\n' "$sources" | mmdebstrap --quiet --format=tar "${MMDEBSTRAP_OPTS[@]}" \
      --include="$(IFS=,; echo "${BASE_PACKAGES[*]}")" bookworm "$tar.part" -
    mv "$tar.part" "$tar"
  fi
  say "importing $tar as $GOVHALL_IMAGE_BASE"
  local ctr
  ctr="$("${BUILDAH[@]}" from --quiet scratch)"
  "${BUILDAH[@]}" add --quiet "$ctr" "$tar" / >/dev/null
  "${BUILDAH[@]}" config --env PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin \
    --env LANG=C.UTF-8 --cmd '["python3"]' "$ctr"
  "${BUILDAH[@]}" commit --quiet --rm "$ctr" "$GOVHALL_IMAGE_BASE" >/dev/null
}

# What the image is made of: the files the build context keeps (.dockerignore), the
# Containerfile and the base. An image already labelled with the same digest is kept as it is:
# even a build whose every step is cached copies whole layers on vfs (two minutes here).
source_digest() {
  (
    cd "$GOVHALL_ROOT"
    find pyproject.toml uv.lock libs services apps deploy/image/Containerfile .dockerignore -type f \
      ! -path '*/tests/*' ! -path '*/__pycache__/*' ! -name '*.pyc' ! -path '*/.*_cache/*' -print0 |
      LC_ALL=C sort -z | xargs -0 sha256sum
    printf '%s\n' "$GOVHALL_IMAGE_BASE"
  ) | sha256sum | cut -c1-16
}

[ -n "${GOVHALL_IMAGE_BASE:-}" ] || base_image
digest="$(source_digest)"
built="$("${BUILDAH[@]}" inspect --type image --format '{{index .OCIv1.Config.Labels "govhall.source-digest"}}' \
  "$GOVHALL_IMAGE" 2>/dev/null || true)"
if [ "$built" = "$digest" ] && [ "${GOVHALL_IMAGE_REBUILD:-0}" != 1 ]; then
  say "$GOVHALL_IMAGE is up to date (sources $digest; GOVHALL_IMAGE_REBUILD=1 builds anyway); size $(image_size "$GOVHALL_IMAGE")"
  exit 0
fi
say "building $GOVHALL_IMAGE on $GOVHALL_IMAGE_BASE"
# The machine's CA bundle goes in as a build secret: PyPI may be reached through a proxy whose
# CA only this machine's bundle holds (never baked into a layer).
secret=()
ca="${GOVHALL_IMAGE_CA_BUNDLE:-${SSL_CERT_FILE:-/etc/ssl/certs/ca-certificates.crt}}"
[ -s "$ca" ] && secret=(--secret "id=cacert,src=$ca")
# --layers: an unchanged step (the PDF libraries, the locked dependencies) is reused next time.
"${BUILDAH[@]}" build --isolation chroot --layers "${secret[@]}" \
  --build-arg BASE="$GOVHALL_IMAGE_BASE" --label "govhall.source-digest=$digest" \
  -f "$here/Containerfile" -t "$GOVHALL_IMAGE" -t "${GOVHALL_IMAGE%:*}:latest" "$GOVHALL_ROOT"
say "built $GOVHALL_IMAGE in $((SECONDS - started)) s; size $(image_size "$GOVHALL_IMAGE")"
