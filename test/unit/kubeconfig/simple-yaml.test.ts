import { load } from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { NOT_SIMPLE, parseSimpleYaml } from '../../../src/kubeconfig/simple-yaml.js';

const b64 = (n: number, seed: number): string => {
  const chars = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/';
  let s = '';
  for (let i = 0; i < n; i++) s += chars[(i * 7 + seed * 13 + ((i * i) % 11)) % 64];
  // PEM in base64 always starts with LS0t ("---").
  return `LS0t${s}==`;
};

/** Kubeconfigs as tools write them (certificates shortened to fake base64). */
const SAMPLES: Record<string, string> = {
  // scripts/cluster (flow maps for contexts)
  local: `apiVersion: v1
kind: Config
clusters:
- name: local
  cluster:
    server: https://127.0.0.1:6443
    certificate-authority-data: ${b64(300, 1)}
users:
- name: admin
  user:
    client-certificate-data: ${b64(400, 2)}
    client-key-data: ${b64(400, 3)}
- name: viewer
  user:
    client-certificate-data: ${b64(400, 4)}
    client-key-data: ${b64(400, 5)}
contexts:
- name: admin
  context: {cluster: local, user: admin, namespace: default}
- name: viewer
  context: {cluster: local, user: viewer, namespace: default}
current-context: admin
`,
  // kubectl config set-* / kind / minikube style
  kubectl: `apiVersion: v1
clusters:
- cluster:
    certificate-authority-data: ${b64(200, 6)}
    server: https://127.0.0.1:40123
  name: kind-kind
- cluster:
    certificate-authority: /home/me/.minikube/ca.crt
    extensions:
    - extension:
        last-update: Mon, 01 Jan 2024 10:00:00 UTC
        provider: minikube.sigs.k8s.io
        version: v1.32.0
      name: cluster_info
    server: https://192.168.49.2:8443
  name: minikube
contexts:
- context:
    cluster: kind-kind
    user: kind-kind
  name: kind-kind
- context:
    cluster: minikube
    namespace: default
    user: minikube
  name: minikube
current-context: kind-kind
kind: Config
preferences: {}
users:
- name: kind-kind
  user:
    client-certificate-data: ${b64(300, 7)}
    client-key-data: ${b64(300, 8)}
- name: minikube
  user:
    client-certificate: /home/me/.minikube/profiles/minikube/client.crt
    client-key: /home/me/.minikube/profiles/minikube/client.key
`,
  // EKS (exec plugin with args, env null, booleans), indented sequences
  eks: `apiVersion: v1
clusters:
  - cluster:
      certificate-authority-data: ${b64(120, 9)}
      server: https://ABCDEF0123456789.gr7.us-west-2.eks.amazonaws.com
    name: arn:aws:eks:us-west-2:123456789012:cluster/prod
contexts:
  - context:
      cluster: arn:aws:eks:us-west-2:123456789012:cluster/prod
      user: arn:aws:eks:us-west-2:123456789012:cluster/prod
    name: arn:aws:eks:us-west-2:123456789012:cluster/prod
current-context: arn:aws:eks:us-west-2:123456789012:cluster/prod
kind: Config
preferences: {}
users:
  - name: arn:aws:eks:us-west-2:123456789012:cluster/prod
    user:
      exec:
        apiVersion: client.authentication.k8s.io/v1beta1
        args:
          - --region
          - us-west-2
          - eks
          - get-token
          - --cluster-name
          - prod
        command: aws
        env: null
        interactiveMode: IfAvailable
        provideClusterInfo: false
`,
  // tokens, quoted strings, impersonation, proxy, comments, CRLF-free odds and ends
  misc: `# written by hand
apiVersion: v1
kind: Config
clusters:
- name: "dev cluster"
  cluster:
    server: 'https://dev.example.com:443'
    insecure-skip-tls-verify: true
    proxy-url: http://proxy.example:3128
    tls-server-name: "api.dev.example.com"
users:
- name: dev
  user:
    token: "abc.def-ghi_jkl"
    as: jane
    as-groups: [devs, ops]
    as-user-extra:
      reason:
      - "on call"
    username: ''
    password: 'it''s "quoted"'
contexts:
- name: dev
  context:
    cluster: "dev cluster"
    user: dev
    namespace: team-a
current-context: dev
preferences: {}
`,
  crlf: 'apiVersion: v1\r\nkind: Config\r\ncurrent-context: a\r\ncontexts:\r\n- name: a\r\n  context: {cluster: c, user: u}\r\n',
};

