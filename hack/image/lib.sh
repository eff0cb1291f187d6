# Functions of hack/image/build.sh (sourced): logging, the caches of .debs and Node packages, input
# hashes, tags of the OCI layout, sizes. Expects CACHE, LAYOUT and DEB_ARCH where they are used.

log() { echo "image: $*" >&2; }
die() { log "$*"; exit 1; }
# An image whose inputs are not there yet (another package not written or not built) is left out, loudly.
skip() { log "SKIPPED $1: ${2:-its inputs are missing (see above)}"; }

# hash_of PATH...: one sha256 over files and directory trees (relative names, modes, symlink
# targets, contents); '-' reads stdin. Order of the arguments matters, file dates do not.
hash_of() {
  local p
  for p in "$@"; do
    if [[ $p == - ]]; then
      cat
    elif [[ -d $p ]]; then
      (cd "$p" && find . -printf '%P %y %m %l\n' | LC_ALL=C sort && find . -type f -print0 | LC_ALL=C sort -z | xargs -0r sha256sum)
    else
      printf '%s ' "$(basename "$p")"
      sha256sum <"$p"
    fi
  done | sha256sum | cut -d' ' -f1
}

has_tag() { umoci list --layout "$LAYOUT" | grep -qxF "$1"; }

# fetch_node VERSION ARCH: the npm package node-linux-ARCH@VERSION (the release binary), cached; prints its path.
fetch_node() {
  local dir=$CACHE/npm file
  file=$dir/node-linux-$2-$1.tgz
  if [[ ! -s $file ]]; then
    mkdir -p "$dir"
    log "npm pack node-linux-$2@$1"
    (cd "$dir" && npm pack --silent "node-linux-$2@$1" >/dev/null) || die "cannot fetch node-linux-$2@$1 from the npm registry"
  fi
  [[ -s $file ]] || die "npm pack did not write $file"
  echo "$file"
}

# fetch_debs PACKAGE...: the candidate version of each Debian package for DEB_ARCH (the machine's
# apt sources), downloaded once into the cache; prints their paths.
fetch_debs() {
  local dir=$CACHE/debs pkg version file updated=false sandbox=()
  mkdir -p "$dir"
  # As root, apt drops to _apt for downloads, which cannot write to a cache in root's home.
  [[ $(id -u) -ne 0 ]] || sandbox=(-o APT::Sandbox::User=root)
  for pkg in "$@"; do
    version=$(candidate "$pkg")
    if [[ -z $version && $updated == false && $(id -u) -eq 0 ]]; then
      log "apt-get update (no candidate for $pkg)"
      DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
      updated=true
      version=$(candidate "$pkg")
    fi
    [[ -n $version ]] || die "apt knows no version of $pkg (apt-get update?)"
    # apt names files PKG_VERSION_ARCH.deb with ':' in the version as %3a.
    file=$(compgen -G "$dir/${pkg}_${version//:/%3a}_*.deb" | head -1 || true)
    if [[ -z $file ]]; then
      log "apt-get download $pkg=$version"
      (cd "$dir" && apt-get download -qq "${sandbox[@]}" "$pkg=$version" >&2) || die "apt-get download $pkg=$version failed"
      file=$(compgen -G "$dir/${pkg}_${version//:/%3a}_*.deb" | head -1)
    fi
    echo "$file"
  done
}

candidate() { apt-cache policy "$1:$DEB_ARCH" 2>/dev/null | sed -n 's/^ *Candidate: //p' | grep -v '^(none)$' || true; }

# report_size REF ARCHIVE TAG: the archive's size, the compressed layers' (what a registry stores
# and a node pulls) and the unpacked root filesystem's (the uncompressed layers).
report_size() {
  local archive_bytes compressed unpacked
  archive_bytes=$(stat -c %s "$2")
  compressed=$(skopeo inspect --raw "oci:$LAYOUT:$3" | node -e 'let s="";process.stdin.on("data",d=>s+=d).on("end",()=>console.log(JSON.parse(s).layers.reduce((a,l)=>a+l.size,0)))')
  unpacked=$(tar -tvf "$2" | awk '$6 ~ /(\.tar|layer\.tar)$/ { n += $3 } END { print n + 0 }')
  printf '%-34s %-52s %10s %10s %10s\n' "$(basename "${1%:*}")" "$1" "$(human "$archive_bytes")" "$(human "$compressed")" "$(human "$unpacked")"
}

human() { numfmt --to=iec-i --suffix=B --format=%.1f "$1"; }

# controller_node_flags: the controller's Node/V8 flags (hack/image/controller-node-flags), one per
# line; each must be one --flag word, since they become separate entrypoint arguments.
controller_node_flags() {
  local file flag
  file=$(dirname "${BASH_SOURCE[0]}")/controller-node-flags
  while IFS= read -r flag; do
    flag=${flag#"${flag%%[![:space:]]*}"}
    flag=${flag%"${flag##*[![:space:]]}"}
    [[ -z $flag || $flag == \#* ]] && continue
    [[ $flag =~ ^--[a-z0-9-]+(=[^[:space:]]+)?$ ]] || die "$file: '$flag' is not one --flag[=value]"
    echo "$flag"
  done <"$file"
}

# multiarch: the Debian multiarch directory name of DEB_ARCH (/usr/lib/<it>), as rootfs.sh has it.
multiarch() {
  case $DEB_ARCH in amd64) echo x86_64-linux-gnu ;; arm64) echo aarch64-linux-gnu ;; *) die "no multiarch name for $DEB_ARCH" ;; esac
}

# controller_env: the controller's environment (hack/image/controller-env), one NAME=value per line,
# with @MULTIARCH@ replaced by multiarch's; each must be one word, as the image config keeps it.
controller_env() {
  local file line
  file=$(dirname "${BASH_SOURCE[0]}")/controller-env
  while IFS= read -r line; do
    line=${line#"${line%%[![:space:]]*}"}
    line=${line%"${line##*[![:space:]]}"}
    [[ -z $line || $line == \#* ]] && continue
    [[ $line =~ ^[A-Z_][A-Z0-9_]*=[^[:space:]]+$ ]] || die "$file: '$line' is not one NAME=value"
    echo "${line//@MULTIARCH@/$(multiarch)}"
  done <"$file"
}

# add_deb_libraries DEB FILES: what a Debian package of shared libraries puts in the multiarch
# library directory, with its copyright and its control data (/var/lib/dpkg/status.d, for image
# scanners, as rootfs.sh writes them for the runtime layer's packages), into the tree FILES.
add_deb_libraries() {
  local deb=$1 files=$2 pkg tmp
  pkg=$(dpkg-deb -f "$deb" Package)
  tmp=$(mktemp -d)
  dpkg-deb -x "$deb" "$tmp"
  [[ -d $tmp/usr/lib/$(multiarch) ]] || die "$deb has no /usr/lib/$(multiarch)"
  mkdir -p "$files/usr/lib" "$files/var/lib/dpkg/status.d"
  cp -a "$tmp/usr/lib/$(multiarch)" "$files/usr/lib/"
  install -D -m 0644 "$tmp/usr/share/doc/$pkg/copyright" "$files/usr/share/doc/$pkg/copyright"
  { dpkg-deb -f "$deb"; echo "Status: install ok installed"; } | grep -v '^$' >"$files/var/lib/dpkg/status.d/$pkg"
  rm -rf "$tmp"
}
