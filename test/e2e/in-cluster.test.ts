import { dirname } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPod, deletePod, ephemeralNames, KUBECTL, kubectl, nodeSideApiServer, REPO, run, uniq } from './helpers.js';

// In-cluster configuration: the plugin runs INSIDE a pod of the local
// cluster, with no kubeconfig, as a ServiceAccount bound (RoleBinding) to the
// README's role (distroless-debug:debugger), and debugs another pod of its
// namespace. kubectl runs in the same pod as the reference.
//
// How the pod runs the plugin: BusyBox plus hostPath mounts of the host's
// node, its glibc, this worktree (bin/ and dist/ as built by the e2e setup)
// and kubectl (static). How it reaches the API server: this cluster has no
// kube-proxy, so the kubernetes Service's ClusterIP does not route, and the
// pod network has no return route from the API server's address; so the pod
// uses the node's network (hostNetwork, where the kubelet itself reaches the
// API server) and its spec sets KUBERNETES_SERVICE_HOST/PORT explicitly to
// the API server's node-side address (its certificate covers it; the
// cluster under test's, 10.213.213.1:6443 for the default one: helpers.ts
// nodeSideApiServer). The token, ca.crt and namespace come from the
// ServiceAccount volume as in any pod.
const ns = 'demo';
const target = uniq('incl-target');
const runner = uniq('incl-runner');
const sa = uniq('dd-incluster');
const NODE = process.execPath;
const KUBECTL_IN_POD = '/opt/kubectl';
const api = nodeSideApiServer();

beforeAll(async () => {
  await kubectl(['-n', ns, 'create', 'serviceaccount', sa]);
  await kubectl(['-n', ns, 'create', 'rolebinding', sa, '--clusterrole=distroless-debug:debugger', `--serviceaccount=${ns}:${sa}`]);
  const hostPath = (name: string, path: string, mountPath = path) => ({
    volume: { name, hostPath: { path } },
    mount: { name, mountPath, readOnly: true },
  });
  const mounts = [
    hostPath('node', NODE),
    hostPath('libs', '/usr/lib/x86_64-linux-gnu', '/lib/x86_64-linux-gnu'),
    hostPath('lib64', '/usr/lib64', '/lib64'),
    hostPath('repo', REPO.replace(/\/$/, '')),
    hostPath('kubectl', KUBECTL, KUBECTL_IN_POD),
  ];
  await Promise.all([
    createPod({ namespace: ns, name: target }),
    createPod({
      namespace: ns,
      name: runner,
      containers: [
        {
          name: 'runner',
          image: '127.0.0.1:5000/library/busybox:latest',
          command: ['sleep', '3600'],
          env: [
            { name: 'KUBERNETES_SERVICE_HOST', value: api.hostname },
            { name: 'KUBERNETES_SERVICE_PORT', value: api.port },
            { name: 'HOME', value: '/tmp' },
          ],
          volumeMounts: mounts.map((m) => m.mount),
        },
      ],
      spec: { serviceAccountName: sa, hostNetwork: true, volumes: mounts.map((m) => m.volume) },
    }),
  ]);
}, 180_000);
afterAll(async () => {
  await Promise.all([deletePod(ns, target), deletePod(ns, runner)]);
  await kubectl(['-n', ns, 'delete', 'rolebinding', sa, '--ignore-not-found']);
  await kubectl(['-n', ns, 'delete', 'serviceaccount', sa, '--ignore-not-found']);
});

/** A command inside the runner pod (exec from the host as the admin). */
const inPod = (args: string[], env: string[] = []) =>
  run(KUBECTL, ['--context', 'admin', '-n', ns, 'exec', runner, '--', 'env', ...env, ...args], { timeoutMs: 150_000 });
const pluginInPod = (args: string[], env: string[] = []) => inPod([NODE, `${REPO.replace(/\/$/, '')}/bin/kubectl-distroless_debug`, ...args], env);

describe('in-cluster configuration (a ServiceAccount, no kubeconfig)', () => {
  it('kubectl in the pod works in-cluster: the reference', async () => {
    const r = await inPod([KUBECTL_IN_POD, 'get', 'pod', target, '-o', 'name']);
    expect(r.stderr).toBe('');
    expect(r).toMatchObject({ code: 0, stdout: `pod/${target}\n` });
  });

  it('the plugin in the pod debugs another pod: server, token and CA from the ServiceAccount, namespace from its file', async () => {
    const r = await pluginInPod([target, '-v', '--', 'cat', 'etc/app-variant']);
    expect(r.stdout).toBe('nonroot\n');
    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`using the in-cluster configuration (server ${api.origin}, namespace ${ns})`);
    expect(r.stderr).not.toMatch(/eyJ[\w-]{20,}/); // the token never shows
    // And kubectl, in the same pod, can exec into the debugger the plugin added.
    const names = await ephemeralNames(ns, target);
    const k = await inPod([KUBECTL_IN_POD, 'exec', target, '-c', names[names.length - 1] as string, '--', 'cat', '/proc/1/root/etc/app-variant']);
    expect(k).toMatchObject({ code: 0, stdout: 'nonroot\n' });
  });

  it('only what the README role allows: a namespace the binding does not cover is refused like kubectl (RBAC)', async () => {
    const k = await inPod([KUBECTL_IN_POD, '-n', 'default', 'get', 'pods']);
    expect(k.code).toBe(1);
    const r = await pluginInPod(['-n', 'default', 'some-pod', '-q', '--', 'true']);
    expect(r.code).toBe(70);
    expect(r.stderr).toMatch(/^error: not allowed to get pods in namespace "default"/);
  });

  it('KUBECONFIG naming only missing files is no kubeconfig: in-cluster still applies, for kubectl and the plugin', async () => {
    const missing = `KUBECONFIG=${dirname(KUBECTL_IN_POD)}/no-such-kubeconfig`;
    expect((await pluginInPod([target, '-q', '--', 'true'], [missing])).code).toBe(0);
    expect((await inPod([KUBECTL_IN_POD, 'get', 'pod', target, '-o', 'name'], [missing])).code).toBe(0);
  });

  it('a kubeconfig, when there is one, wins over in-cluster (kubectl too)', async () => {
    const kc = JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'dead', cluster: { server: `https://${api.hostname}:1`, 'insecure-skip-tls-verify': true } }],
      users: [{ name: 'u', user: { token: 'x' } }],
      contexts: [{ name: 'dead', context: { cluster: 'dead', user: 'u' } }],
      'current-context': 'dead',
    });
    expect((await inPod(['sh', '-c', `printf '%s' '${kc}' > /tmp/kubeconfig`])).code).toBe(0);
    const k = await inPod([KUBECTL_IN_POD, 'get', 'pod', target, '--request-timeout=5s'], ['KUBECONFIG=/tmp/kubeconfig']);
    expect(k.code).toBe(1);
    expect(k.stderr).toContain(`${api.hostname}:1`);
    const r = await pluginInPod([target, '-q', '--request-timeout=5s', '--', 'true'], ['KUBECONFIG=/tmp/kubeconfig']);
    expect(r.code).toBe(78);
    expect(r.stderr).toContain(`https://${api.hostname}:1`);
  });
});
