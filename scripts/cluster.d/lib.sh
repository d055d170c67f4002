# Shared settings and helpers for scripts/cluster. Sourced, not run.
# shellcheck shell=bash

KUBE_VERSION=1.34.4
STAGING_VERSION=0.34.4
CONTAINERD_VERSION=2.2.9
PAUSE_IMAGE=registry.k8s.io/pause:3.10.1
# The plugin's default debug image; the local registry serves Debian's static
# BusyBox under this name (see docs/cluster.md).
BUSYBOX_TAG=1.37.0

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
REPO=$(cd "$HERE/../.." && pwd)
CACHE=${DD_CACHE:-$HOME/.cache/distroless-debug}
STATE=${DD_CLUSTER_STATE:-$CACHE/cluster}
BIN=$CACHE/bin
KUBE_BUILD=$CACHE/kube-build-$KUBE_VERSION
CONTAINERD_BUILD=$CACHE/containerd-$CONTAINERD_VERSION
PKI=$STATE/pki
RUN=$STATE/run
LOGS=$STATE/logs
KUBECONFIG_FILE=$STATE/kubeconfig
ADMIN_KUBECONFIG=$STATE/admin.kubeconfig

# The node lives in its own network namespace, joined to the host by a veth
# pair: the kubelet refuses a loopback node IP, and nothing here may use the
# machine's own network address.
NETNS=dd-node
HOST_IF=dd-host0
NODE_IF=dd-node0
HOST_IP=10.213.213.1
NODE_IP=10.213.213.2
NET_PREFIX=30
POD_CIDR=10.244.0.0/24
SERVICE_CIDR=10.96.0.0/16
NODE_NAME=dd-node
API_PORT=6443
REGISTRY_ADDR=127.0.0.1:5000

COMPONENTS=(etcd registry registry-bridge kube-apiserver apiserver-bridge kube-controller-manager kube-scheduler containerd kubelet)

log() { printf '[cluster %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'cluster: %s\n' "$*" >&2; exit 1; }

pidfile() { echo "$RUN/$1.pid"; }

is_running() {
  local f; f=$(pidfile "$1")
  [[ -f $f ]] && kill -0 "$(cat "$f")" 2>/dev/null
}

# start NAME [--netns] CMD...: start a long-running component in the background,
# detached from this shell, and record its PID. Skips one that is already up.
start() {
  local name=$1; shift
  local netns=()
  if [[ ${1:-} == --netns ]]; then
    # nsenter (not `ip netns exec`) joins only the network namespace: the kubelet,
    # containerd and runc must share the host's mount namespace to see each
    # other's volume mounts.
    netns=(nsenter "--net=/run/netns/$NETNS"); shift
  fi
  if is_running "$name"; then return 0; fi
  mkdir -p "$RUN" "$LOGS"
  log "starting $name"
  setsid "${netns[@]}" "$@" >>"$LOGS/$name.log" 2>&1 < /dev/null &
  echo $! >"$(pidfile "$name")"
}

stop() {
  local name=$1 f pid i
  f=$(pidfile "$name")
  [[ -f $f ]] || return 0
  pid=$(cat "$f")
  if kill -0 "$pid" 2>/dev/null; then
    log "stopping $name ($pid)"
    kill "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  fi
  rm -f "$f"
}

# wait_for DESCRIPTION SECONDS CMD...: retry CMD until it succeeds.
wait_for() {
  local what=$1 secs=$2; shift 2
  local deadline=$((SECONDS + secs))
  until "$@" >/dev/null 2>&1; do
    if ((SECONDS >= deadline)); then
      die "timed out after ${secs}s waiting for $what (logs: $LOGS)"
    fi
    sleep 0.5
  done
}

kctl() { "$BIN/kubectl" --kubeconfig "$ADMIN_KUBECONFIG" "$@"; }
