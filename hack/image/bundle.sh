#!/usr/bin/env bash
# hack/image/bundle.sh WHAT STAGE: writes STAGE/files, the files one image adds to the runtime
# layer (a tree rooted at /), with esbuild. Exits 3 when WHAT's inputs do not exist yet.
#
#   controller     dist/cli/main.js (make build) -> /usr/local/lib/homeostat/dist/cli/main.js, one ESM
#                  file, beside a package.json with the version (the CLI reads ../../package.json, as
#                  in an npm install), and /usr/local/bin/homeostat -> that file (#!/usr/local/bin/node; the image's
#                  entrypoint runs it with the controller's Node flags, see build.sh);
#                  the web page, dist/web -> /usr/local/lib/homeostat/dist/web (served from ../../dist/web).
#   checker-sdk    packages/checker-sdk (built to dist/ by make build) -> /app/node_modules/@homeostat/checker-sdk,
#                  where ESM bare-specifier resolution from /app/checker.mjs finds it.
#   checker-NAME   packages/checker-NAME/src/main.ts -> /app/checker.mjs, one ESM file with its
#                  dependencies (AWS SDK, pg) but not the SDK, which it imports from the base image.
set -euo pipefail
cd "$(dirname "$0")/../.."
what=$1 files=$(realpath -m "$2/files")
rm -rf "$files"
mkdir -p "$files"
# CommonJS dependencies inside an ESM bundle call require() for Node's built-ins.
require_shim="import { createRequire as __homeostatCreateRequire } from 'node:module'; const require = __homeostatCreateRequire(import.meta.url);"
common=(--bundle --platform=node --format=esm --target=node24 --log-level=warning --legal-comments=eof
  --minify-syntax --minify-whitespace --keep-names "--banner:js=$require_shim")

missing() { echo "image: $what: $1 does not exist yet" >&2; exit 3; }

case $what in
  controller)
    [[ -f dist/cli/main.js ]] || missing "dist/cli/main.js (make build)"
    [[ -f dist/web/app.js ]] || missing "dist/web/app.js (make build)"
    lib=$files/usr/local/lib/homeostat
    mkdir -p "$lib/dist/cli" "$files/usr/local/bin"
    cp -r dist/web "$lib/dist/web"
    rm -f "$lib/dist/web/.built"
    esbuild dist/cli/main.js "${common[@]}" --outfile="$lib/dist/cli/main.js"
    # ASCII only: one non-ASCII character (esbuild leaves a regex's and a license comment's) makes V8
    # hold the whole 6 MB source as a two-byte string, 6 MB more for the controller's whole life.
    # \uXXXX means the same character in a string, a regex and a comment.
    node -e 'const fs = require("fs"); const f = process.argv[1]; fs.writeFileSync(f, fs.readFileSync(f, "utf8").replace(/[^\x00-\x7f]/g, (c) => "\\u" + c.charCodeAt(0).toString(16).padStart(4, "0")))' "$lib/dist/cli/main.js"
    # The entry's `#!/usr/bin/env node` needs /usr/bin/env, which the image does not have. The
    # controller's Node flags are not on this line (a #! line passes one argument): build.sh puts them
    # in the image's entrypoint; this line serves `homeostat` run by hand in the container.
    shebang="#!/usr/local/bin/node"
    sed -i "1s|^#!.*|$shebang|" "$lib/dist/cli/main.js"
    head -1 "$lib/dist/cli/main.js" | grep -qxF "$shebang" || { echo "image: the bundle has no #! line" >&2; exit 1; }
    chmod 0755 "$lib/dist/cli/main.js"
    node -e 'const p = require("./package.json"); process.stdout.write(JSON.stringify({ name: p.name, version: p.version, type: "module", license: p.license }, null, 2) + "\n")' >"$lib/package.json"
    ln -s ../lib/homeostat/dist/cli/main.js "$files/usr/local/bin/homeostat"
    # The bundle must run on its own (no node_modules beside it).
    version=$(cd / && node "$lib/dist/cli/main.js" --version)
    [[ $version == "$(node -p 'require("./package.json").version')" ]] || { echo "image: the bundle says version '$version'" >&2; exit 1; }
    ;;
  checker-sdk)
    pkg=packages/checker-sdk
    [[ -f $pkg/dist/index.js ]] || missing "$pkg/dist/index.js (make build)"
    dest=$files/app/node_modules/@homeostat/checker-sdk
    mkdir -p "$dest"
    cp "$pkg/package.json" "$dest/"
    for f in README.md LICENSE; do [[ ! -f $pkg/$f ]] || cp "$pkg/$f" "$dest/"; done
    (cd "$pkg" && find dist -type f \( -name '*.js' -o -name '*.d.ts' \) ! -name '*.test.*' -print0 | xargs -0 cp --parents -t "$dest")
    ;;
  checker-*)
    main=packages/$what/src/main.ts
    [[ -f $main ]] || missing "$main"
    mkdir -p "$files/app"
    # pg-native and the CRT signer are optional: required only when asked for, never here.
    esbuild "$main" "${common[@]}" --outfile="$files/app/checker.mjs" \
      --external:@homeostat/checker-sdk --external:pg-native --external:@aws-sdk/signature-v4-crt
    ;;
  *) echo "image: bundle.sh: unknown $what" >&2; exit 2 ;;
esac
find "$files" -type d -exec chmod 0755 {} +
find "$files" -type f ! -perm -u+x -exec chmod 0644 {} +
[[ $(id -u) -ne 0 ]] || chown -hR 0:0 "$files"
