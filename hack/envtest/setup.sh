#!/usr/bin/env bash
# Builds (once) a real kube-apiserver and etcd for integration tests, like
# controller-runtime's envtest, from the Go module proxy only (no release
# tarballs can be downloaded here). Idempotent: a version stamp short-circuits
# later runs. Prints "envtest binaries in <dir>" on stdout; progress on stderr.
#
#   HOMEOSTAT_ENVTEST_DIR  cache dir (default ~/.cache/homeostat/envtest)
#   GO                     go binary (default: go on PATH, else /usr/local/go/bin/go)
#
# A cold build takes ~8 min on 2 cores (7 of them kube-apiserver); the Go
# module and build caches (GOMODCACHE/GOCACHE, outside the repo) make rebuilds fast.
set -euo pipefail

# Pinned versions. etcd 3.6.4 is the etcd client that k8s 1.34.4's go.mod pins.
# Debian bookworm's etcd-server is 3.4.23: too old for a 1.34 apiserver.
K8S_VERSION=v1.34.4
ETCD_VERSION=v3.6.4

CACHE=${HOMEOSTAT_ENVTEST_DIR:-$HOME/.cache/homeostat/envtest}
BIN=$CACHE/bin
STAMP_FILE=$BIN/VERSION
STAMP="kube-apiserver=$K8S_VERSION etcd=$ETCD_VERSION"

log() { echo "envtest: $*" >&2; }

if [[ -x $BIN/kube-apiserver && -x $BIN/etcd && "$(cat "$STAMP_FILE" 2>/dev/null)" == "$STAMP" ]]; then
  log "cached ($STAMP)"
  echo "envtest binaries in $BIN"
  exit 0
fi

# Serialize concurrent runs (parallel test jobs, two shells): they would race on
# $CACHE/src. The winner builds; the others wait, then see the stamp and exit.
mkdir -p "$BIN" "$CACHE/src"
exec 9>"$CACHE/.lock"
log "waiting for build lock $CACHE/.lock"
flock 9
if [[ -x $BIN/kube-apiserver && -x $BIN/etcd && "$(cat "$STAMP_FILE" 2>/dev/null)" == "$STAMP" ]]; then
  echo "envtest binaries in $BIN"
  exit 0
fi

GO=${GO:-$(command -v go || echo /usr/local/go/bin/go)}
[[ -x $GO ]] || { log "go not found (set GO=/path/to/go)"; exit 1; }
# Static binaries, no toolchain download, reproducible paths, smaller output.
export GOTOOLCHAIN=local CGO_ENABLED=0 GOFLAGS="-trimpath -buildvcs=false"
rm -f "$STAMP_FILE"
start=$SECONDS

# ---- kube-apiserver ---------------------------------------------------------
# k8s.io/kubernetes requires its ~30 staging modules (k8s.io/api, apiserver, ...)
# at v0.0.0 with `replace => ./staging/...`, so `go install ...@version` refuses.
# Work-around: our own tiny module requiring k8s.io/kubernetes and replacing each
# staging module with its published tag v0.<minor>.<patch>.
log "kube-apiserver $K8S_VERSION: resolving k8s.io/kubernetes go.mod"
k8s_gomod=$(cd "$CACHE/src" && "$GO" mod download -json "k8s.io/kubernetes@$K8S_VERSION" \
  | sed -n 's/^[[:space:]]*"GoMod": "\(.*\)",*$/\1/p')
[[ -f $k8s_gomod ]] || { log "could not download k8s.io/kubernetes@$K8S_VERSION"; exit 1; }
staging_version=v0.${K8S_VERSION#v1.}
# Only the staging modules k8s.io/kubernetes actually requires (at v0.0.0): the
# sample-* ones in its replace block are not required and not all are on the proxy.
mapfile -t staging < <(sed -n '/^replace (/,/^)/p' "$k8s_gomod" | awk '/=> \.\/staging\//{print $1}' \
  | while read -r m; do grep -qE "^[[:space:]]+$m v0\.0\.0\$" "$k8s_gomod" && echo "$m"; done)
log "kube-apiserver: replacing ${#staging[@]} staging modules with $staging_version"

src=$CACHE/src/kube-apiserver
rm -rf "$src" && mkdir -p "$src"
{
  echo "module homeostat.local/envtest/kube-apiserver"
  echo
  echo "go 1.24.0"
  echo
  echo "require k8s.io/kubernetes $K8S_VERSION"
  echo
  echo "replace ("
  for m in "${staging[@]}"; do echo "	$m => $m $staging_version"; done
  echo ")"
} >"$src/go.mod"
# `go get` of the package fills go.mod/go.sum with exactly what the build needs.
(cd "$src" && "$GO" get "k8s.io/kubernetes/cmd/kube-apiserver@$K8S_VERSION")
log "kube-apiserver: go build (slow: ~7 min cold on 2 cores)"
minor=${K8S_VERSION#v1.}; minor=${minor%%.*}
# Same -X version vars as k8s's hack/lib/version.sh, so /version reports the real version.
ver_ldflags=""
for pkg in k8s.io/component-base/version k8s.io/client-go/pkg/version; do
  ver_ldflags+=" -X $pkg.gitVersion=$K8S_VERSION -X $pkg.gitMajor=1 -X $pkg.gitMinor=$minor -X $pkg.gitTreeState=clean"
done
(cd "$src" && "$GO" build -ldflags="-s -w$ver_ldflags" -o "$BIN/kube-apiserver.tmp" k8s.io/kubernetes/cmd/kube-apiserver)
mv "$BIN/kube-apiserver.tmp" "$BIN/kube-apiserver"
log "kube-apiserver: done after $((SECONDS - start))s"

# ---- etcd -------------------------------------------------------------------
# The etcd server's main package is go.etcd.io/etcd/server/v3 (server/main.go).
# Its go.mod also has replace directives (=> ../api etc.), so the same trick
# applies: a tiny module that requires it (the published deps v3.6.x are used).
log "etcd $ETCD_VERSION: go build"
src=$CACHE/src/etcd
rm -rf "$src" && mkdir -p "$src"
printf 'module homeostat.local/envtest/etcd\n\ngo 1.24.0\n\nrequire go.etcd.io/etcd/server/v3 %s\n' "$ETCD_VERSION" >"$src/go.mod"
(cd "$src" && "$GO" get "go.etcd.io/etcd/server/v3@$ETCD_VERSION" \
  && "$GO" build -ldflags="-s -w" -o "$BIN/etcd.tmp" go.etcd.io/etcd/server/v3)
mv "$BIN/etcd.tmp" "$BIN/etcd"

echo "$STAMP" >"$STAMP_FILE"
log "built $STAMP in $((SECONDS - start))s"
echo "envtest binaries in $BIN"
