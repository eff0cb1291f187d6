#!/usr/bin/env bash
# Prints the directory holding the PostgreSQL server binaries (initdb, postgres, pg_ctl),
# installing the Debian package `postgresql` (hack/deps/apt.sh) when none is found. Set
# HOMEOSTAT_PG_BIN to use another installation. Exits 1 with the reason on stderr when no server
# can be had, so callers can skip loudly.
#
#   pg_bin=$(hack/services/postgres.sh) && "$pg_bin/initdb" --version
set -euo pipefail
cd "$(dirname "$0")/../.."

find_bin() {
  if [[ -n ${HOMEOSTAT_PG_BIN:-} ]]; then
    [[ -x $HOMEOSTAT_PG_BIN/initdb && -x $HOMEOSTAT_PG_BIN/postgres ]] && { echo "$HOMEOSTAT_PG_BIN"; return 0; }
    echo "postgres: HOMEOSTAT_PG_BIN=$HOMEOSTAT_PG_BIN holds no initdb and postgres" >&2
    return 2
  fi
  # Debian: /usr/lib/postgresql/<major>/bin, the newest first; then whatever is on PATH.
  local dir
  for dir in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -rn); do
    [[ -x $dir/initdb && -x $dir/postgres ]] && { echo "$dir"; return 0; }
  done
  if command -v initdb >/dev/null 2>&1 && command -v postgres >/dev/null 2>&1; then
    dirname "$(command -v initdb)"
    return 0
  fi
  return 1
}

status=0
find_bin || status=$?
[[ $status -eq 0 ]] && exit 0
[[ $status -eq 2 ]] && exit 1
if ! command -v dpkg-query >/dev/null 2>&1; then
  echo "postgres: no PostgreSQL server binaries (initdb, postgres) found, and this is not Debian: install PostgreSQL or set HOMEOSTAT_PG_BIN" >&2
  exit 1
fi
hack/deps/apt.sh postgresql >&2 || { echo "postgres: could not install the Debian package postgresql" >&2; exit 1; }
find_bin || { echo "postgres: the postgresql package is installed but no initdb/postgres was found under /usr/lib/postgresql/*/bin" >&2; exit 1; }
