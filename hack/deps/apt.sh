#!/usr/bin/env bash
# Installs Debian packages the build or the tests need, when they are missing: idempotent, and
# quiet when everything is there. Needs root (as on the developers' machines and CI); without
# root it names what is missing and fails, so the caller can skip loudly.
#
#   hack/deps/apt.sh umoci skopeo postgresql
set -euo pipefail
missing=()
for pkg in "$@"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q 'install ok installed' || missing+=("$pkg")
done
[[ ${#missing[@]} -eq 0 ]] && exit 0
if [[ $(id -u) -ne 0 ]]; then
  echo "apt: missing Debian packages: ${missing[*]} (run as root, or: sudo apt-get install ${missing[*]})" >&2
  exit 1
fi
echo "apt: installing ${missing[*]}" >&2
# Serialize parallel callers (two test workers, image build and tests): dpkg has its own lock,
# but a second apt-get would fail on it instead of waiting.
exec 9>/tmp/homeostat-apt.lock
flock 9
# The package lists of a new machine may be empty or old: update once per boot.
if [[ ! -f /tmp/homeostat-apt.updated ]]; then
  DEBIAN_FRONTEND=noninteractive apt-get update -qq >&2
  touch /tmp/homeostat-apt.updated
fi
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >&2
