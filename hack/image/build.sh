#!/usr/bin/env bash
# `make image`: Homeostat's container images as docker-archive tarballs under dist/images/, built
# without a Docker daemon and without a base image from a registry:
#
#   homeostat                       the controller and CLI        entrypoint: node <controller flags> .../homeostat/dist/cli/main.js
#                                                                 env: hack/image/controller-env (LD_PRELOAD: jemalloc)
#   homeostat-checker               base for checker images       entrypoint: node /app/checker.mjs
#   homeostat-checker-<example>     a base + one bundled example  (same entrypoint; its bundle is /app/checker.mjs)
#
# Every root filesystem is assembled from what a package registry gives: Node from the npm package
# node-linux-<arch> (the release binary, the version scripts/node-bin.sh pins), the shared libraries
# it needs from Debian's .debs (apt-get download + dpkg-deb -x; never the host's /lib), CA
# certificates, /etc/passwd and /etc/group with nonroot (65532), a /tmp. The apps are esbuild bundles
# (hack/image/bundle.sh); the controller image adds Debian's libjemalloc2, which its env preloads.
# umoci writes the OCI images (one shared runtime layer, then one layer per
# image), skopeo exports them. The Dockerfile at the root builds the same images with a daemon.
#
# Incremental: .debs and the Node package are cached under $HOMEOSTAT_CACHE/image (default
# ~/.cache/homeostat/image), with the OCI layout; the runtime layer is rebuilt only when its inputs
# change, and an image is written again only when the hash of its inputs (base, bundle, config) changes.
#
# Environment: HOMEOSTAT_CACHE; HOMEOSTAT_IMAGE_REGISTRY (the archives' repository prefix, default
# ghcr.io/homeostat, as in manifests/deployment.yaml); HOMEOSTAT_IMAGE_SOURCE (the source label);
# HOMEOSTAT_IMAGES (space-separated subset of the names above).
set -euo pipefail
cd "$(dirname "$0")/../.."
REPO=$PWD
export PATH="$(scripts/node-bin.sh):$REPO/node_modules/.bin:$PATH"
here=hack/image
# shellcheck source=hack/image/lib.sh
source "$here/lib.sh"

hack/deps/apt.sh umoci skopeo binutils

VERSION=$(node -p 'require("./package.json").version')
NODE_VERSION=$(sed -n 's/^pinned=//p' scripts/node-bin.sh)
REGISTRY=${HOMEOSTAT_IMAGE_REGISTRY:-ghcr.io/homeostat}
SOURCE_URL=${HOMEOSTAT_IMAGE_SOURCE:-https://github.com/homeostat/homeostat}
CACHE=${HOMEOSTAT_CACHE:-$HOME/.cache/homeostat}/image
OUT=dist/images
DEB_ARCH=$(dpkg --print-architecture)
case $DEB_ARCH in amd64) NODE_ARCH=x64 ;; arm64) NODE_ARCH=arm64 ;; *) die "no Node build for Debian architecture $DEB_ARCH" ;; esac
# The image build date is the commit's, so the same commit gives the same labels.
REVISION=$(git rev-parse HEAD 2>/dev/null || echo unknown)
CREATED=$(git log -1 --format=%cI 2>/dev/null || date -u +%FT%TZ)
ROOTLESS=()
[[ $(id -u) -eq 0 ]] || ROOTLESS=(--rootless)

