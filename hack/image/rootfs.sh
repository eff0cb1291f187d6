#!/usr/bin/env bash
# hack/image/rootfs.sh DEST NODE_TGZ DEB...: writes the runtime root filesystem every Homeostat image
# starts from, into DEST (which must not exist):
#   /usr/local/bin/node               the release binary from the npm package node-linux-<arch>
#   the shared libraries node needs   found by following DT_NEEDED from node in the given .debs
#                                     (libc6, libgcc-s1, libstdc++6), as laid out by the packages
#   /etc/ssl/certs/ca-certificates.crt  Mozilla's roots from ca-certificates (what update-ca-certificates concatenates)
#   /etc/passwd, /etc/group           root and nonroot (65532:65532, home /home/nonroot), no login shell
#   /etc/nsswitch.conf, /etc/os-release, /tmp (1777)
#   /var/lib/dpkg/status.d/<pkg>      the control data of the packages used, so image scanners see them
#   /usr/share/doc/<pkg>/copyright    their licences
# No shell, no package manager, no compiler: nothing the controller does not execute.
set -euo pipefail
dest=$1 node_tgz=$2
shift 2
[[ ! -e $dest ]] || { echo "rootfs: $dest exists" >&2; exit 1; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
mkdir -p "$dest"

# ---- Debian packages, each extracted on its own so we know which file came from where.
declare -A pkgdir
for deb in "$@"; do
  pkg=$(dpkg-deb -f "$deb" Package)
  pkgdir[$pkg]=$tmp/deb/$pkg
  mkdir -p "${pkgdir[$pkg]}"
  dpkg-deb -x "$deb" "${pkgdir[$pkg]}"
  mkdir -p "$dest/var/lib/dpkg/status.d"
  { dpkg-deb -f "$deb"; echo "Status: install ok installed"; } | grep -v '^$' >"$dest/var/lib/dpkg/status.d/$pkg"
  if [[ -f ${pkgdir[$pkg]}/usr/share/doc/$pkg/copyright ]]; then
    install -D -m 0644 "${pkgdir[$pkg]}/usr/share/doc/$pkg/copyright" "$dest/usr/share/doc/$pkg/copyright"
  fi
done

# copy_from_debs PATH: PATH (absolute, in the image) from whichever package has it, with the
# symlinks on the way (/lib64/ld-linux-x86-64.so.2 -> /lib/x86_64-linux-gnu/...).
copy_from_debs() {
  local path=$1 pkg src target
  for pkg in "${!pkgdir[@]}"; do
    src=${pkgdir[$pkg]}$path
    if [[ -L $src ]]; then
      mkdir -p "$dest$(dirname "$path")"
      cp -a "$src" "$dest$path"
      target=$(readlink "$src")
      [[ $target == /* ]] || target=$(dirname "$path")/$target
      copy_from_debs "$(realpath -m -s "$target")"
      return
    elif [[ -f $src ]]; then
      install -D -m "$(stat -c %a "$src")" "$src" "$dest$path"
      return
    fi
  done
  echo "rootfs: no package given has $path" >&2
  exit 1
}

# find_library SONAME: where the packages put it (the multiarch directories ld.so searches).
find_library() {
  local dir pkg
  for dir in /lib/$triplet /usr/lib/$triplet /lib /usr/lib; do
    for pkg in "${!pkgdir[@]}"; do
      if [[ -e ${pkgdir[$pkg]}$dir/$1 ]]; then echo "$dir/$1"; return; fi
    done
  done
  echo "rootfs: no package given has $1" >&2
  exit 1
}

# ---- Node.
mkdir -p "$tmp/node"
tar -xzf "$node_tgz" -C "$tmp/node" package/bin/node package/LICENSE
install -D -m 0755 "$tmp/node/package/bin/node" "$dest/usr/local/bin/node"
install -D -m 0644 "$tmp/node/package/LICENSE" "$dest/usr/share/doc/node/LICENSE"

# ---- The libraries node needs, and theirs: the dynamic loader, then DT_NEEDED, transitively.
case $(dpkg --print-architecture) in amd64) triplet=x86_64-linux-gnu ;; arm64) triplet=aarch64-linux-gnu ;; *) echo "rootfs: unknown architecture" >&2; exit 1 ;; esac
interpreter=$(readelf -l "$dest/usr/local/bin/node" | sed -n 's/.*Requesting program interpreter: \(.*\)]/\1/p')
copy_from_debs "$interpreter"
declare -A seen
queue=("$dest/usr/local/bin/node")
while [[ ${#queue[@]} -gt 0 ]]; do
  elf=${queue[0]}
  queue=("${queue[@]:1}")
  for soname in $(readelf -d "$elf" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p'); do
    [[ -z ${seen[$soname]:-} ]] || continue
    seen[$soname]=1
    path=$(find_library "$soname")
    copy_from_debs "$path"
    queue+=("$(realpath "$dest$path")")
  done
done

# ---- CA certificates: the bundle update-ca-certificates would write (the package's postinst), in a fixed order.
mkdir -p "$dest/etc/ssl/certs"
find "${pkgdir[ca-certificates]}/usr/share/ca-certificates/mozilla" -name '*.crt' -print0 | LC_ALL=C sort -z |
  xargs -0 cat >"$dest/etc/ssl/certs/ca-certificates.crt"
chmod 0644 "$dest/etc/ssl/certs/ca-certificates.crt"

# ---- Users, names, the OS.
cat >"$dest/etc/passwd" <<'EOF'
root:x:0:0:root:/root:/sbin/nologin
nonroot:x:65532:65532:nonroot:/home/nonroot:/sbin/nologin
EOF
cat >"$dest/etc/group" <<'EOF'
root:x:0:
nonroot:x:65532:
EOF
cat >"$dest/etc/nsswitch.conf" <<'EOF'
passwd: files
group: files
hosts: files dns
EOF
cp -a "${pkgdir[base-files]}/usr/lib/os-release" "$dest/etc/os-release"
chmod 0644 "$dest/etc/passwd" "$dest/etc/group" "$dest/etc/nsswitch.conf" "$dest/etc/os-release"
mkdir -p "$dest/tmp" "$dest/home/nonroot" "$dest/root"
chmod 1777 "$dest/tmp"
chmod 0700 "$dest/root" "$dest/home/nonroot"
if [[ $(id -u) -eq 0 ]]; then
  chown -R 0:0 "$dest"
  chown 65532:65532 "$dest/home/nonroot"
fi
