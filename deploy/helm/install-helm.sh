#!/usr/bin/env bash
# Build a pinned Helm v3 from the Go module proxy (Helm is in neither Debian nor PyPI).
#
# Installs into ${XDG_CACHE_HOME:-$HOME/.cache}/govhall/bin, outside the repository, so every
# clone on the machine shares one build. Idempotent: when the binary there already reports the
# pinned version nothing is built. Progress goes to stderr; the last (and only) line on stdout is
# the path of the helm binary, so callers can do `helm=$(deploy/helm/install-helm.sh)`.
#
# A cold build (module downloads + compile) takes several minutes on two cores.
set -euo pipefail

# The pin. Bump it here only; the Kubernetes version baked in as helm's default comes from the
# k8s.io/client-go version in this release's go.mod, as Helm's own Makefile does.
readonly HELM_VERSION="v3.22.0"
readonly HELM_MODULE="helm.sh/helm/v3"

GOBIN="${XDG_CACHE_HOME:-$HOME/.cache}/govhall/bin"
HELM="$GOBIN/helm"

log() { printf 'install-helm: %s\n' "$*" >&2; }
die() { log "ERROR: $*"; exit 1; }

installed_version() {
  [[ -x "$HELM" ]] || return 0
  "$HELM" version --template '{{.Version}}' 2>/dev/null || true
}

if [[ "$(installed_version)" == "$HELM_VERSION" ]]; then
  echo "$HELM"
  exit 0
fi

GO="$(command -v go || true)"
if [[ -z "$GO" && -x /usr/local/go/bin/go ]]; then
  GO=/usr/local/go/bin/go
fi
[[ -n "$GO" ]] || die "Go is required to build helm $HELM_VERSION (not found on PATH or at /usr/local/go/bin/go)"

mkdir -p "$GOBIN"

# Serialise concurrent runs (parallel test sessions, two clones) on the shared cache.
if command -v flock >/dev/null 2>&1; then
  exec 9>"$GOBIN/.helm-install.lock"
  flock 9
  # Someone else may have finished the build while we waited.
  if [[ "$(installed_version)" == "$HELM_VERSION" ]]; then
    echo "$HELM"
    exit 0
  fi
fi

log "building helm $HELM_VERSION with $("$GO" version) (this can take several minutes)"
started=$SECONDS

# Fetch the module to read the client-go version it was released against.
module_json="$("$GO" mod download -json "$HELM_MODULE@$HELM_VERSION")" \
  || die "cannot download $HELM_MODULE@$HELM_VERSION from the Go module proxy"
gomod="$(sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",\{0,1\}$/\1/p' <<<"$module_json")"
[[ -f "$gomod" ]] || die "go mod download did not report a go.mod for $HELM_MODULE@$HELM_VERSION"
client_go="$(awk '$1 == "k8s.io/client-go" { print $2; exit }' "$gomod")"   # e.g. v0.37.0
[[ "$client_go" =~ ^v0\.([0-9]+)\. ]] || die "cannot read the k8s.io/client-go version from $gomod"
kube_major=1
kube_minor="${BASH_REMATCH[1]}"

ldflags="-s -w"
ldflags+=" -X $HELM_MODULE/internal/version.version=$HELM_VERSION"
ldflags+=" -X $HELM_MODULE/internal/version.gitTreeState=clean"
for pkg in pkg/lint/rules pkg/chartutil; do
  ldflags+=" -X $HELM_MODULE/$pkg.k8sVersionMajor=$kube_major"
  ldflags+=" -X $HELM_MODULE/$pkg.k8sVersionMinor=$kube_minor"
done

# Build into a scratch GOBIN and move into place, so an interrupted build never leaves a
# half-written binary where the next run would look.
tmpbin="$(mktemp -d "$GOBIN/.build.XXXXXX")"
trap 'rm -rf "$tmpbin"' EXIT
CGO_ENABLED=0 GOBIN="$tmpbin" "$GO" install -trimpath -ldflags "$ldflags" \
  "$HELM_MODULE/cmd/helm@$HELM_VERSION" >&2 \
  || die "go install $HELM_MODULE/cmd/helm@$HELM_VERSION failed"
mv -f "$tmpbin/helm" "$HELM"

got="$(installed_version)"
[[ "$got" == "$HELM_VERSION" ]] || die "built helm reports version '$got', expected $HELM_VERSION"
log "built helm $HELM_VERSION (default Kubernetes v$kube_major.$kube_minor) in $((SECONDS - started))s"
echo "$HELM"
