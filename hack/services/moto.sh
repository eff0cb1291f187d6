#!/usr/bin/env bash
# Prints the path of a moto_server binary (a real S3 API server, in Python, from PyPI), creating
# once a virtualenv cached at ${HOMEOSTAT_CACHE:-$HOME/.cache/homeostat}/moto. Idempotent; safe
# to call from parallel test workers (flock). Needs python3 (>= 3.9) with the venv module and
# access to PyPI; when either is missing it says why on stderr and exits 1, so callers can skip
# loudly.
#
#   moto_server=$(hack/services/moto.sh) && "$moto_server" -H 127.0.0.1 -p 5000
set -euo pipefail
# Pinned: a new moto may change behaviour under the tests; bump deliberately.
MOTO_VERSION=5.2.5
cache=${HOMEOSTAT_CACHE:-$HOME/.cache/homeostat}
venv=$cache/moto
bin=$venv/bin/moto_server
stamp=$venv/.homeostat-moto-$MOTO_VERSION

if [[ -x $bin && -f $stamp ]]; then
  echo "$bin"
  exit 0
fi

python=${PYTHON:-python3}
if ! command -v "$python" >/dev/null 2>&1; then
  echo "moto: no $python on PATH (install python3 and python3-venv, e.g. hack/deps/apt.sh python3-venv)" >&2
  exit 1
fi

mkdir -p "$cache"
exec 9>"$cache/moto.lock"
flock 9
# Another caller may have finished while we waited.
if [[ -x $bin && -f $stamp ]]; then
  echo "$bin"
  exit 0
fi

echo "moto: installing moto[server]==$MOTO_VERSION into $venv (once)" >&2
rm -rf "$venv"
if ! "$python" -m venv "$venv" >&2; then
  echo "moto: '$python -m venv' failed (on Debian: hack/deps/apt.sh python3-venv)" >&2
  rm -rf "$venv"
  exit 1
fi
if ! "$venv/bin/pip" install --quiet --disable-pip-version-check "moto[server]==$MOTO_VERSION" >&2; then
  echo "moto: pip could not install moto[server]==$MOTO_VERSION from PyPI" >&2
  rm -rf "$venv"
  exit 1
fi
touch "$stamp"
echo "$bin"
