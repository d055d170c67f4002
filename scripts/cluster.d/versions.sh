# Other Kubernetes versions, each a SEPARATE single-node cluster next to the
# default one: `scripts/cluster --kubernetes 1.29 up` (or DD_KUBERNETES=1.29).
# Own state directory ($CACHE/cluster-v1.MINOR), own binaries
# ($CACHE/kube-VERSION/bin, built once from the Go module proxy under nice),
# own ports (20000 + 100 * MINOR + ...), own network namespace and addresses
# (10.213.(200+MINOR).0/30), own etcd, own registry process (over the shared
# fixture storage, read only in practice), own kubeconfig. Its containerd and
# kubelet also get their own mount namespace, where /var/log/pods,
# /var/log/containers and /var/lib/kubelet/device-plugins are private: a
# kubelet removes pod log directories and container log links of pods it does
# not know, and 1.29's kubelet has no podLogsDir setting to keep away.
# Nothing of the default cluster is touched. See docs/cluster.md.
# shellcheck shell=bash

# Versions tried here, and what each needs. Any other VERSION is resolved
# through the Go module proxy (latest patch of that minor) and built the same way.
declare -A KUBE_PINS=([1.29]=1.29.6 [1.37]=1.37.2)
# The proxy serves k8s.io/kubernetes v1.29.6 but not every staging module at
# v0.29.x: endpointslice and kube-controller-manager exist from v0.30.4, and
# legacy-cloud-providers (needed only for the in-tree cloud providers, which
# the `providerless` build tag leaves out) likewise.
declare -A KUBE_REPLACE=([1.29]="k8s.io/endpointslice=v0.30.4 k8s.io/kube-controller-manager=v0.30.4 k8s.io/legacy-cloud-providers=v0.30.4")
declare -A KUBE_TAGS=([1.29]=providerless)
# ...and even so, v1.29.6's kube-controller-manager does not compile against
# k8s.io/endpointslice v0.30.4 (corev1.ServiceTrafficDistributionPreferClose is
# 1.30 API): that cluster borrows the default cluster's controller-manager.
declare -A KUBE_BORROW=([1.29]=kube-controller-manager)

resolve_kube_version() {
  local want=$1 minor
  if [[ $want =~ ^v?1\.([0-9]+)\.([0-9]+)$ ]]; then echo "1.${BASH_REMATCH[1]}.${BASH_REMATCH[2]}"; return; fi
  [[ $want =~ ^v?1\.([0-9]+)$ ]] || die "--kubernetes $want: expected 1.MINOR or 1.MINOR.PATCH (e.g. 1.29, 1.37.2)"
  minor=${BASH_REMATCH[1]}
  if [[ -n ${KUBE_PINS[1.$minor]:-} ]]; then echo "${KUBE_PINS[1.$minor]}"; return; fi
  local latest
  latest=$(cd /tmp && go list -m -versions k8s.io/kubernetes 2>/dev/null | tr ' ' '\n' | grep -E "^v1\.$minor\.[0-9]+$" | sort -V | tail -n1)
  [[ -n $latest ]] || die "--kubernetes $want: the Go module proxy serves no k8s.io/kubernetes v1.$minor.x"
  echo "${latest#v}"
}

apply_kubernetes_version() {
  local version minor patch base
  version=$(resolve_kube_version "$1")
  minor=${version#1.}; minor=${minor%%.*}
  patch=${version##*.}
  if [[ $version == "$KUBE_VERSION" ]]; then
    die "--kubernetes $1: $KUBE_VERSION is the default cluster's version; run scripts/cluster up without it"
  fi
  KUBE_VERSION=$version
  STAGING_VERSION=0.$minor.$patch
  KUBE_EXTRA_REPLACE=${KUBE_REPLACE[1.$minor]:-}
  KUBE_BUILD_TAGS=${KUBE_TAGS[1.$minor]:-}
  KUBE_BORROWED=${KUBE_BORROW[1.$minor]:-}
  # Two cores shared with whoever is testing on the default cluster.
  KUBE_BUILD_NICE="nice -n 15"
  KBIN=$CACHE/kube-$KUBE_VERSION/bin
  KUBE_BUILD=$CACHE/kube-build-$KUBE_VERSION
  STATE=${DD_CLUSTER_STATE:-$CACHE/cluster-v1.$minor}
  PKI=$STATE/pki
  RUN=$STATE/run
  LOGS=$STATE/logs
  KUBECONFIG_FILE=$STATE/kubeconfig
  ADMIN_KUBECONFIG=$STATE/admin.kubeconfig

  NETNS=dd-v1$minor
  HOST_IF=dd-v1${minor}h
  NODE_IF=dd-v1${minor}n
  HOST_IP=10.213.$((200 + minor)).1
  NODE_IP=10.213.$((200 + minor)).2
  POD_CIDR=10.246.$minor.0/24
  NODE_NAME=dd-v1$minor-node
  base=$((20000 + 100 * minor))
  API_PORT=$((base + 43))
  ETCD_PORT=$((base + 79))
  ETCD_PEER_PORT=$((base + 80))
  REGISTRY_ADDR=127.0.0.1:$((base + 50))
  KCM_PORT=$((base + 57))
  SCHEDULER_PORT=$((base + 59))
  CNI_NETWORK=dd-pods-v1$minor
  CNI_BRIDGE=dd-cni-v1$minor
  VERSION_CGROUP=dd-v1$minor
  KUBELET_EXTRA_CONFIG="cgroupRoot: /$VERSION_CGROUP"
  CONTAINERD_EXTRA_CONFIG="
[plugins.'io.containerd.nri.v1.nri']
  # The default node's containerd owns the host's NRI socket.
  disable = true"
  VERSION_CLUSTER=1
}

# The holder of the node's mount namespace (a `sleep` in it), then the
# private directories bound over the host's shared ones.
start_node_mntns() {
  local dir
  start node-mntns unshare --mount --propagation slave sleep infinity
  wait_for "the node's mount namespace" 10 test -e "/proc/$(cat "$(pidfile node-mntns)")/ns/mnt"
  NODE_MNTNS=/proc/$(cat "$(pidfile node-mntns)")/ns/mnt
  for dir in /var/log/pods /var/log/containers /var/lib/kubelet/device-plugins; do
    mkdir -p "$dir" "$STATE/private$dir"
    if ! nsenter --mount="$NODE_MNTNS" findmnt -rn "$dir" 2>/dev/null | grep -q "$STATE/private$dir\|private$dir"; then
      nsenter --mount="$NODE_MNTNS" mount --bind "$STATE/private$dir" "$dir"
    fi
  done
}

ensure_version_cgroups() {
  local h
  for h in /sys/fs/cgroup/*/; do
    [[ -d $h ]] || continue
    mkdir -p "$h$VERSION_CGROUP" 2>/dev/null || true
  done
  local c=/sys/fs/cgroup/cpuset/$VERSION_CGROUP
  if [[ -d $c ]]; then
    [[ -s $c/cpuset.cpus ]] || cat /sys/fs/cgroup/cpuset/cpuset.cpus >"$c/cpuset.cpus"
    [[ -s $c/cpuset.mems ]] || cat /sys/fs/cgroup/cpuset/cpuset.mems >"$c/cpuset.mems"
  fi
}
