# Installs Debian packages and builds the Go binaries the cluster runs, once.
# Everything lands in $CACHE, outside the repository, so later runs reuse it.
# shellcheck shell=bash

DEBIAN_PACKAGES=(etcd-server containernetworking-plugins docker-registry busybox-static
  libseccomp-dev pkg-config gcc iptables conntrack socat openssl ca-certificates tzdata iproute2 util-linux curl tmux time)

ensure_packages() {
  local missing=() p
  for p in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
  done
  ((${#missing[@]} == 0)) && return 0
  log "installing Debian packages: ${missing[*]}"
  local before
  before=$(pids_of_exe /usr/bin/etcd /usr/bin/docker-registry)
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
  # Debian's postinst may start the packaged etcd or registry where an init
  # system exists; this cluster runs its own instances on those ports. Stop
  # only a daemon that appeared during this install, never one that was
  # already running (someone else's).
  local pid
  for pid in $(pids_of_exe /usr/bin/etcd /usr/bin/docker-registry); do
    grep -qx "$pid" <<<"$before" && continue
    log "stopping $(readlink "/proc/$pid/exe" 2>/dev/null) (pid $pid), started by its package's install"
    kill "$pid" 2>/dev/null || true
  done
}

# pids_of_exe PATH...: the PIDs of processes running one of these executables.
pids_of_exe() {
  local p exe want
  for p in /proc/[0-9]*; do
    exe=$(readlink "$p/exe" 2>/dev/null) || continue
    for want in "$@"; do [[ $exe == "$want" ]] && echo "${p#/proc/}"; done
  done
  return 0
}

kube_ldflags() {
  local v=k8s.io/component-base/version minor=${KUBE_VERSION#1.}
  # gitMinor is the minor alone ("37", not "37.2"): clients compare it as a number.
  echo "-s -w -X $v.gitVersion=v$KUBE_VERSION -X $v.gitMajor=1 -X $v.gitMinor=${minor%%.*}" \
    "-X $v.gitTreeState=clean -X $v.buildDate=2026-01-01T00:00:00Z" \
    "-X k8s.io/client-go/pkg/version.gitVersion=v$KUBE_VERSION"
}

ensure_kube_binaries() {
  local want=(kube-apiserver kube-controller-manager kube-scheduler kubelet kubectl) missing=() b
  # A version cluster may borrow a binary its version cannot build (versions.sh).
  for b in ${KUBE_BORROWED:-}; do
    [[ -x $BIN/$b ]] || die "$b: the default cluster's binary is needed (scripts/cluster up first)"
    mkdir -p "$KBIN" && ln -sfn "$BIN/$b" "$KBIN/$b"
  done
  for b in "${want[@]}"; do [[ -x $KBIN/$b ]] || missing+=("$b"); done
  ((${#missing[@]} == 0)) && return 0
  log "building ${missing[*]} v$KUBE_VERSION (cold: about 10 minutes on 2 cores)"
  mkdir -p "$KUBE_BUILD" "$KBIN"
  sed -e "s/@KUBE_VERSION@/$KUBE_VERSION/; s/@STAGING_VERSION@/$STAGING_VERSION/" \
    "$HERE/kube-go.mod.in" >"$KUBE_BUILD/go.mod"
  # Every staging module of this version (newer releases add some, e.g.
  # k8s.io/streaming in 1.37), mapped to its published twin.
  local gomod m
  gomod=$(cd /tmp && go mod download -json "k8s.io/kubernetes@v$KUBE_VERSION" | sed -n 's/.*"GoMod": "\(.*\)".*/\1/p')
  for m in $(grep -oE 'k8s\.io/[a-z0-9-]+ => \./staging' "$gomod" | cut -d' ' -f1); do
    grep -qP "^\t\Q$m\E => " "$KUBE_BUILD/go.mod" || sed -i "s#^replace (#replace (\n\t$m => $m v$STAGING_VERSION#" "$KUBE_BUILD/go.mod"
  done
  # Staging modules the proxy lacks at this version (versions.sh): MODULE=VERSION.
  local r
  for r in ${KUBE_EXTRA_REPLACE:-}; do
    sed -i "\#^\t${r%%=*} => #d; s#^replace (#replace (\n\t${r%%=*} => ${r%%=*} ${r#*=}#" "$KUBE_BUILD/go.mod"
  done
  printf 'package main\n\nfunc main() {}\n' >"$KUBE_BUILD/main.go"
  local pkgs=()
  for b in "${missing[@]}"; do pkgs+=("k8s.io/kubernetes/cmd/$b"); done
  # shellcheck disable=SC2086 # KUBE_BUILD_NICE is a command prefix or empty
  (cd "$KUBE_BUILD" && GOFLAGS=-mod=mod ${KUBE_BUILD_NICE:-} go build ${KUBE_BUILD_TAGS:+-tags "$KUBE_BUILD_TAGS"} -trimpath -ldflags "$(kube_ldflags)" -o "$KBIN/" "${pkgs[@]}")
}

ensure_containerd() {
  local b missing=0
  for b in containerd containerd-shim-runc-v2 ctr; do [[ -x $BIN/$b ]] || missing=1; done
  ((missing)) || return 0
  log "building containerd v$CONTAINERD_VERSION"
  mkdir -p "$BIN"
  local m=github.com/containerd/containerd/v2
  GOBIN=$BIN CGO_ENABLED=0 go install -trimpath -tags no_btrfs \
    -ldflags "-s -w -X $m/version.Version=v$CONTAINERD_VERSION" \
    "$m/cmd/containerd@v$CONTAINERD_VERSION" "$m/cmd/containerd-shim-runc-v2@v$CONTAINERD_VERSION" \
    "$m/cmd/ctr@v$CONTAINERD_VERSION"
}

# Debian's runc 1.1.5 cannot start containers on this machine's kernel ("can't
# get final child's PID from pipe: EOF"); runc 1.3 can. It needs cgo and
# libseccomp for seccomp profiles.
RUNC_VERSION=1.3.7
ensure_runc() {
  # Not `runc --version | grep -q`: with pipefail, grep's early exit can kill
  # runc with SIGPIPE and make a current runc look stale.
  [[ -x $BIN/runc && $("$BIN/runc" --version 2>/dev/null) == *"version $RUNC_VERSION"* ]] && return 0
  log "building runc v$RUNC_VERSION"
  local mod src=$CACHE/src/runc-$RUNC_VERSION
  mod=$(cd /tmp && go mod download -json "github.com/opencontainers/runc@v$RUNC_VERSION" | sed -n 's/.*"Dir": "\(.*\)".*/\1/p')
  rm -rf "$src" && mkdir -p "$CACHE/src" && cp -r "$mod" "$src" && chmod -R u+w "$src" && rm -rf "$src/vendor"
  (cd "$src" && CGO_ENABLED=1 go build -trimpath -mod=mod -tags "seccomp urfave_cli_no_docs" \
    -ldflags "-X main.version=$RUNC_VERSION" -o "$BIN/runc" .)
}

# The fixture app, the pause process and the image builder come from Go code in
# this repository; rebuild when that code changes.
ensure_image_tools() {
  local src=$HERE/images stamp sum
  sum=$(cd "$src" && find . -type f \( -name '*.go' -o -name 'go.*' \) -print0 | sort -z | xargs -0 sha256sum | sha256sum | cut -c1-16)
  stamp=$CACHE/image-tools.$sum
  [[ -f $stamp && -x $BIN/fixture-app && -x $BIN/pause && -x $BIN/build-images ]] && return 0
  log "building fixture app, pause and image builder"
  mkdir -p "$BIN"
  (cd "$src" && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$BIN/fixture-app" ./cmd/app \
    && CGO_ENABLED=0 go build -trimpath -ldflags '-s -w' -o "$BIN/pause" ./cmd/pause \
    && go build -trimpath -o "$BIN/build-images" ./cmd/build-images)
  rm -f "$CACHE"/image-tools.* && touch "$stamp"
}

ensure_builds() {
  command -v go >/dev/null || die "Go is required (this machine kind ships it)"
  ensure_kube_binaries
  ensure_containerd
  ensure_runc
  ensure_image_tools
}
