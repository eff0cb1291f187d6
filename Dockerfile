# syntax=docker/dockerfile:1
# Homeostat's images for Docker, Podman or Buildah with a registry. `make image` builds the same
# images without a daemon (hack/image/build.sh): the same Node release, the same esbuild bundles
# (hack/image/bundle.sh, used here too), the same layout, user, entrypoints and env; there the runtime
# layer is assembled from Debian bookworm's .debs, here it is distroless/cc-debian12 (glibc,
# libstdc++, CA certificates, nonroot 65532), which is built from the same packages; the controller
# adds Debian bookworm's libjemalloc2 in both.
#
#   docker build -t ghcr.io/homeostat/homeostat:0.1.0 .                                   # the controller and CLI
#   docker build --target checker -t ghcr.io/homeostat/homeostat-checker:0.1.0 .          # base for checker images
#   docker build --target checker-example --build-arg CHECKER=s3-objects \
#     -t ghcr.io/homeostat/homeostat-checker-s3-objects:0.1.0 .                            # or sql-rows, file-exists
#
# Labels: pass --build-arg REVISION=$(git rev-parse HEAD) --build-arg CREATED=$(git log -1 --format=%cI).
ARG NODE_VERSION=24.21.0
# Set by BuildKit and Buildah to the platform built for (amd64, arm64): picks the controller's env stage.
ARG TARGETARCH

# ---- build: compile, test nothing, bundle ---------------------------------------------------------
FROM docker.io/library/node:${NODE_VERSION}-bookworm-slim AS build
WORKDIR /src
# Dependencies first, so a source change does not reinstall them.
COPY package.json package-lock.json ./
COPY packages/checker-sdk/package.json packages/checker-sdk/
COPY packages/checker-s3-objects/package.json packages/checker-s3-objects/
COPY packages/checker-sql-rows/package.json packages/checker-sql-rows/
COPY packages/checker-file-exists/package.json packages/checker-file-exists/
RUN npm ci --no-audit --no-fund --loglevel=error
COPY tsconfig.json tsconfig.build.json ./
COPY src src
COPY packages packages
COPY web web
COPY hack/image hack/image
ENV PATH=/src/node_modules/.bin:$PATH
# The web page as `make build` makes it (dist/web), bundled into the controller image beside the CLI.
RUN tsc -p packages/checker-sdk && tsc -p tsconfig.build.json \
 && tsc -p web/tsconfig.json \
 && esbuild web/src/main.ts --bundle --minify --format=esm --target=es2022 --log-level=warning --outfile=dist/web/app.js \
 && cp web/index.html web/app.css dist/web/ \
 && hack/image/bundle.sh controller /out/homeostat \
 && hack/image/bundle.sh checker-sdk /out/checker \
 && for c in s3-objects sql-rows file-exists; do hack/image/bundle.sh checker-$c /out/checker-$c; done

# ---- runtime: glibc + libstdc++ + CA certificates + nonroot, and Node -------------------------------
FROM gcr.io/distroless/cc-debian12:nonroot AS runtime
ARG NODE_VERSION
ARG VERSION=0.1.0
ARG REVISION=unknown
ARG CREATED
COPY --from=build /usr/local/bin/node /usr/local/bin/node
ENV PATH=/usr/local/bin:/usr/bin:/bin NODE_ENV=production SSL_CERT_FILE=/etc/ssl/certs/ca-certificates.crt
USER 65532:65532
LABEL org.opencontainers.image.version="${VERSION}" \
      org.opencontainers.image.revision="${REVISION}" \
      org.opencontainers.image.created="${CREATED}" \
      org.opencontainers.image.source="https://github.com/homeostat/homeostat" \
      org.opencontainers.image.licenses="Apache-2.0" \
      dev.homeostat.node.version="${NODE_VERSION}"

# ---- checker: the base of checker images -------------------------------------------------------------
# COPY your checker (ESM) to /app/checker.mjs; it can `import { runChecker } from '@homeostat/checker-sdk'`.
# A StateChecker's args reach it as process.argv.slice(2).
FROM runtime AS checker
COPY --from=build /out/checker/files/ /
WORKDIR /app
ENTRYPOINT ["/usr/local/bin/node", "/app/checker.mjs"]
LABEL org.opencontainers.image.title="Homeostat checker base" \
      org.opencontainers.image.description="Node and @homeostat/checker-sdk: COPY your checker to /app/checker.mjs; it can import { runChecker } from '@homeostat/checker-sdk'."

# ---- checker-example: one of packages/checker-<CHECKER>, bundled ---------------------------------------
FROM checker AS checker-example
ARG CHECKER=s3-objects
COPY --from=build /out/checker-${CHECKER}/files/ /
LABEL org.opencontainers.image.title="Homeostat example checker ${CHECKER}" \
      org.opencontainers.image.description="An example Homeostat state checker (packages/checker-${CHECKER}), on homeostat-checker."

# ---- jemalloc: Debian's libjemalloc2, the malloc the controller preloads ----------------------------------
# Its library, copyright and package status (for image scanners), as hack/image/build.sh adds them.
FROM docker.io/library/debian:bookworm-slim AS jemalloc
RUN apt-get update -qq && apt-get install -y -qq --no-install-recommends libjemalloc2 \
 && lib=$(dpkg -L libjemalloc2 | grep '/libjemalloc\.so\.2$') \
 && install -D -m 0644 "$lib" "/out$lib" \
 && install -D -m 0644 /usr/share/doc/libjemalloc2/copyright /out/usr/share/doc/libjemalloc2/copyright \
 && mkdir -p /out/var/lib/dpkg/status.d && dpkg -s libjemalloc2 >/out/var/lib/dpkg/status.d/libjemalloc2

# ---- the controller's env: hack/image/controller-env, whose @MULTIARCH@ is the platform's multiarch
# directory (test/integration/image.test.ts checks these repeat it); only the controller has it.
FROM runtime AS controller-env-amd64
ENV LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2
FROM runtime AS controller-env-arm64
ENV LD_PRELOAD=/usr/lib/aarch64-linux-gnu/libjemalloc.so.2

# ---- controller: the default target ---------------------------------------------------------------------
FROM controller-env-${TARGETARCH} AS controller
COPY --from=jemalloc /out/ /
COPY --from=build /out/homeostat/files/ /
WORKDIR /
# Node with the controller's flags: hack/image/controller-node-flags, as hack/image/build.sh writes it
# (test/integration/image.test.ts checks the two agree).
ENTRYPOINT ["/usr/local/bin/node", "--max-semi-space-size=8", "--heap-growing-percent=100", "--expose-gc", "/usr/local/lib/homeostat/dist/cli/main.js"]
CMD ["--help"]
LABEL org.opencontainers.image.title="Homeostat" \
      org.opencontainers.image.description="The Homeostat controller and CLI: keeps data in the state its users declared."
