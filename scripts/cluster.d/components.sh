# Network, configuration files and start-up of each cluster component.
# shellcheck shell=bash

ensure_network() {
  if [[ ! -e /run/netns/$NETNS ]]; then
    log "creating network namespace $NETNS ($HOST_IP <-> $NODE_IP)"
    ip netns add "$NETNS"
  fi
  if ! ip link show "$HOST_IF" >/dev/null 2>&1; then
    ip link add "$HOST_IF" type veth peer name "$NODE_IF"
    ip link set "$NODE_IF" netns "$NETNS"
    ip addr add "$HOST_IP/$NET_PREFIX" dev "$HOST_IF"
    ip link set "$HOST_IF" up
    ip netns exec "$NETNS" ip addr add "$NODE_IP/$NET_PREFIX" dev "$NODE_IF"
    ip netns exec "$NETNS" ip link set "$NODE_IF" up
    ip netns exec "$NETNS" ip link set lo up
    # The host does not forward, so anything sent this way that is not for
    # the host end stops there: pods cannot leave the machine.
    ip netns exec "$NETNS" ip route add default via "$HOST_IP"
  fi
  # Forwarding inside the node's namespace only, between pods and the node.
  ip netns exec "$NETNS" sysctl -qw net.ipv4.ip_forward=1
  # containerd and runc set up mounts that must propagate to the kubelet.
  mount --make-rshared / 2>/dev/null || true
}

write_configs() {
  mkdir -p "$RUN_STATE_BASE" && chmod 711 /run/distroless-debug "$RUN_STATE_BASE"
  mkdir -p "$STATE/containerd/certs.d" "$STATE/cni" "$STATE/kubelet" "$CACHE/registry"
  local mirror="http://$HOST_IP:${REGISTRY_ADDR##*:}" reg
  # docker.io and registry.k8s.io resolve to the local registry: the plugin's
  # default BusyBox and the kubelet's pause image are served from here.
  # 127.0.0.1:5000 is the name in the fixtures' and tests' pod specs, also on a
  # version cluster whose registry listens elsewhere.
  for reg in docker.io registry.k8s.io "$REGISTRY_ADDR" 127.0.0.1:5000; do
    mkdir -p "$STATE/containerd/certs.d/$reg"
    cat >"$STATE/containerd/certs.d/$reg/hosts.toml" <<EOF
server = "$mirror"
[host."$mirror"]
  capabilities = ["pull", "resolve"]
EOF
  done
  [[ -n ${DD_KUBERNETES:-} ]] || write_private_hosts "$STATE/containerd/certs.d"
  cat >"$STATE/containerd/config.toml" <<EOF
version = 3
root = "$STATE/containerd/root"
state = "$RUN_STATE_BASE/containerd"
disabled_plugins = ["io.containerd.snapshotter.v1.btrfs", "io.containerd.snapshotter.v1.zfs", "io.containerd.snapshotter.v1.devmapper", "io.containerd.snapshotter.v1.aufs", "io.containerd.tracing.processor.v1.otlp", "io.containerd.internal.v1.tracing"]

[grpc]
  address = "$STATE/containerd/containerd.sock"

[plugins.'io.containerd.cri.v1.images']
  snapshotter = "overlayfs"
  [plugins.'io.containerd.cri.v1.images'.pinned_images]
    sandbox = "$PAUSE_IMAGE"
  [plugins.'io.containerd.cri.v1.images'.registry]
    config_path = "$STATE/containerd/certs.d"

[plugins.'io.containerd.cri.v1.runtime']
  # This machine's root lacks CAP_SYS_RESOURCE, so no process may lower its
  # oom_score_adj below containerd's own (the kubelet asks -998 for sandboxes).
  restrict_oom_score_adj = true
  [plugins.'io.containerd.cri.v1.runtime'.containerd]
    default_runtime_name = "runc"
    [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc]
      runtime_type = "io.containerd.runc.v2"
      [plugins.'io.containerd.cri.v1.runtime'.containerd.runtimes.runc.options]
        BinaryName = "$BIN/runc"
        SystemdCgroup = false
  [plugins.'io.containerd.cri.v1.runtime'.cni]
    bin_dirs = ["/usr/lib/cni"]
    conf_dir = "$STATE/cni"
$CONTAINERD_EXTRA_CONFIG
EOF
  cat >"$STATE/cni/10-bridge.conflist" <<EOF
{
  "cniVersion": "1.0.0",
  "name": "$CNI_NETWORK",
  "plugins": [
    {"type": "bridge", "bridge": "$CNI_BRIDGE", "isGateway": true, "ipMasq": false, "hairpinMode": true,
     "ipam": {"type": "host-local", "ranges": [[{"subnet": "$POD_CIDR"}]], "routes": [{"dst": "0.0.0.0/0"}],
              "dataDir": "$STATE/cni-ipam"}},
    {"type": "portmap", "capabilities": {"portMappings": true}}
  ]
}
EOF
  # Pods get no outside resolver: there is nothing to resolve here.
  echo "search local" >"$STATE/resolv.conf"
  cat >"$STATE/kubelet-config.yaml" <<EOF
apiVersion: kubelet.config.k8s.io/v1beta1
kind: KubeletConfiguration
address: $NODE_IP
authentication:
  anonymous: {enabled: false}
  webhook: {enabled: true}
  x509: {clientCAFile: $PKI/ca.crt}
authorization: {mode: Webhook}
tlsCertFile: $PKI/kubelet.crt
tlsPrivateKeyFile: $PKI/kubelet.key
containerRuntimeEndpoint: unix://$STATE/containerd/containerd.sock
cgroupDriver: cgroupfs
# This machine's kernel mounts cgroup v1, which kubelets refuse unless told.
failCgroupV1: false
failSwapOn: false
cgroupsPerQOS: true
enforceNodeAllocatable: []
resolvConf: $STATE/resolv.conf
podCIDR: $POD_CIDR
serializeImagePulls: false
imageGCHighThresholdPercent: 100
evictionHard: {"memory.available": "100Mi", "nodefs.available": "1%", "imagefs.available": "1%", "nodefs.inodesFree": "1%"}
registerNode: true
shutdownGracePeriod: 0s
$KUBELET_EXTRA_CONFIG
EOF
  cat >"$STATE/registry.yml" <<EOF
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $CACHE/registry}
  delete: {enabled: true}