// Texts the fast path must hand to js-yaml: outside the subset, or not valid YAML.
const OUTSIDE = [
  'a: &x 1\nb: *x\n',
  'a: !!str 1\n',
  'hint: |\n  two\n  lines\n',
  'hint: long plain\n  continued here\n',
  'port: 6443\n',
  'ratio: .5\n',
  'neg: -1\n',
  'when: 2024-01-01\n',
  'a: b # comment\n',
  'a: 1\na: 2\n',
  'a: b\n  c: d\n',
  '---\na: b\n',
  'name: caf\u00e9\n',
  'a:\tb\n',
  '- a\n- b\n',
  '  a: b\n',
  'a: b: c\n',
  'a: "unterminated\n',
  "a: 'x'y'\n",
  'a: {b: c, b: d}\n',
  'a: [b, ]\n',
  'a: "\\x41"\n',
  '1e3: x\n',
  'Null: x\n',
  '"quoted key": x\n',
  '',
  '# only a comment\n',
  'a:\n- - b\n',
  '? a\n: b\n',
  'a: b\r c: d\n',
];

describe('parseSimpleYaml', () => {
  it.each(Object.entries(SAMPLES))('reads the %s kubeconfig exactly as js-yaml does', (_name, text) => {
    const fast = parseSimpleYaml(text);
    expect(fast).not.toBe(NOT_SIMPLE);
    expect(fast).toEqual(load(text));
  });

  it('keeps the types js-yaml gives: null, booleans, empty maps and lists, quoted and plain strings', () => {
    const text = 'a:\nb: null\nc: ~\nd: True\ne: FALSE\nf: {}\ng: []\nh: ""\ni: yes\nj: v1\nk: https://[::1]:6443/x?y=1&z\nl: "x\\"y\\\\z"\n';
    expect(parseSimpleYaml(text)).toEqual(load(text));
    expect(parseSimpleYaml(text)).toEqual({ a: null, b: null, c: null, d: true, e: false, f: {}, g: [], h: '', i: 'yes', j: 'v1', k: 'https://[::1]:6443/x?y=1&z', l: 'x"y\\z' });
  });

  it.each(OUTSIDE.map((t) => [t]))('leaves %j to js-yaml', (text) => {
    expect(parseSimpleYaml(text)).toBe(NOT_SIMPLE);
  });

  it('never disagrees with js-yaml on thousands of mutated kubeconfigs (it accepts, js-yaml gives the same; else it leaves them)', () => {
    // Deterministic PRNG: a failure names a reproducible case.
    let seed = 42;
    const rand = (n: number): number => {
      seed = (seed * 1103515245 + 12345) % 2147483648;
      return seed % n;
    };
    const pieces = [' ', '  ', '\n', '-', '- ', ':', ': ', '#', ' #', "'", '"', '{', '}', '[', ']', ',', '\\', '1', '.', '~', 'null', 'true', 'x', '&a', '*a', '!', '|', '>', '\r\n', '?', 'a: b', '\n  ', '\n- '];
    let accepted = 0;
    let total = 0;
    for (const base of Object.values(SAMPLES)) {
      for (let round = 0; round < 800; round++) {
        let text = base;
        const edits = 1 + rand(3);
        for (let e = 0; e < edits; e++) {
          const at = rand(text.length + 1);
          const kind = rand(3);
          const piece = pieces[rand(pieces.length)] ?? '';
          if (kind === 0) text = text.slice(0, at) + piece + text.slice(at);
          else if (kind === 1) text = text.slice(0, at) + text.slice(at + 1 + rand(4));
          else text = text.slice(0, at) + piece + text.slice(at + piece.length);
        }
        total++;
        const fast = parseSimpleYaml(text);
        if (fast === NOT_SIMPLE) continue;
        accepted++;
        let slow: unknown;
        try {
          slow = load(text);
        } catch (err) {
          throw new Error(`accepted what js-yaml refuses (${String(err)}):\n${JSON.stringify(text)}`);
        }
        if (JSON.stringify(fast) !== JSON.stringify(slow)) {
          throw new Error(`differs from js-yaml:\n${JSON.stringify(text)}\nfast: ${JSON.stringify(fast)}\njs-yaml: ${JSON.stringify(slow)}`);
        }
      }
    }
    // The fast path still takes a fair share of them (else this proves little).
    expect(accepted).toBeGreaterThan(total / 10);
  });
});
