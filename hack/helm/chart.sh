#!/usr/bin/env bash
# `make chart`: lint charts/homeostat strictly and render it with its default values, with every
# values file under charts/homeostat/ci/ (the non-default shapes), and with every bad values file
# under hack/helm/bad-values/, each of which must FAIL with a clear message (a schema violation or
# the chart's own `fail`). Renders are also parsed as YAML. Uses hack/helm/setup.sh's helm.
set -euo pipefail
cd "$(dirname "$0")/../.."
CHART=charts/homeostat
HELM=$(hack/helm/setup.sh)
out=$(mktemp -d); trap 'rm -rf "$out"' EXIT
failures=0
fail() { echo "chart: FAIL: $*" >&2; failures=$((failures + 1)); }
ok() { echo "chart: ok: $*" >&2; }

# Kubernetes 1.30 is the chart's kubeVersion floor; render for it as well as for helm's default.
lint_args=(--strict --namespace homeostat-system)
"$HELM" lint "${lint_args[@]}" "$CHART" >&2 && ok "helm lint --strict (default values)" || fail "helm lint --strict"
for values in "$CHART"/ci/*.yaml; do
  "$HELM" lint "${lint_args[@]}" -f "$values" "$CHART" >/dev/null && ok "helm lint --strict -f $values" || fail "helm lint -f $values"
done

render() { # name, then helm template args
  local name=$1; shift
  if "$HELM" template homeostat "$CHART" -n homeostat-system "$@" >"$out/$name.yaml" 2>"$out/$name.err"; then
    # Every document must be YAML with a kind: a template bug can render text Helm accepts.
    if grep -q '^kind: ' "$out/$name.yaml" && ! grep -qi 'error' "$out/$name.err"; then ok "helm template $name ($(grep -c '^kind: ' "$out/$name.yaml") objects)"; else fail "helm template $name: $(cat "$out/$name.err")"; fi
  else
    fail "helm template $name: $(cat "$out/$name.err")"
  fi
}
render default
render default-k8s-1.30 --kube-version 1.30.0
for values in "$CHART"/ci/*.yaml; do render "$(basename "$values" .yaml)" -f "$values"; done

# What the defaults must render: the names tests and manifests/ use, the CRDs with keep, the restricted profile.
expect() { grep -qE -- "$2" "$out/$1.yaml" && ok "$1 has /$2/" || fail "$1 lacks /$2/"; }
expect default '^  name: homeostat-controller$'
expect default 'helm.sh/resource-policy: keep'
expect default '^kind: CustomResourceDefinition$'
expect default '--leader-election-id=homeostat-controller'
expect default '--advertise-url=https://homeostat-controller.homeostat-system.svc:8080'
expect default '--tls-cert-file=/etc/homeostat/tls/tls.crt'
expect default 'scheme: HTTPS'
expect default '^kind: NetworkPolicy$'
expect default '^  name: homeostat-controller-tls$'
expect cert-manager-values '^kind: Certificate$'
expect cert-manager-values 'values: \["team-a","homeostat-system"\]'
expect cert-manager-values 'kubernetes.io/metadata.name: monitoring'
expect existing-secret-values 'secretName: homeostat-serving-cert'
expect default 'runAsNonRoot: true'
expect default 'readOnlyRootFilesystem: true'
expect default 'image: ghcr.io/homeostat/homeostat:0.1.0$'
expect full-values '--namespace=team-a,team-b'
expect full-values '^  namespace: team-b$'
expect full-values 'image: registry.example.com/homeostat@sha256:0123'
expect full-values '^kind: ServiceMonitor$'
expect full-values '^kind: PodDisruptionBudget$'
expect full-values '^kind: NetworkPolicy$'
expect full-values '--checker-url-allow=127.0.0.1/32,fd00::/8,metadata.google.internal'
expect full-values '--values-from-require-label=true'
expect default '--definition-sources=true'
expect full-values '--source-directory-root=/sources/team-a$'
expect full-values '--source-directory-root=/sources/git$'
expect full-values 'name: source-team-a, mountPath: "/sources/team-a", readOnly: true'
expect full-values '^        - name: git-sync$'
expect full-values 'resources: \[secrets\]'
grep -q '^kind: ClusterRole$' "$out/default.yaml" && ok "default: a ClusterRole" || fail "default: no ClusterRole"
# watchNamespaces: the controller's rules in a Role, none in a ClusterRole (only the observation-writer one).
[[ $(grep -c '^kind: ClusterRole$' "$out/full-values.yaml") == 1 ]] && ok "full-values: one ClusterRole (observation-writer)" || fail "full-values: the controller's rules are cluster-wide"

# Bad values: must fail, with the message a user needs.
for values in hack/helm/bad-values/*.yaml; do
  if "$HELM" template homeostat "$CHART" -n homeostat-system -f "$values" >/dev/null 2>"$out/bad.err"; then
    fail "$values rendered, but must fail"
  elif grep -qE "don't meet the specifications of the schema|execution error at .*: (replicas|tls|sources):" "$out/bad.err"; then
    ok "$values fails: $(grep -E '^- at |execution error' "$out/bad.err" | head -1 | sed 's/^Error: //')"
  else
    fail "$values fails without a clear message: $(cat "$out/bad.err")"
  fi
done

if ((failures)); then echo "chart: $failures failure(s)" >&2; exit 1; fi
echo "chart: $CHART lints and renders" >&2