http:
  addr: $REGISTRY_ADDR
EOF
}

start_etcd() {
  start etcd etcd --name dd --data-dir "$STATE/etcd" \
    --listen-client-urls http://127.0.0.1:$ETCD_PORT --advertise-client-urls http://127.0.0.1:$ETCD_PORT \
    --listen-peer-urls http://127.0.0.1:$ETCD_PEER_PORT --initial-advertise-peer-urls http://127.0.0.1:$ETCD_PEER_PORT \
    --initial-cluster dd=http://127.0.0.1:$ETCD_PEER_PORT --log-level warn
  wait_for etcd 60 curl -sf http://127.0.0.1:$ETCD_PORT/health
}

start_registry() {
  start registry docker-registry serve "$STATE/registry.yml"
  # The node (its own network namespace) reaches the registry on the veth.
  start registry-bridge socat "TCP-LISTEN:${REGISTRY_ADDR##*:},bind=$HOST_IP,fork,reuseaddr" "TCP:$REGISTRY_ADDR"
  wait_for registry 60 curl -sf "http://$REGISTRY_ADDR/v2/"
  wait_for registry-bridge 30 curl -sf "http://$HOST_IP:${REGISTRY_ADDR##*:}/v2/"
}

push_images() {
  local sum stamp
  sum=$( (sha256sum "$BIN/fixture-app" "$BIN/pause" "$BIN/build-images" /bin/busybox; echo "$BUSYBOX_TAG") | sha256sum | cut -c1-16)
  stamp=$CACHE/registry/.pushed-$sum
  [[ -f $stamp ]] && return 0
  log "building and pushing images to $REGISTRY_ADDR"
  "$BIN/build-images" -registry "$REGISTRY_ADDR" -app "$BIN/fixture-app" -pause "$BIN/pause" \
    -busybox /bin/busybox -pause-refs "pause:${PAUSE_IMAGE##*:}" \
    -busybox-refs "library/busybox:$BUSYBOX_TAG,library/busybox:latest" >>"$LOGS/images.log"
  rm -f "$CACHE"/registry/.pushed-* && touch "$stamp"
}

