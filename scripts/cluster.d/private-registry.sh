# The private registry next to the anonymous one: the same Debian
# docker-registry, twice over one storage directory that only it serves:
#   127.0.0.1:5001  HTTP Basic (htpasswd)
#   127.0.0.1:5003  Bearer tokens from our token server (registry-auth serve)
#   $HOST_IP:5002   the token server (its realm): one address that the host,
#                   both nodes' containerd and the plugin all reach
# Repository private/app holds copies of the fixtures (nonroot, root, uid1001,
# setuid) with their own digests; the anonymous registry has none of them.
# Credentials: $PRIVATE/credentials (USER:PASSWORD, made once) and
# $PRIVATE/registry.json for tests. See docs/cluster.md ("Private registry").
# shellcheck shell=bash

PRIVATE=$STATE/private-registry
PRIVATE_STORAGE=$CACHE/registry-private
PRIVATE_BASIC_ADDR=127.0.0.1:5001
PRIVATE_TOKEN_ADDR=127.0.0.1:5003
TOKEN_SERVER_ADDR=$HOST_IP:5002
PRIVATE_REPO=private/app
PRIVATE_USER=dd-puller
TOKEN_SERVICE=dd-private
TOKEN_ISSUER=dd-token-server

# A version cluster (versions.sh) uses the anonymous registry only.
if [[ -z $VERSION_CLUSTER ]]; then COMPONENTS+=(registry-auth registry-basic registry-basic-bridge registry-token registry-token-bridge); fi
EXE[registry-auth]=registry-auth
EXE[registry-basic]=docker-registry
EXE[registry-basic-bridge]=socat
EXE[registry-token]=docker-registry
EXE[registry-token-bridge]=socat
LISTENS[registry-auth]=$TOKEN_SERVER_ADDR
LISTENS[registry-basic]=$PRIVATE_BASIC_ADDR
LISTENS[registry-basic-bridge]=$HOST_IP:${PRIVATE_BASIC_ADDR##*:}
LISTENS[registry-token]=$PRIVATE_TOKEN_ADDR
LISTENS[registry-token-bridge]=$HOST_IP:${PRIVATE_TOKEN_ADDR##*:}

ensure_registry_auth() {
  local src=$HERE/registry-auth sum stamp
  sum=$(cd "$src" && cat main.go go.mod go.sum | sha256sum | cut -c1-16)
  stamp=$CACHE/registry-auth.$sum
  [[ -f $stamp && -x $BIN/registry-auth ]] && return 0
  log "building the private registry's token server"
  (cd "$src" && CGO_ENABLED=0 nice -n 15 go build -trimpath -ldflags '-s -w' -o "$BIN/registry-auth" .)
  rm -f "$CACHE"/registry-auth.* && touch "$stamp"
}

ensure_private_secrets() {
  mkdir -p "$PRIVATE" "$PRIVATE_STORAGE"
  chmod 700 "$PRIVATE"
  if [[ ! -s $PRIVATE/credentials ]]; then
    (umask 077 && echo "$PRIVATE_USER:$(openssl rand -hex 16)" >"$PRIVATE/credentials")
    rm -f "$PRIVATE/htpasswd"
  fi
  if [[ ! -s $PRIVATE/htpasswd ]]; then
    local user pass
    IFS=: read -r user pass <"$PRIVATE/credentials"
    "$BIN/registry-auth" htpasswd "$user" "$pass" >"$PRIVATE/htpasswd"
  fi
  if [[ ! -s $PRIVATE/token.crt ]]; then
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$PRIVATE/token.key" -out "$PRIVATE/token.crt" \
      -days 3650 -subj "/CN=$TOKEN_ISSUER" 2>/dev/null
  fi
  local user pass
  IFS=: read -r user pass <"$PRIVATE/credentials"
  (umask 077 && cat >"$PRIVATE/registry.json" <<EOF
{"username": "$user", "password": "$pass", "basic": "$PRIVATE_BASIC_ADDR", "token": "$PRIVATE_TOKEN_ADDR",
 "realm": "http://$TOKEN_SERVER_ADDR/token", "service": "$TOKEN_SERVICE", "repository": "$PRIVATE_REPO"}
EOF
  )
}

write_private_configs() {
  local secret
  secret=$(sha256sum "$PRIVATE/credentials" | cut -c1-32)
  cat >"$PRIVATE/basic.yml" <<EOF
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $PRIVATE_STORAGE}
  delete: {enabled: true}
http:
  addr: $PRIVATE_BASIC_ADDR
  secret: $secret
auth:
  htpasswd:
    realm: $TOKEN_SERVICE
    path: $PRIVATE/htpasswd
EOF
  cat >"$PRIVATE/token.yml" <<EOF
version: 0.1
log: {level: warn}
storage:
  filesystem: {rootdirectory: $PRIVATE_STORAGE}
  delete: {enabled: true}
http:
  addr: $PRIVATE_TOKEN_ADDR
  secret: $secret
auth:
  token:
    realm: http://$TOKEN_SERVER_ADDR/token
    service: $TOKEN_SERVICE
    issuer: $TOKEN_ISSUER
    rootcertbundle: $PRIVATE/token.crt
EOF
}

# write_private_hosts DIR: a node's containerd reaches the private registries
# on the host end of its veth (the names stay 127.0.0.1:500x, as in the pods'
# specs and the pull secrets' keys).
write_private_hosts() {
  local dir=$1 addr mirror
  for addr in "$PRIVATE_BASIC_ADDR" "$PRIVATE_TOKEN_ADDR"; do
    mirror="http://$HOST_IP:${addr##*:}"
    mkdir -p "$dir/$addr"
    cat >"$dir/$addr/hosts.toml" <<EOF
server = "$mirror"
[host."$mirror"]
  capabilities = ["pull", "resolve"]
EOF
  done
}

# The copies follow the anonymous fixtures: a new push there (a new stamp,
# see push_images) means a new copy here.
private_stamp() {
  local anon
  anon=$(cd "$CACHE/registry" && ls -1 .pushed-* 2>/dev/null | head -n1)
  echo "$PRIVATE_STORAGE/${anon:-.pushed-unknown}"
}

up_private_registry() {
  ensure_registry_auth
  ensure_private_secrets
  write_private_configs
  start registry-auth "$BIN/registry-auth" serve -listen "$TOKEN_SERVER_ADDR" -key "$PRIVATE/token.key" \
    -cert "$PRIVATE/token.crt" -credentials "$PRIVATE/credentials" -issuer "$TOKEN_ISSUER" -service "$TOKEN_SERVICE"
  start registry-basic docker-registry serve "$PRIVATE/basic.yml"
  start registry-token docker-registry serve "$PRIVATE/token.yml"
  start registry-basic-bridge socat "TCP-LISTEN:${PRIVATE_BASIC_ADDR##*:},bind=$HOST_IP,fork,reuseaddr" "TCP:$PRIVATE_BASIC_ADDR"
  start registry-token-bridge socat "TCP-LISTEN:${PRIVATE_TOKEN_ADDR##*:},bind=$HOST_IP,fork,reuseaddr" "TCP:$PRIVATE_TOKEN_ADDR"
  # 401 is the healthy answer of a registry that wants credentials.
  wait_for registry-basic 60 bash -c "[[ \$(curl -s -o /dev/null -w '%{http_code}' http://$PRIVATE_BASIC_ADDR/v2/) == 401 ]]"
  wait_for registry-token 60 bash -c "[[ \$(curl -s -o /dev/null -w '%{http_code}' http://$PRIVATE_TOKEN_ADDR/v2/) == 401 ]]"
  wait_for registry-auth 30 bash -c "[[ \$(curl -s -o /dev/null -w '%{http_code}' http://$TOKEN_SERVER_ADDR/token) == 401 ]]"
  local stamp
  stamp=$(private_stamp)
  if [[ ! -f $stamp ]]; then
    log "copying the fixtures into the private registry ($PRIVATE_BASIC_ADDR/$PRIVATE_REPO)"
    "$BIN/registry-auth" push -from "$REGISTRY_ADDR/fixtures/app" -to "$PRIVATE_BASIC_ADDR/$PRIVATE_REPO" \
      -credentials "$PRIVATE/credentials" >>"$LOGS/images.log"
    rm -f "$PRIVATE_STORAGE"/.pushed-* && touch "$stamp"
  fi
}
