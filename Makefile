# Homeostat. Every target installs what it needs: Node >= 22 (Node 24 from the npm registry when the
# machine's Node is older) and the npm dependencies from package-lock.json.
SHELL := bash
NODE_BIN := $(shell scripts/node-bin.sh)
export PATH := $(NODE_BIN):$(CURDIR)/node_modules/.bin:$(PATH)

EXAMPLES ?= examples/quickstart
DEPS := node_modules/.package-lock.json

.PHONY: run run-once run-controller test test-unit test-packages test-integration envtest helm image chart lint build generate bench bench-peers fuzz clean deps

# package.json pins unrs-resolver (a jest dependency) to 1.12.2: some of 1.13.0's optional platform
# packages are not on the registry, and npm >= 11.16 then writes a lock file its own `npm ci` rejects.
deps: $(DEPS)
$(DEPS): package.json package-lock.json
	npm ci --no-audit --no-fund --loglevel=error
	@touch $@

# The checker SDK (packages/checker-sdk) first: the controller imports its protocol and compact verdict.
packages/checker-sdk/dist/.built: $(DEPS) $(shell find packages/checker-sdk/src -name '*.ts') packages/checker-sdk/tsconfig.json packages/checker-sdk/package.json tsconfig.json
	tsc -p packages/checker-sdk
	@touch $@

dist/.built: $(DEPS) packages/checker-sdk/dist/.built $(shell find src -name '*.ts' -not -name '*.test.ts') tsconfig.json tsconfig.build.json
	tsc -p tsconfig.build.json
	@touch $@

# The web page (web/): bundled by esbuild, no CDN; the server reads dist/web (src/server/webPage.ts).
dist/web/.built: $(DEPS) $(shell find web -type f) tsconfig.json
	tsc -p web/tsconfig.json
	esbuild web/src/main.ts --bundle --minify --format=esm --target=es2022 --log-level=warning --outfile=dist/web/app.js
	@# The layout worker: elkjs lays the graph out off the page's thread (web/src/layoutWorker.ts).
	esbuild web/src/layoutWorker.ts --bundle --minify --format=esm --target=es2022 --log-level=warning --outfile=dist/web/layout-worker.js
	cp web/index.html web/app.css dist/web/
	@touch $@

build: dist/.built dist/web/.built

UI_ADDR ?= 127.0.0.1:0
## run: reconcile the quickstart example in embedded mode (no cluster), until Ctrl-C; it prints the
## web page's URL (UI_ADDR=127.0.0.1:8090 for a fixed port).
run: build
	node dist/cli/main.js dev $(EXAMPLES) --ui-addr $(UI_ADDR)

## run-once: the same, but exit 0 once everything is Satisfied.
run-once: build
	node dist/cli/main.js dev $(EXAMPLES) --until-converged --timeout 120s

METRICS_ADDR ?= :8080
## run-controller: the controller against the cluster of $KUBECONFIG (or ~/.kube/config), after
## installing the CRDs. NAMESPACE=ns limits it to one namespace. It stands for the same leader
## election Lease (homeostat-system/homeostat-controller) as a deployed controller, so it waits
## while one leads.
run-controller: build
	kubectl apply -f crds/ -f manifests/namespace.yaml
	node dist/cli/main.js controller --metrics-addr $(METRICS_ADDR) $(if $(NAMESPACE),--namespace $(NAMESPACE)) --leader-election-namespace homeostat-system

## test: every test suite: unit; the packages' (checker SDK, example checkers against a real S3
## server and PostgreSQL); then integration against a real kube-apiserver + etcd, the images and the
## chart. What cannot be had is skipped loudly; with CI=true that is a failure.
test: test-unit test-packages test-integration

test-unit: build
	@# The browser tests (test/browser) drive Debian's chromium with playwright-core, no download.
	-@hack/deps/apt.sh chromium
	npm test --silent

## test-integration: test/integration; the binaries are built once from the Go module proxy (~8 min cold).
test-integration: $(DEPS) image
	@# The image tests run images with crun where it can be had (as root), else unshare + chroot.
	-@hack/deps/apt.sh crun
	npm run test:integration --silent

## test-packages: the tests of packages/ (the checker SDK and the example checkers).
test-packages: build
	npm run test:packages --silent

## envtest: build (once) and cache the kube-apiserver and etcd binaries of the integration tests.
envtest:
	hack/envtest/setup.sh

## helm: build (once) and cache helm from the Go module proxy (hack/helm/setup.sh).
helm:
	hack/helm/setup.sh

## chart: lint charts/homeostat and render it with default and non-default values.
chart:
	hack/helm/chart.sh

## image: the OCI image archives under dist/images/, built without a Docker daemon (hack/image/build.sh).
image: build
	hack/image/build.sh

lint: $(DEPS)
	tsc -p tsconfig.json --noEmit
	tsc -p web/tsconfig.json
	eslint src test bench scripts packages web

## generate: crds/ and src/api/generated/ from the one schema source in src/api/schema/, the chart's copy
## of the CRDs (charts/homeostat/files/crds/) and manifests/ rendered from the chart (helm from hack/helm/setup.sh).
generate: $(DEPS)
	tsx scripts/generate.ts

## bench: the benchmarks under bench/, printing their figures.
bench: build
	@# The web page benchmarks (bench/webView.ts, bench/nodePage.ts) drive Debian's chromium.
	-@hack/deps/apt.sh chromium
	tsx bench/run.ts

## bench-peers: the Mediator scenario on Homeostat (embedded mode) and on Apache Airflow 3 (standalone,
## from PyPI into ~/.cache/homeostat/airflow-VERSION-venv on the first run), one after the other, and
## the side-by-side table (bench/peers/README.md). Not part of test, bench or CI; about 5 minutes.
bench-peers: build
	tsx bench/peers/run.ts

FUZZ_RUNS ?= 10000
## fuzz: test/fuzz with FUZZ_RUNS generated cases (10,000; `make test` runs 200), seeded by FUZZ_SEED
## (fixed unless given), then bench/fuzz.ts: the same cases timed, the slowest objects printed.
fuzz: $(DEPS)
	FUZZ_RUNS=$(FUZZ_RUNS) npm test --silent -- test/fuzz
	FUZZ_RUNS=$(FUZZ_RUNS) tsx bench/fuzz.ts

clean:
	rm -rf dist coverage packages/*/dist
