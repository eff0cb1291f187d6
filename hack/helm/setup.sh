#!/usr/bin/env bash
# Builds (once) the helm CLI from the Go module proxy (no release tarballs can be
# downloaded here), like hack/envtest/setup.sh builds kube-apiserver. Idempotent: a
# version stamp short-circuits later runs. Prints the binary's path on stdout;
# progress on stderr.
#
#   HOMEOSTAT_CACHE  cache root (default ~/.cache/homeostat); helm goes to $HOMEOSTAT_CACHE/helm/bin/helm
#   HOMEOSTAT_HELM   an existing helm binary to use instead (printed as is, nothing is built)
#   HOMEOSTAT_HELM_NO_BUILD=1  exit 3 instead of building when helm is not cached (for tests)
#   GO               go binary (default: go on PATH, else /usr/local/go/bin/go)
#
# A cold build takes ~1.5 min on 2 cores (88 s with an empty GOCACHE; module downloads
# add seconds to a minute); GOMODCACHE/GOCACHE
# (outside the repo) make rebuilds fast.
set -euo pipefail

# Pinned. v3.22.0 needs Go >= 1.26 and builds against k8s.io/client-go v0.37.0.
HELM_VERSION=v3.22.0

log() { echo "helm: $*" >&2; }

if [[ -n ${HOMEOSTAT_HELM:-} ]]; then
  [[ -x $HOMEOSTAT_HELM ]] || { log "HOMEOSTAT_HELM=$HOMEOSTAT_HELM is not executable"; exit 1; }
  echo "$HOMEOSTAT_HELM"
  exit 0
fi

CACHE=${HOMEOSTAT_CACHE:-$HOME/.cache/homeostat}/helm
BIN=$CACHE/bin
HELM=$BIN/helm
STAMP_FILE=$BIN/VERSION
STAMP="helm=$HELM_VERSION"

cached() { [[ -x $HELM && "$(cat "$STAMP_FILE" 2>/dev/null)" == "$STAMP" ]]; }

if cached; then
  log "cached ($STAMP)"
  echo "$HELM"
  exit 0
fi

if [[ -n ${HOMEOSTAT_HELM_NO_BUILD:-} ]]; then
  log "not built yet (run hack/helm/setup.sh or make helm)"
  exit 3
fi

# Serialize concurrent runs (parallel jest workers, `make chart` in another shell):
# the winner builds; the others wait, then see the stamp and exit.
mkdir -p "$BIN" "$CACHE/src"
exec 9>"$CACHE/.lock"
log "waiting for build lock $CACHE/.lock"
flock 9
if cached; then
  echo "$HELM"
  exit 0
fi

GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
[[ -x $GO ]] || { log "go not found (set GO=/path/to/go)"; exit 1; }
# Static binary, no toolchain download, reproducible paths, smaller output.
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-trimpath -buildvcs=false"
rm -f "$STAMP_FILE"
start=$SECONDS

# A tiny module of our own requiring helm: works whether or not helm's go.mod has
# replace directives (which make `go install helm.sh/helm/v3/cmd/helm@version` refuse;
# v3.22.0 has none, but older and future tags may), and go.sum pins what was built.
src=$CACHE/src/helm
rm -rf "$src" && mkdir -p "$src"
printf 'module homeostat.local/helm\n\ngo 1.26.0\n\nrequire helm.sh/helm/v3 %s\n' "$HELM_VERSION" >"$src/go.mod"
log "$HELM_VERSION: resolving modules"
(cd "$src" && "$GO" get "helm.sh/helm/v3/cmd/helm@$HELM_VERSION")

# The same -X variables as helm's own Makefile: `helm version` tells the real
# version, and the default Kubernetes version of `helm template`/`helm lint`
# (.Capabilities.KubeVersion) follows the client-go it was built with.
client_go=$(cd "$src" && "$GO" list -m -f '{{.Version}}' k8s.io/client-go)   # v0.37.0
kv=${client_go#v}; k8s_major=$(( ${kv%%.*} + 1 )); kv=${kv#*.}; k8s_minor=${kv%%.*}
ldflags="-s -w -X helm.sh/helm/v3/internal/version.version=$HELM_VERSION"
ldflags+=" -X helm.sh/helm/v3/internal/version.metadata= -X helm.sh/helm/v3/internal/version.gitTreeState=clean"
for pkg in helm.sh/helm/v3/pkg/lint/rules helm.sh/helm/v3/pkg/chartutil; do
  ldflags+=" -X $pkg.k8sVersionMajor=$k8s_major -X $pkg.k8sVersionMinor=$k8s_minor"
done
log "$HELM_VERSION: go build (client-go $client_go; ~1.5 min cold on 2 cores)"
(cd "$src" && "$GO" build -ldflags="$ldflags" -o "$HELM.tmp" helm.sh/helm/v3/cmd/helm)
mv "$HELM.tmp" "$HELM"
"$HELM" version --short >&2

echo "$STAMP" >"$STAMP_FILE"
log "built $STAMP in $((SECONDS - start))s"
echo "$HELM"
