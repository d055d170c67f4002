# The second node: containerd 1.7 with its own runc, its own kubelet, in its
# own network namespace, joined to the same control plane. containerd 1.7 does
# not report status.containerStatuses[].user (KEP-3619 needs containerd 2.0+),
# so identity on this node comes from the spec, the image config or the
# plugin's guess and correction. See docs/cluster.md ("The second node").
#
# It is tainted, so nothing lands there unless it tolerates the taint:
#   taint  dd.test/node=containerd17:NoSchedule
#   label  dd.test/node=containerd17
# Tests pin their pods there with DD_TEST_NODE=containerd17 (test/e2e/helpers.ts).
#
# Everything here is additive: `up` on a running cluster starts only what is
# missing and never restarts the default node.
# shellcheck shell=bash

CONTAINERD17_VERSION=1.7.35
# The runc version containerd 1.7.35 pins (script/setup/runc-version).
RUNC17_VERSION=1.3.6
C17_BIN=$CACHE/containerd-$CONTAINERD17_VERSION/bin

NODE2_NAME=dd-node2
NODE2_LABEL_KEY=dd.test/node
NODE2_LABEL_VALUE=containerd17
NETNS2=dd-node2
HOST2_IF=dd-host1
NODE2_IF=dd-node1
HOST2_IP=10.213.213.5
NODE2_IP=10.213.213.6
POD2_CIDR=10.244.1.0/24
N2=$STATE/node2
# cgroup v1 parent of this node's pods: the default node uses /kubepods, and
# two kubelets sharing one QoS tree would each delete the other's pod cgroups.
N2_CGROUP=dd-node2

# A version cluster (versions.sh) is single-node.
if [[ -z $VERSION_CLUSTER ]]; then COMPONENTS+=(containerd-c17 kubelet-c17); fi
EXE[containerd-c17]=containerd
EXE[kubelet-c17]=kubelet