start_apiserver() {
  start kube-apiserver "$KBIN/kube-apiserver" \
    --etcd-servers=http://127.0.0.1:$ETCD_PORT \
    --bind-address=127.0.0.1 --secure-port=$API_PORT --advertise-address=$HOST_IP \
    --tls-cert-file="$PKI/apiserver.crt" --tls-private-key-file="$PKI/apiserver.key" \
    --client-ca-file="$PKI/ca.crt" \
    --kubelet-client-certificate="$PKI/apiserver-kubelet-client.crt" \
    --kubelet-client-key="$PKI/apiserver-kubelet-client.key" \
    --kubelet-certificate-authority="$PKI/ca.crt" \
    --kubelet-preferred-address-types=InternalIP \
    --service-account-issuer=https://kubernetes.default.svc.cluster.local \
    --service-account-key-file="$PKI/sa.pub" --service-account-signing-key-file="$PKI/sa.key" \
    --service-cluster-ip-range=$SERVICE_CIDR \
    --authorization-mode=Node,RBAC --enable-admission-plugins=NodeRestriction \
    --allow-privileged=true --endpoint-reconciler-type=none \
    --profiling=false --v=1
  # The kubelet, in the node's namespace, reaches the API server on the veth.
  start apiserver-bridge socat "TCP-LISTEN:$API_PORT,bind=$HOST_IP,fork,reuseaddr" "TCP:127.0.0.1:$API_PORT"
  wait_for kube-apiserver 180 kctl get --raw /readyz
}

# The --controllers value: all on-by-default controllers except the cloud and
# IPAM ones this cluster has no use for, each named only if this binary knows it
# (1.37 dropped service-lb-controller and cloud-node-lifecycle-controller, and
# refuses to start when the list names a controller it does not know).
kcm_controllers() {
  local known want=(service-lb-controller cloud-node-lifecycle-controller node-ipam-controller) c out='*'
  known=$("$KBIN/kube-controller-manager" --help 2>/dev/null | grep -o 'All controllers: .*' | head -n1)
  for c in "${want[@]}"; do
    if [[ -z $known || $known =~ (:|,)\ $c(,|$) ]]; then out+=",-$c"; fi
  done
  echo "$out"
}

start_controllers() {
  start kube-controller-manager "$KBIN/kube-controller-manager" \
    --kubeconfig="$STATE/controller-manager.kubeconfig" \
    --authentication-kubeconfig="$STATE/controller-manager.kubeconfig" \
    --authorization-kubeconfig="$STATE/controller-manager.kubeconfig" \
    --service-account-private-key-file="$PKI/sa.key" --root-ca-file="$PKI/ca.crt" \
    --cluster-signing-cert-file="$PKI/ca.crt" --cluster-signing-key-file="$PKI/ca.key" \
    --use-service-account-credentials=true --leader-elect=false \
    --controllers="$(kcm_controllers)" \
    --bind-address=127.0.0.1 --secure-port=$KCM_PORT --v=1
  start kube-scheduler "$KBIN/kube-scheduler" \
    --kubeconfig="$STATE/scheduler.kubeconfig" \
    --authentication-kubeconfig="$STATE/scheduler.kubeconfig" \
    --authorization-kubeconfig="$STATE/scheduler.kubeconfig" \
    --leader-elect=false --bind-address=127.0.0.1 --secure-port=$SCHEDULER_PORT --v=1
}

start_node() {
  if ! is_running kubelet; then KUBELET_STARTED=$(date -u +%Y-%m-%dT%H:%M:%SZ); fi
  # containerd finds its shim on PATH.
  start containerd --netns env PATH="$BIN:$PATH" "$BIN/containerd" --config "$STATE/containerd/config.toml"
  wait_for containerd 60 "$BIN/ctr" --address "$STATE/containerd/containerd.sock" version
  start kubelet --netns env PATH="$BIN:$PATH" "$KBIN/kubelet" \
    --config="$STATE/kubelet-config.yaml" --kubeconfig="$STATE/kubelet.kubeconfig" \
    --root-dir="$STATE/kubelet" --cert-dir="$STATE/kubelet/pki" \
    --hostname-override=$NODE_NAME --node-ip=$NODE_IP --v=1
}

# node_ready [SINCE]: Ready, and (with SINCE, an RFC 3339 UTC time) heard from
# since then: after a restart the stored condition is stale until the kubelet
# reports again.
node_ready() {
  local since=${1:-} out status beat
  out=$(kctl get node $NODE_NAME -o 'jsonpath={.status.conditions[?(@.type=="Ready")].status} {.status.conditions[?(@.type=="Ready")].lastHeartbeatTime}' 2>/dev/null) || return 1
  read -r status beat <<<"$out"
  [[ $status == True ]] || return 1
  [[ -z $since || ! $beat < $since ]]
}

apply_fixtures() {
  kctl apply -f "$HERE/manifests/namespaces.yaml" -f "$HERE/manifests/rbac.yaml" >/dev/null
  kctl apply -f "$HERE/manifests/demo.yaml" >/dev/null
  wait_for "the demo app" 180 kctl -n demo rollout status deploy/app --timeout=5s
}
