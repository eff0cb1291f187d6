#!/usr/bin/env bash
# Prints a directory holding a Node.js >= 22 binary, installing Node 24 LTS from the npm
# registry into .tools/ when the machine's own Node is older (or missing).
# Why the npm registry: it is the one place every developer machine and CI can reach, and
# the `node` package ships the real binary. Nothing is installed globally.
set -euo pipefail
cd "$(dirname "$0")/.."
want_major=22
pinned=24.21.0

if command -v node >/dev/null 2>&1; then
  major=$(node -p 'process.versions.node.split(".")[0]')
  if [ "$major" -ge "$want_major" ]; then
    dirname "$(command -v node)"
    exit 0
  fi
fi

tools=.tools/node
if [ ! -x "$tools/node_modules/node/bin/node" ] || \
   [ "$("$tools/node_modules/node/bin/node" --version)" != "v$pinned" ]; then
  echo "homeostat: the machine's Node is older than $want_major; installing Node $pinned into $tools" >&2
  mkdir -p "$tools"
  npm install --prefix "$tools" --no-save --no-package-lock --loglevel=error "node@$pinned" >&2
fi
echo "$PWD/$tools/node_modules/node/bin"
