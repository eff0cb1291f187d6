#!/usr/bin/env bash
# Starts a throw-away control plane (etcd + kube-apiserver, no controller-manager,
# no scheduler, no kubelet) on loopback, for manual testing and as the reference
# for the TypeScript test harness. Binaries come from setup.sh.
#
#   start.sh [KUBECONFIG]   start; writes the kubeconfig (default $RUN_DIR/kubeconfig)
#                           and prints its path on stdout once /readyz is ok
#   start.sh stop           stop the processes listed in $RUN_DIR/pids, remove $RUN_DIR
#
#   ENVTEST_RUN_DIR  state dir: etcd data, certs, keys, logs, pids
#                    (default /tmp/homeostat-envtest; use one per parallel instance)
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
RUN_DIR=${ENVTEST_RUN_DIR:-/tmp/homeostat-envtest}
log() { echo "envtest: $*" >&2; }

stop() {
  [[ -f $RUN_DIR/pids ]] || { log "nothing running in $RUN_DIR"; return 0; }
  # Reverse order: kube-apiserver first, then etcd.
  for pid in $(tac "$RUN_DIR/pids"); do
    kill "$pid" 2>/dev/null || continue
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  done
  rm -rf "$RUN_DIR"
  log "stopped"
}

if [[ ${1:-} == stop ]]; then stop; exit 0; fi
[[ ! -f $RUN_DIR/pids ]] || { log "already running (see $RUN_DIR); run: $0 stop"; exit 1; }

BIN=$("$HERE/setup.sh" | sed -n 's/^envtest binaries in //p')
KUBECONFIG_OUT=${1:-$RUN_DIR/kubeconfig}
mkdir -p "$RUN_DIR/certs"
: >"$RUN_DIR/pids"
# On any failure before readiness, stop what was started.
trap 'log "failed; logs in $RUN_DIR/*.log"; tail -n 20 "$RUN_DIR"/*.log >&2 || true; stop' ERR

# A random port nobody listens on (bash /dev/tcp connect fails => free).
free_port() {
  local p
  while :; do
    p=$(shuf -i 20000-60999 -n 1)
    (exec 3<>"/dev/tcp/127.0.0.1/$p") 2>/dev/null || { echo "$p"; return; }
  done
}

# ---- etcd ---------------------------------------------------------------------
# Peer URL on port 0: a single member never talks to peers, and the default 2380
# would collide between parallel instances.
ETCD_PORT=$(free_port)
"$BIN/etcd" --data-dir="$RUN_DIR/etcd" \
  --listen-client-urls="http://127.0.0.1:$ETCD_PORT" \
  --advertise-client-urls="http://127.0.0.1:$ETCD_PORT" \
  --listen-peer-urls=http://127.0.0.1:0 \
  --unsafe-no-fsync \
  >"$RUN_DIR/etcd.log" 2>&1 &
ETCD_PID=$!
echo $ETCD_PID >>"$RUN_DIR/pids"
for _ in $(seq 100); do
  kill -0 "$ETCD_PID" 2>/dev/null || break
  curl -fsS "http://127.0.0.1:$ETCD_PORT/health" >/dev/null 2>&1 && break
  sleep 0.2
done
curl -fsS "http://127.0.0.1:$ETCD_PORT/health" >/dev/null
log "etcd on 127.0.0.1:$ETCD_PORT"

# ---- credentials ----------------------------------------------------------------
# Static token for an admin in system:masters (bypasses RBAC authorization).
TOKEN=$(openssl rand -hex 24)
echo "$TOKEN,admin,admin-uid,\"system:masters\"" >"$RUN_DIR/tokens.csv"
# Service account signing key pair: required flags even though no one mints tokens
# here except TokenRequest (which does work with it).
openssl genrsa -out "$RUN_DIR/sa.key" 2048 2>/dev/null
openssl rsa -in "$RUN_DIR/sa.key" -pubout -out "$RUN_DIR/sa.pub" 2>/dev/null

# ---- kube-apiserver -------------------------------------------------------------
# --cert-dir: no serving cert given, so it self-signs apiserver.crt (cert + its CA).
# --disable-admission-plugins=ServiceAccount: no controller-manager creates the
#   "default" ServiceAccount, so Pod creation would otherwise be rejected.
API_PORT=$(free_port)
"$BIN/kube-apiserver" \
  --advertise-address=127.0.0.1 --bind-address=127.0.0.1 --secure-port="$API_PORT" \
  --cert-dir="$RUN_DIR/certs" \
  --etcd-servers="http://127.0.0.1:$ETCD_PORT" \
  --token-auth-file="$RUN_DIR/tokens.csv" \
  --authorization-mode=RBAC \
  --service-account-issuer=https://kubernetes.default.svc.cluster.local \
  --service-account-key-file="$RUN_DIR/sa.pub" \
  --service-account-signing-key-file="$RUN_DIR/sa.key" \
  --service-cluster-ip-range=10.0.0.0/24 \
  --disable-admission-plugins=ServiceAccount \
  --allow-privileged=true \
  >"$RUN_DIR/kube-apiserver.log" 2>&1 &
API_PID=$!
echo $API_PID >>"$RUN_DIR/pids"

URL=https://127.0.0.1:$API_PORT
for _ in $(seq 300); do  # ~5 s is typical; give up after 60 s or if it exits
  kill -0 "$API_PID" 2>/dev/null || break
  [[ $(curl -ks -H "Authorization: Bearer $TOKEN" "$URL/readyz" 2>/dev/null) == ok ]] && break
  sleep 0.2
done
[[ $(curl -ks -H "Authorization: Bearer $TOKEN" "$URL/readyz") == ok ]]
log "kube-apiserver on $URL"

# certs/apiserver.crt holds the serving cert followed by the self-signed CA that
# issued it, so it doubles as the certificate-authority for clients.
mkdir -p "$(dirname "$KUBECONFIG_OUT")"
cat >"$KUBECONFIG_OUT" <<EOF
apiVersion: v1
kind: Config
clusters:
- name: envtest
  cluster:
    server: $URL
    certificate-authority: $RUN_DIR/certs/apiserver.crt
users:
- name: admin
  user:
    token: $TOKEN
contexts:
- name: envtest
  context: {cluster: envtest, user: admin}
current-context: envtest
EOF
chmod 600 "$KUBECONFIG_OUT"
trap - ERR
echo "$KUBECONFIG_OUT"
