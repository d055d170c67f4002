# A throw-away CA and every certificate the local cluster needs, made with
# openssl once and kept in $STATE/pki.
# shellcheck shell=bash

# cert NAME CN ORG SANS: a client/server certificate signed by the local CA.
cert() {
  local name=$1 cn=$2 org=$3 sans=$4
  [[ -f $PKI/$name.crt ]] && return 0
  local subj="/CN=$cn"
  [[ -n $org ]] && subj="/O=$org$subj"
  openssl genrsa -out "$PKI/$name.key" 2048 2>/dev/null
  openssl req -new -key "$PKI/$name.key" -subj "$subj" -out "$PKI/$name.csr" 2>/dev/null
  {
    echo "basicConstraints=CA:FALSE"
    echo "keyUsage=critical,digitalSignature,keyEncipherment"
    echo "extendedKeyUsage=serverAuth,clientAuth"
    [[ -n $sans ]] && echo "subjectAltName=$sans"
  } >"$PKI/$name.ext"
  openssl x509 -req -in "$PKI/$name.csr" -CA "$PKI/ca.crt" -CAkey "$PKI/ca.key" -CAcreateserial \
    -days 3650 -sha256 -extfile "$PKI/$name.ext" -out "$PKI/$name.crt" 2>/dev/null
  rm -f "$PKI/$name.csr" "$PKI/$name.ext"
}

ensure_pki() {
  mkdir -p "$PKI"
  chmod 700 "$PKI"
  if [[ ! -f $PKI/ca.crt ]]; then
    log "creating the cluster CA and certificates"
    openssl req -x509 -newkey rsa:2048 -nodes -keyout "$PKI/ca.key" -out "$PKI/ca.crt" \
      -days 3650 -subj "/CN=distroless-debug-local-ca" 2>/dev/null
  fi
  [[ -f $PKI/sa.key ]] || {
    openssl genrsa -out "$PKI/sa.key" 2048 2>/dev/null
    openssl rsa -in "$PKI/sa.key" -pubout -out "$PKI/sa.pub" 2>/dev/null
  }
  cert apiserver kube-apiserver "" \
    "IP:127.0.0.1,IP:$HOST_IP,IP:10.96.0.1,DNS:localhost,DNS:kubernetes,DNS:kubernetes.default,DNS:kubernetes.default.svc,DNS:kubernetes.default.svc.cluster.local"
  cert apiserver-kubelet-client kube-apiserver-kubelet-client system:masters ""
  cert kubelet "system:node:$NODE_NAME" system:nodes "IP:$NODE_IP,DNS:$NODE_NAME"
  cert controller-manager system:kube-controller-manager "" ""
  cert scheduler system:kube-scheduler "" ""
  # The kubeconfig's people. admin is also in system:masters so `up` can apply
  # the RBAC that gives the others their rights.
  cert admin dd-admin system:masters ""
  cert debugger dd-debugger "" ""
  cert viewer dd-viewer "" ""
  cert attacher dd-attacher "" ""
}

b64() { base64 -w0 <"$1"; }

# kubeconfig FILE SERVER USER...: one context per user, named after it.
write_kubeconfig() {
  local file=$1 server=$2; shift 2
  {
    echo "apiVersion: v1"
    echo "kind: Config"
    echo "clusters:"
    echo "- name: local"
    echo "  cluster:"
    echo "    server: $server"
    echo "    certificate-authority-data: $(b64 "$PKI/ca.crt")"
    echo "users:"
    local u
    for u in "$@"; do
      echo "- name: $u"
      echo "  user:"
      echo "    client-certificate-data: $(b64 "$PKI/$u.crt")"
      echo "    client-key-data: $(b64 "$PKI/$u.key")"
    done
    echo "contexts:"
    for u in "$@"; do
      echo "- name: $u"
      echo "  context: {cluster: local, user: $u, namespace: default}"
    done
    echo "current-context: $1"
  } >"$file.tmp"
  chmod 600 "$file.tmp"
  mv "$file.tmp" "$file"
}

ensure_kubeconfigs() {
  write_kubeconfig "$KUBECONFIG_FILE" "https://127.0.0.1:$API_PORT" admin debugger viewer attacher
  write_kubeconfig "$ADMIN_KUBECONFIG" "https://127.0.0.1:$API_PORT" admin
  write_kubeconfig "$STATE/controller-manager.kubeconfig" "https://127.0.0.1:$API_PORT" controller-manager
  write_kubeconfig "$STATE/scheduler.kubeconfig" "https://127.0.0.1:$API_PORT" scheduler
  # The kubelet lives in the node's network namespace and reaches the API
  # server through the host end of the veth.
  write_kubeconfig "$STATE/kubelet.kubeconfig" "https://$HOST_IP:$API_PORT" kubelet
}
