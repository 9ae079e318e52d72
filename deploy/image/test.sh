#!/usr/bin/env bash
# `make image-test`: build the image (or reuse the layers of the last build), then run one
# service inside it with `buildah run` and check that
#   - it runs as UID 10001 (the image's USER, which the chart's securityContext requires),
#   - there is no compiler in the image,
#   - a PDF with Chinese text renders and embeds the Noto CJK font (cases' notices),
#   - the reference portal's files (the gateway's web/) are all in the installed gateway package,
#   - the service answers its gRPC readiness check (catalogue on SQLite under /tmp, embedded bus,
#     trust keys made by `python -m govhall.kit.trust init`),
#   - it wrote nothing outside /tmp: the container's root filesystem (buildah mount) is listed
#     before and after, /tmp left out, and the two listings must be equal.
# Prints the image's size.
set -euo pipefail
here="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
# shellcheck source=deploy/image/common.sh
. "$here/common.sh"

: "${GOVHALL_IMAGE_TEST_SERVICE:=catalogue}"
: "${GOVHALL_IMAGE_TEST_TIMEOUT:=180}"
started=$SECONDS

if [ "${GOVHALL_IMAGE_TEST_NO_BUILD:-0}" = 1 ] && "${BUILDAH[@]}" inspect --type image "$GOVHALL_IMAGE" >/dev/null 2>&1; then
  say "reusing $GOVHALL_IMAGE"
else
  bash "$here/build.sh"
fi

ctr="$("${BUILDAH[@]}" from --quiet --pull=never "$GOVHALL_IMAGE")"
work="$(mktemp -d)"
cleanup() {
  "${BUILDAH[@]}" umount "$ctr" >/dev/null 2>&1 || true
  "${BUILDAH[@]}" rm "$ctr" >/dev/null 2>&1 || true
  rm -rf "$work"
}
trap cleanup EXIT

# chroot isolation shares the machine's network: free ports, not the services' defaults.
read -r grpc_port metrics_port < <(python3 -c '
import socket
socks = [socket.socket() for _ in range(2)]
for s in socks:
    s.bind(("127.0.0.1", 0))
print(*(s.getsockname()[1] for s in socks))')
svc="$(printf '%s' "$GOVHALL_IMAGE_TEST_SERVICE" | tr '[:lower:]' '[:upper:]')"

run() { "${BUILDAH[@]}" run --isolation chroot "$ctr" -- "$@"; }

# Every file outside /tmp with its type, mode, owner, size and modification time; /run's own
# time left out, since buildah puts /run/.containerenv there for each run and removes it after.
listing() {
  local mnt
  mnt="$("${BUILDAH[@]}" mount "$ctr")"
  (cd "$mnt" && find . -path ./tmp -prune -o -path ./run -printf '%y %m %U:%G %s - %p\n' \
    -o -printf '%y %m %U:%G %s %T@ %p\n' | LC_ALL=C sort)
  "${BUILDAH[@]}" umount "$ctr" >/dev/null
}

# A first run makes whatever mount points the runtime itself adds (/etc/hosts, /proc, ...);
# the listing is taken after it, so the comparison sees only what the service did.
uid="$(run id -u)"
listing >"$work/before"

compilers="$(run sh -c 'for c in cc gcc g++ c++ clang make; do command -v "$c" || true; done')"
[ -z "$compilers" ] || die "compilers in the image: $compilers"

# Cases' notices: WeasyPrint through Pango must find and embed the Noto CJK font.
fonts="$(run python -c '
import io, pypdf, weasyprint
pdf = weasyprint.HTML(string="<p style=\"font-family: Noto Sans CJK SC\">受理通知书</p>").write_pdf()
page = pypdf.PdfReader(io.BytesIO(pdf)).pages[0]
assert "受理通知书" in page.extract_text(), page.extract_text()
print(*sorted(str(f["/BaseFont"]) for f in page["/Resources"]["/Font"].get_object().values()))')" ||
  die "a PDF with Chinese text did not render in the image"
[[ "$fonts" == *Noto-Sans-CJK* ]] || die "the PDF embeds no Noto CJK font: $fonts"

# The reference portal: the gateway serves web/ from its installed package, so every file of it
# must be in the image (a build backend leaving out non-Python files would leave / a 404).
portal="$(run python -c '
from govhall.gateway.portal import WEB
print(*sorted(str(f.relative_to(WEB)) for f in WEB.rglob("*") if f.is_file()))')" ||
  die "the gateway's portal files are not in the image"
expected="$(cd "$GOVHALL_ROOT/services/gateway/src/govhall/gateway/web" && find . -type f -printf '%P\n' | LC_ALL=C sort | xargs)"
[ "$(xargs -n1 <<<"$portal" | LC_ALL=C sort | xargs)" = "$expected" ] ||
  die "the image's portal files differ from web/: $portal"

say "starting $GOVHALL_IMAGE_TEST_SERVICE in $GOVHALL_IMAGE (gRPC 127.0.0.1:$grpc_port)"
# shellcheck disable=SC2016  # $GOVHALL_VAR_DIR and $1.. expand inside the container
result="$(
  "${BUILDAH[@]}" run --isolation chroot \
    --env "GOVHALL_${svc}_GRPC_ADDRESS=127.0.0.1:$grpc_port" \
    --env "GOVHALL_${svc}_METRICS_PORT=$metrics_port" \
    --env GOVHALL_NATS_URL= \
    "$ctr" -- sh -c '
      python -m govhall.kit.trust init "$GOVHALL_VAR_DIR/trust" >/dev/null &&
      exec python -c "$1" "$2" "$3" "$4"' smoke \
    "$(cat "$here/smoke.py")" "$GOVHALL_IMAGE_TEST_SERVICE" "127.0.0.1:$grpc_port" "$GOVHALL_IMAGE_TEST_TIMEOUT"
)" || die "the health check failed:
$result"
printf '%s\n' "$result" >&2

listing >"$work/after"
if ! diff -u "$work/before" "$work/after" >"$work/diff"; then
  cat "$work/diff" >&2
  die "the service wrote outside /tmp (above: the root filesystem before and after)"
fi

[ "$uid" = 10001 ] || die "the image's user is UID $uid, not 10001"
grep -qx 'uid=10001,10001,10001,10001' <<<"$result" || die "the service did not run as UID 10001: $result"
grep -qx serving <<<"$result" || die "the service did not answer its readiness check"

say "ok: $GOVHALL_IMAGE_TEST_SERVICE served as UID 10001, no compiler, CJK PDF rendered ($fonts), nothing written outside /tmp"
say "image $GOVHALL_IMAGE: $(image_size "$GOVHALL_IMAGE"); image-test took $((SECONDS - started)) s"