mkdir -p "$CACHE" "$OUT"
exec 8>"$CACHE/.lock"
flock 8 # one build at a time per cache: they share the OCI layout
LAYOUT=$CACHE/oci
[[ -d $LAYOUT ]] || umoci init --layout "$LAYOUT"
WORK=$(mktemp -d "$CACHE/work.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
started=$(date +%s.%N)

# ---- the runtime layer: Node + the libraries it needs + certificates + users ------------------------
node_pkg=$(fetch_node "$NODE_VERSION" "$NODE_ARCH")
debs=$(fetch_debs libc6 libgcc-s1 libstdc++6 ca-certificates base-files)
runtime_key=$(hash_of "$node_pkg" $debs "$here/lib.sh" "$here/rootfs.sh" <<<"$DEB_ARCH")
runtime_tag=runtime-${runtime_key:0:16}
if ! has_tag "$runtime_tag"; then
  log "runtime layer: Node $NODE_VERSION ($NODE_ARCH) and $(wc -w <<<"$debs") Debian packages"
  "$here/rootfs.sh" "$WORK/runtime" "$node_pkg" $debs
  umoci new --image "$LAYOUT:$runtime_tag"
  umoci unpack "${ROOTLESS[@]}" --image "$LAYOUT:$runtime_tag" "$WORK/bundle"
  cp -a "$WORK/runtime/." "$WORK/bundle/rootfs/"
  umoci repack --image "$LAYOUT:$runtime_tag" --history.created "$CREATED" \
    --history.created_by "hack/image/rootfs.sh: node-linux-$NODE_ARCH@$NODE_VERSION, $(basename -a $debs | tr '\n' ' ')" "$WORK/bundle"
  umoci config --image "$LAYOUT:$runtime_tag" --no-history --os linux --architecture "$DEB_ARCH" \
    --config.user 65532:65532 --config.workingdir / \
    --config.env PATH=/usr/local/bin:/usr/bin:/bin --config.env NODE_ENV=production \
    --config.env SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
  rm -rf "$WORK/bundle" "$WORK/runtime"
fi

# ---- the apps ---------------------------------------------------------------------------------------
wanted=${HOMEOSTAT_IMAGES:-homeostat homeostat-checker homeostat-checker-s3-objects homeostat-checker-sql-rows homeostat-checker-file-exists}
built=()
for name in $wanted; do
  stage=$WORK/$name
  mkdir -p "$stage"
  entrypoint=(/usr/local/bin/node /app/checker.mjs) cmd=() env=() workdir=/app from=$runtime_tag
  case $name in
    homeostat)
      "$here/bundle.sh" controller "$stage" || die "bundling the controller failed"
      # Node with the controller's flags (hack/image/controller-node-flags) and the bundle; the
      # Dockerfile's ENTRYPOINT is the same (test/integration/image.test.ts).
      mapfile -t node_flags < <(controller_node_flags)
      [[ ${#node_flags[@]} -gt 0 ]] || die "hack/image/controller-node-flags has no flag"
      entrypoint=(/usr/local/bin/node "${node_flags[@]}" /usr/local/lib/homeostat/dist/cli/main.js) cmd=(--help) workdir=/
      # jemalloc in the controller's own layer, not the shared runtime layer: only the controller
      # preloads it (hack/image/controller-env), so the checker images stay without it, and the
      # runtime layer they share is neither rebuilt nor re-pulled for it.
      jemalloc_deb=$(fetch_debs libjemalloc2)
      add_deb_libraries "$jemalloc_deb" "$stage/files"
      mapfile -t env < <(controller_env)
      for e in "${env[@]}"; do
        [[ $e == LD_PRELOAD=* ]] || continue
        IFS=': ' read -ra preload <<<"${e#LD_PRELOAD=}"
        # ld.so only warns about a preload it cannot find: fail here instead.
        for lib in "${preload[@]}"; do [[ -f $stage/files$lib ]] || die "hack/image/controller-env preloads $lib, which the controller image does not have"; done
      done
      title="Homeostat" description="The Homeostat controller and CLI: keeps data in the state its users declared." ;;
    homeostat-checker)
      if ! "$here/bundle.sh" checker-sdk "$stage"; then skip "$name"; continue; fi
      title="Homeostat checker base"
      description="Node and @homeostat/checker-sdk: COPY your checker to /app/checker.mjs; it can import { runChecker } from '@homeostat/checker-sdk'." ;;
    homeostat-checker-*)
      example=${name#homeostat-}
      [[ " ${built[*]} " == *" homeostat-checker "* ]] || { skip "$name" "needs homeostat-checker"; continue; }
      if ! "$here/bundle.sh" "$example" "$stage"; then skip "$name"; continue; fi
      from=$(cat "$WORK/homeostat-checker.tag")
      title="Homeostat example checker ${example#checker-}"
      description="An example Homeostat state checker (packages/$example), on homeostat-checker." ;;
    *) die "unknown image $name" ;;
  esac
  ref=$REGISTRY/$name:$VERSION
  archive=$OUT/$name-$VERSION.tar
  labels=(
    "org.opencontainers.image.title=$title"
    "org.opencontainers.image.description=$description"
    "org.opencontainers.image.version=$VERSION"
    "org.opencontainers.image.revision=$REVISION"
    "org.opencontainers.image.created=$CREATED"
    "org.opencontainers.image.source=$SOURCE_URL"
    "org.opencontainers.image.licenses=Apache-2.0"
    "org.opencontainers.image.ref.name=$ref"
    "dev.homeostat.node.version=$NODE_VERSION"
  )
  key=$(printf '%s\n' "$from" "${entrypoint[@]}" -- "${cmd[@]}" -- "${env[@]}" "$workdir" "${labels[@]}" "$ref" | hash_of - "$stage/files")
  tag=$name-${key:0:16}
  echo "$tag" >"$WORK/$name.tag"
  built+=("$name")
  if has_tag "$tag" && [[ -f $archive && $(cat "$archive.key" 2>/dev/null) == "$key" ]]; then
    log "$name: up to date"
    continue
  fi
  log "$name: writing $ref"
  umoci tag --image "$LAYOUT:$from" "$tag"
  # One layer with the image's own files (the runtime's are shared).
  umoci insert "${ROOTLESS[@]}" --image "$LAYOUT:$tag" "$stage/files" /
  config=(--config.workingdir "$workdir" --clear config.entrypoint --clear config.cmd)
  for e in "${entrypoint[@]}"; do config+=(--config.entrypoint "$e"); done
  for c in "${cmd[@]}"; do config+=(--config.cmd "$c"); done
  for e in "${env[@]}"; do config+=(--config.env "$e"); done
  for l in "${labels[@]}"; do config+=(--config.label "$l"); done
  umoci config --image "$LAYOUT:$tag" --created "$CREATED" \
    --history.created_by "hack/image/build.sh $name" --history.created "$CREATED" "${config[@]}"
  # An uncompressed docker-archive with a repo:tag: what skopeo, podman load, docker load and kind
  # load image-archive all accept (an OCI archive is not loaded by older docker or by kind).
  rm -f "$archive" "$archive.key"
  skopeo copy --quiet "oci:$LAYOUT:$tag" "docker-archive:$archive:$ref"
  echo "$key" >"$archive.key"
done
# Tags of older builds go, then their blobs.
for old in $(umoci list --layout "$LAYOUT"); do
  keep=false
  [[ $old == "$runtime_tag" ]] && keep=true
  for name in "${built[@]}"; do [[ $old == "$(cat "$WORK/$name.tag")" ]] && keep=true; done
  $keep || umoci rm --image "$LAYOUT:$old"
done
umoci gc --layout "$LAYOUT"

printf '%-34s %-52s %10s %10s %10s\n' IMAGE REFERENCE ARCHIVE COMPRESSED UNPACKED
for name in "${built[@]}"; do
  report_size "$REGISTRY/$name:$VERSION" "$OUT/$name-$VERSION.tar" "$(cat "$WORK/$name.tag")"
done
log "done in $(awk -v s="$started" -v e="$(date +%s.%N)" 'BEGIN { printf "%.1f", e - s }') s"
