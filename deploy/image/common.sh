# shellcheck shell=bash
# Shared by build.sh and test.sh: the image's name, buildah's storage, and deploy/local's helpers.

# shellcheck source=deploy/local/lib.sh
. "$(dirname "${BASH_SOURCE[0]}")/../local/lib.sh"

say() { printf '[govhall-image] %s\n' "$*" >&2; }

# The tag follows the chart's appVersion, so the chart's default tag names this image.
_govhall_app_version="$(sed -n 's/^appVersion: *"\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' "$GOVHALL_ROOT/deploy/helm/govhall/Chart.yaml")"
: "${GOVHALL_IMAGE:=localhost/govhall:${_govhall_app_version:-latest}}"
: "${GOVHALL_IMAGE_CACHE:=$GOVHALL_CACHE/image}"
# vfs: works on any filesystem and inside another container (no overlay mounts needed).
BUILDAH=(buildah --storage-driver vfs)

# The image's size as buildah reports it (the unpacked layers).
image_size() { "${BUILDAH[@]}" images --format '{{.Size}}' "$1" | head -n 1; }
