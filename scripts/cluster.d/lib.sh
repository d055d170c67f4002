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
ETCD_PORT=2379
ETCD_PEER_PORT=2380
KCM_PORT=10257
SCHEDULER_PORT=10259
CNI_NETWORK=dd-pods
CNI_BRIDGE=dd-cni0
# Kubernetes binaries (a version cluster keeps its own, see versions.sh).
KBIN=$BIN
# Extra kubelet configuration lines (a version cluster's cgroup root).
KUBELET_EXTRA_CONFIG=
# A mount namespace file for containerd and the kubelet (version clusters only).
NODE_MNTNS=
# Extra containerd configuration (a version cluster turns NRI off).
CONTAINERD_EXTRA_CONFIG=
VERSION_CLUSTER=

# `scripts/cluster --kubernetes VERSION ...` or DD_KUBERNETES=VERSION: a
# separate cluster of that version next to the default one (versions.sh).
if [[ -n ${DD_KUBERNETES:-} ]]; then
  # shellcheck source=versions.sh
  source "$HERE/versions.sh"
  apply_kubernetes_version "$DD_KUBERNETES"
fi
# containerd's state (task bundles, the containers' root filesystems) lives
# under /run, not under $STATE: $HOME is /root here, mode 0700, and a pod with
# hostUsers: false runs as a mapped UID that must traverse the path to its
# rootfs (runc's remount-private of the rootfs fails with EACCES otherwise;
# see docs/cluster.md, "User namespaces").
RUN_STATE_BASE=/run/distroless-debug/${STATE##*/}

COMPONENTS=(etcd registry registry-bridge kube-apiserver apiserver-bridge kube-controller-manager kube-scheduler containerd kubelet)
if [[ -n ${VERSION_CLUSTER:-} ]]; then
  COMPONENTS=(etcd registry registry-bridge kube-apiserver apiserver-bridge kube-controller-manager kube-scheduler node-mntns containerd kubelet)
fi

log() { printf '[cluster %s] %s\n' "$(date +%H:%M:%S)" "$*" >&2; }
die() { printf 'cluster: %s\n' "$*" >&2; exit 1; }

pidfile() { echo "$RUN/$1.pid"; }
# NAME.start holds "PID STARTTIME" of the process we started, so that a PID
# the kernel has since given to someone else is never taken for ours. It is a
# separate file because older checkouts read NAME.pid with a bare `cat`.
startfile() { echo "$RUN/$1.start"; }

# The executable each component runs as (after setsid, nsenter and env exec).
declare -A EXE=(
  [etcd]=etcd [registry]=docker-registry [registry-bridge]=socat
  [kube-apiserver]=kube-apiserver [apiserver-bridge]=socat
  [kube-controller-manager]=kube-controller-manager [kube-scheduler]=kube-scheduler
  [containerd]=containerd [kubelet]=kubelet [node-mntns]=sleep
)

# Where each component listens in the host's network namespace (containerd and
# the kubelet live in the node's own namespace, which nobody else uses).
declare -A LISTENS=(
  [etcd]="127.0.0.1:$ETCD_PORT 127.0.0.1:$ETCD_PEER_PORT"
  [registry]=$REGISTRY_ADDR
  [registry-bridge]=$HOST_IP:${REGISTRY_ADDR##*:}
  [kube-apiserver]=127.0.0.1:$API_PORT
  [apiserver-bridge]=$HOST_IP:$API_PORT
  [kube-controller-manager]=127.0.0.1:$KCM_PORT
  [kube-scheduler]=127.0.0.1:$SCHEDULER_PORT
)

# proc_start_time PID: the process's start time in clock ticks since boot
# (field 22 of /proc/PID/stat; the command name before it may hold spaces).
proc_start_time() {
  local stat
  stat=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
  stat=${stat##*) }
  # shellcheck disable=SC2086 # word splitting is the point
  set -- $stat
  echo "${20}"
}

# is_running NAME: the PID in NAME's pid file is alive and is the process this
# script started (same start time; or, for a pid file written by an older
# checkout, the component's executable).
is_running() {
  local name=$1 f pid rec_pid rec_start exe
  f=$(pidfile "$name")
  [[ -f $f ]] || return 1
  pid=$(cat "$f")
  [[ $pid =~ ^[0-9]+$ ]] && kill -0 "$pid" 2>/dev/null || return 1
  if [[ -f $(startfile "$name") ]]; then
    read -r rec_pid rec_start <"$(startfile "$name")" || true
    if [[ $rec_pid == "$pid" ]]; then
      [[ $(proc_start_time "$pid") == "$rec_start" ]]
      return
    fi
  fi
  # No (or a stale) start record: the pid file comes from an older checkout.
  # Adopt the process if it runs the component's executable.
  exe=$(readlink "/proc/$pid/exe" 2>/dev/null) || return 1
  [[ ${exe##*/} == "${EXE[$name]:-$name}" ]] || return 1
  # Best effort: `status` may run where the state is read-only.
  echo "$pid $(proc_start_time "$pid")" 2>/dev/null >"$(startfile "$name")" || true
}

# is_ours NAME PID: PID is NAME's process or one of its descendants (socat
# forks a child per connection, which inherits the listening socket).
is_ours() {
  local name=$1 pid=$2 top ppid
  is_running "$name" || return 1
  top=$(cat "$(pidfile "$name")")
  while [[ -n $pid && $pid != 0 && $pid != 1 ]]; do
    [[ $pid == "$top" ]] && return 0
    ppid=$(awk '/^PPid:/ {print $2}' "/proc/$pid/status" 2>/dev/null) || return 1
    pid=$ppid
  done
  return 1
}

# listeners ADDR:PORT: "PID COMMAND" of every process holding a TCP listening
# socket that a bind to ADDR:PORT would collide with (same address, or a
# wildcard on either side).
listeners() {
  local addr=${1%:*} port=${1##*:} line local_addr users
  while read -r line; do
    [[ -n $line ]] || continue
    # State Recv-Q Send-Q Local:Port Peer:Port users:(("comm",pid=N,fd=M),...)
    read -r _ _ _ local_addr _ users <<<"$line"
    local_addr=${local_addr%:*}
    local_addr=${local_addr%%%*}
    case $local_addr in
      "$addr" | 0.0.0.0 | '*' | '[::]' | '[::ffff:0.0.0.0]') ;;
      *) [[ $addr == 0.0.0.0 ]] || continue ;;
    esac
    grep -o '"[^"]*",pid=[0-9]*' <<<"$users" | sed 's/^"\(.*\)",pid=\([0-9]*\)$/\2 \1/'
  done < <(ss -Hltnp "sport = :$port" 2>/dev/null)
}

# check_ports NAME: every address NAME listens on is free or held by NAME
# itself. Someone else's etcd, registry or API server on our port must be an
# error: a health check would otherwise pass against the wrong process.
check_ports() {
  local name=$1 a pid comm
  for a in ${LISTENS[$name]:-}; do
    while read -r pid comm; do
      [[ -n $pid ]] || continue
      is_ours "$name" "$pid" && continue
      die "port ${a##*:} ($a, wanted by $name) is already in use by pid $pid ($comm), which this cluster did not start; stop it or free the port, then run scripts/cluster up again"
    done < <(listeners "$a")
  done
}

# start NAME [--netns | --netns-of NETNS] CMD...: start a long-running component in the background,
# detached from this shell, and record its PID. Skips one that is already up.
start() {
  local name=$1; shift
  local netns=()
  if [[ ${1:-} == --netns ]]; then
    # nsenter (not `ip netns exec`) joins only the network namespace: the kubelet,
    # containerd and runc must share the host's mount namespace to see each
    # other's volume mounts.
    netns=(nsenter "--net=/run/netns/$NETNS"); shift
    # A version cluster's node also has its own mount namespace (versions.sh).
    if [[ -n $NODE_MNTNS ]]; then netns+=("--mount=$NODE_MNTNS"); fi
  elif [[ ${1:-} == --netns-of ]]; then
    netns=(nsenter "--net=/run/netns/$2"); shift 2
  fi
  check_ports "$name"
  if is_running "$name"; then return 0; fi
  mkdir -p "$RUN" "$LOGS"
  log "starting $name"
  setsid "${netns[@]}" "$@" >>"$LOGS/$name.log" 2>&1 < /dev/null &
  local pid=$!
  echo "$pid $(proc_start_time "$pid")" >"$(startfile "$name")"
  echo "$pid" >"$(pidfile "$name")"
}

# stop NAME: stop the process this script started, never a stranger that
# happens to have inherited its PID.
stop() {
  local name=$1 f pid i
  f=$(pidfile "$name")
  [[ -f $f ]] || return 0
  pid=$(cat "$f")
  if is_running "$name"; then
    log "stopping $name ($pid)"
    kill "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$pid" 2>/dev/null || true
  elif kill -0 "$pid" 2>/dev/null; then
    log "not stopping pid $pid: it is no longer $name (stale pid file)"
  fi
  rm -f "$f" "$(startfile "$name")"
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

kctl() { "$KBIN/kubectl" --kubeconfig "$ADMIN_KUBECONFIG" "$@"; }