ensure_containerd17() {
  local b missing=0
  for b in containerd containerd-shim-runc-v2 ctr; do [[ -x $C17_BIN/$b ]] || missing=1; done
  if ((missing)); then
    log "building containerd v$CONTAINERD17_VERSION (cold: about 2.5 minutes on 2 cores)"
    # Its go.mod has exclude directives, so `go install pkg@version` refuses
    # it: build inside a copy of the module instead.
    local mod src=$CACHE/src/containerd-$CONTAINERD17_VERSION m=github.com/containerd/containerd
    mod=$(cd /tmp && go mod download -json "$m@v$CONTAINERD17_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
    rm -rf "$src" && mkdir -p "$CACHE/src" "$C17_BIN" && cp -r "$mod" "$src" && chmod -R u+w "$src"
    (cd "$src" && nice -n 15 env CGO_ENABLED=0 GOFLAGS=-mod=mod go build -trimpath -tags no_btrfs,no_devmapper,no_zfs \
      -ldflags "-s -w -X $m/version.Version=v$CONTAINERD17_VERSION" -o "$C17_BIN/" \
      ./cmd/containerd ./cmd/containerd-shim-runc-v2 ./cmd/ctr)
  fi
  if ! [[ -x $C17_BIN/runc && $("$C17_BIN/runc" --version 2>/dev/null) == *"version $RUNC17_VERSION"* ]]; then
    log "building runc v$RUNC17_VERSION for containerd $CONTAINERD17_VERSION"
    local rmod rsrc=$CACHE/src/runc-$RUNC17_VERSION
    rmod=$(cd /tmp && go mod download -json "github.com/opencontainers/runc@v$RUNC17_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
    rm -rf "$rsrc" && mkdir -p "$CACHE/src" && cp -r "$rmod" "$rsrc" && chmod -R u+w "$rsrc" && rm -rf "$rsrc/vendor"
    (cd "$rsrc" && nice -n 15 env CGO_ENABLED=1 go build -trimpath -mod=mod -tags "seccomp urfave_cli_no_docs" \
      -ldflags "-X main.version=$RUNC17_VERSION" -o "$C17_BIN/runc" .)
  fi
}

ensure_pki_node2() {
  mkdir -p "$N2"
  cert kubelet-c17 "system:node:$NODE2_NAME" system:nodes "IP:$NODE2_IP,DNS:$NODE2_NAME"
  # The kubelet reaches the API server through the default node's bridge on
  # $HOST_IP (a host address, routed from this namespace too), whose name is
  # in the API server's certificate.
  write_kubeconfig "$N2/kubelet.kubeconfig" "https://$HOST_IP:$API_PORT" kubelet-c17
}

ensure_network_node2() {
  if [[ ! -e /run/netns/$NETNS2 ]]; then
    log "creating network namespace $NETNS2 ($HOST2_IP <-> $NODE2_IP)"
    ip netns add "$NETNS2"
  fi
  if ! ip link show "$HOST2_IF" >/dev/null 2>&1; then
    ip link add "$HOST2_IF" type veth peer name "$NODE2_IF"
    ip link set "$NODE2_IF" netns "$NETNS2"
    ip addr add "$HOST2_IP/$NET_PREFIX" dev "$HOST2_IF"
    ip link set "$HOST2_IF" up
    ip netns exec "$NETNS2" ip addr add "$NODE2_IP/$NET_PREFIX" dev "$NODE2_IF"
    ip netns exec "$NETNS2" ip link set "$NODE2_IF" up
    ip netns exec "$NETNS2" ip link set lo up
    # The host does not forward: the default route reaches the host's own
    # addresses (the API server and registry bridges on $HOST_IP) and nothing else.
    ip netns exec "$NETNS2" ip route add default via "$HOST2_IP"
  fi
  ip netns exec "$NETNS2" sysctl -qw net.ipv4.ip_forward=1
}

# The cgroup v1 parent must exist in every hierarchy before the kubelet starts
# (it checks), and cpuset needs its cpus and mems filled in.
ensure_cgroups_node2() {
  local h
  for h in /sys/fs/cgroup/*/; do
    [[ -d $h ]] || continue
    mkdir -p "$h$N2_CGROUP" 2>/dev/null || true
  done
  if [[ -d /sys/fs/cgroup/cpuset/$N2_CGROUP ]]; then
    [[ -s /sys/fs/cgroup/cpuset/$N2_CGROUP/cpuset.cpus ]] || cat /sys/fs/cgroup/cpuset/cpuset.cpus >"/sys/fs/cgroup/cpuset/$N2_CGROUP/cpuset.cpus"
    [[ -s /sys/fs/cgroup/cpuset/$N2_CGROUP/cpuset.mems ]] || cat /sys/fs/cgroup/cpuset/cpuset.mems >"/sys/fs/cgroup/cpuset/$N2_CGROUP/cpuset.mems"
  fi
}

write_configs_node2() {
  mkdir -p "$N2/containerd/certs.d" "$N2/cni" "$N2/kubelet" "$N2/pod-logs"
  local mirror="http://$HOST_IP:5000" reg
  for reg in docker.io registry.k8s.io "$REGISTRY_ADDR"; do
    mkdir -p "$N2/containerd/certs.d/$reg"
    cat >"$N2/containerd/certs.d/$reg/hosts.toml" <<EOF
server = "$mirror"
[host."$mirror"]
  capabilities = ["pull", "resolve"]
EOF
  done
  write_private_hosts "$N2/containerd/certs.d"
  cat >"$N2/containerd/config.toml" <<EOF
version = 2
root = "$N2/containerd/root"
state = "$RUN_STATE_BASE/node2-containerd"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "$N2/containerd/containerd.sock"
[ttrpc]
  address = "$N2/containerd/containerd.sock.ttrpc"

[plugins."io.containerd.nri.v1.nri"]
  # The default node's containerd 2.2 owns the host's NRI socket.
  disable = true

[plugins."io.containerd.grpc.v1.cri"]
  sandbox_image = "$PAUSE_IMAGE"
  # This machine's root lacks CAP_SYS_RESOURCE (see "What this machine needed").
  restrict_oom_score_adj = true
  [plugins."io.containerd.grpc.v1.cri".containerd]
    snapshotter = "overlayfs"
    default_runtime_name = "runc"
    [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
        BinaryName = "$C17_BIN/runc"
        SystemdCgroup = false
  [plugins."io.containerd.grpc.v1.cri".cni]
    bin_dir = "/usr/lib/cni"
    conf_dir = "$N2/cni"
  [plugins."io.containerd.grpc.v1.cri".registry]
    config_path = "$N2/containerd/certs.d"
EOF
  cat >"$N2/cni/10-bridge.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "dd-pods-c17",
  "plugins": [
    {"type": "bridge", "bridge": "dd-cni1", "isGateway": true, "ipMasq": false, "hairpinMode": true,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": "$POD2_CIDR"}]], "routes": [{"dst": "0.0.0.0/0"}],
              "dataDir": "$N2/cni-ipam"}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
  cat >"$N2/kubelet-config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE2_IP
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $PKI/kubelet-c17.crt
tlsPrivateKeyFile: $PKI/kubelet-c17.key
containerRuntimeEndpoint: unix://$N2/containerd/containerd.sock
cgroupDriver: cgroupfs
failCgroupV1: false
failSwapOn: false
cgroupsPerQOS: true
cgroupRoot: /$N2_CGROUP
enforceNodeAllocatable: []
# Not /var/log/pods: the default node's kubelet removes pod log directories
# of pods it does not know.
podLogsDir: $N2/pod-logs
resolvConf: $STATE/resolv.conf
podCIDR: $POD2_CIDR
serializeImagePulls: false
imageGCHighThresholdPercent: 100
evictionHard: {"memory.available": "100Mi", "nodefs.available": "1%", "imagefs.available": "1%", "nodefs.inodesFree": "1%"}
registerNode: true
registerWithTaints:
- {key: $NODE2_LABEL_KEY, value: $NODE2_LABEL_VALUE, effect: NoSchedule}
shutdownGracePeriod: 0s
EOF
}

start_node2() {
  if ! is_running kubelet-c17; then KUBELET2_STARTED=$(date -u +%Y-%m-%dT%H:%M:%SZ); fi
  # The PATH puts containerd 1.7's own shim first.
  start containerd-c17 --netns-of "$NETNS2" env PATH="$C17_BIN:$PATH" "$C17_BIN/containerd" --config "$N2/containerd/config.toml"
  wait_for containerd-c17 60 "$C17_BIN/ctr" --address "$N2/containerd/containerd.sock" version
  start kubelet-c17 --netns-of "$NETNS2" env PATH="$C17_BIN:$PATH" "$BIN/kubelet" \
    --config="$N2/kubelet-config.yaml" --kubeconfig="$N2/kubelet.kubeconfig" \
    --root-dir="$N2/kubelet" --cert-dir="$N2/kubelet/pki" \
    --hostname-override=$NODE2_NAME --node-ip=$NODE2_IP \
    --node-labels="$NODE2_LABEL_KEY=$NODE2_LABEL_VALUE,dd.test/runtime=containerd-$CONTAINERD17_VERSION" --v=1
}

node2_ready() {
  local since=${1:-} out status beat
  out=$(kctl get node $NODE2_NAME -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status} {.status.conditions[?(@.type=="Ready")].lastHeartbeatTime}' 2>/dev/null) || return 1
  read -r status beat <<<"$out"
  [[ $status == True ]] || return 1
  [[ -z $since || ! $beat < $since ]]
}

# The second node, added to a running (or starting) control plane.
up_node2() {
  ensure_containerd17
  ensure_pki_node2
  ensure_network_node2
  ensure_cgroups_node2
  write_configs_node2
  start_node2
  wait_for "node $NODE2_NAME to be Ready" 300 node2_ready "${KUBELET2_STARTED:-}"
}
