import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { load } from 'js-yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPod, deletePod, kubectl, KUBECONFIG, plugin, uniq } from './helpers.js';

// The ways users authenticate, against the real API server: an exec
// credential plugin (how GKE and EKS log in), a bearer token, and a KUBECONFIG
// list merged the kubectl way.
interface Kubeconfig {
  clusters: Array<{ name: string; cluster: Record<string, string> }>;
  users: Array<{ name: string; user: Record<string, string> }>;
}
const ns = 'demo';
const pod = uniq('auth');
const dir = mkdtempSync(`${tmpdir()}/dd-auth-`);
const base = load(readFileSync(KUBECONFIG, 'utf8')) as Kubeconfig;
const cluster = base.clusters[0]!.cluster;
const debuggerUser = base.users.find((u) => u.name === 'debugger')!.user;

function writeKubeconfig(name: string, user: Record<string, unknown>, namespace = ns): string {
  const file = `${dir}/${name}`;
  writeFileSync(
    file,
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Config',
      clusters: [{ name: 'local', cluster }],
      users: [{ name, user }],
      contexts: [{ name, context: { cluster: 'local', user: name, namespace } }],
      'current-context': name,
    }),
  );
  return file;
}

beforeAll(async () => {
  await createPod({ namespace: ns, name: pod });
  await kubectl(['-n', ns, 'create', 'serviceaccount', 'dd-e2e-token']).catch(() => '');
  await kubectl(['create', 'clusterrolebinding', 'dd-e2e-token', '--clusterrole=distroless-debug:debugger', `--serviceaccount=${ns}:dd-e2e-token`]).catch(() => '');
});
afterAll(async () => {
  await deletePod(ns, pod);
  await kubectl(['delete', 'clusterrolebinding', 'dd-e2e-token', '--ignore-not-found']);
  await kubectl(['-n', ns, 'delete', 'serviceaccount', 'dd-e2e-token', '--ignore-not-found']);
});

describe('authentication', () => {
  it('an exec credential plugin that returns a client certificate', async () => {
    const cred = JSON.stringify({
      apiVersion: 'client.authentication.k8s.io/v1',
      kind: 'ExecCredential',
      status: {
        clientCertificateData: Buffer.from(debuggerUser['client-certificate-data']!, 'base64').toString(),
        clientKeyData: Buffer.from(debuggerUser['client-key-data']!, 'base64').toString(),
      },
    });
    writeFileSync(`${dir}/cred.json`, cred);
    const script = `${dir}/exec-plugin`;
    writeFileSync(script, `#!/bin/sh\necho called >> ${dir}/calls\ncat ${dir}/cred.json\n`);
    chmodSync(script, 0o755);
    const file = writeKubeconfig('exec', { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: script, interactiveMode: 'Never' } });
    const r = await plugin(['--kubeconfig', file, pod, '--', 'cat', 'etc/app-variant']);
    expect(r.stderr).not.toContain('error');
    expect(r).toMatchObject({ code: 0, stdout: 'nonroot\n' });
    expect(readFileSync(`${dir}/calls`, 'utf8')).toMatch(/^called\n/);
  });

  it('an exec credential plugin that fails: one line naming the plugin, exit 65', async () => {
    const file = writeKubeconfig('broken', { exec: { apiVersion: 'client.authentication.k8s.io/v1', command: `${dir}/no-such-plugin`, interactiveMode: 'Never' } });
    const r = await plugin(['--kubeconfig', file, pod, '--', 'true']);
    expect(r.code).toBe(65);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('error:'))).toEqual([
      `error: exec credential plugin "${dir}/no-such-plugin" for user "broken" (context "broken") was not found; install it or fix PATH`,
    ]);
  });

  it('a service account bearer token', async () => {
    const token = (await kubectl(['-n', ns, 'create', 'token', 'dd-e2e-token', '--duration=10m'])).trim();
    const file = writeKubeconfig('token', { token });
    const r = await plugin(['--kubeconfig', file, pod, '--', 'cat', 'etc/app-variant']);
    expect(r).toMatchObject({ code: 0, stdout: 'nonroot\n' });
    const v = await plugin(['--kubeconfig', file, pod, '-v', '--', 'true']);
    expect(v.stderr).not.toContain(token);
    expect(v.stderr).toContain('<redacted>');
  });

  it('a KUBECONFIG list: the first file that names a context wins, the current context comes from the first that sets one', async () => {
    const first = writeKubeconfig('listed', { ...debuggerUser });
    // A second file with the same names but a broken user must be ignored.
    const second = `${dir}/second`;
    writeFileSync(
      second,
      JSON.stringify({
        apiVersion: 'v1',
        kind: 'Config',
        clusters: [{ name: 'local', cluster: { server: 'https://127.0.0.1:1' } }],
        users: [{ name: 'listed', user: { token: 'wrong' } }],
        contexts: [{ name: 'listed', context: { cluster: 'local', user: 'listed', namespace: 'nope' } }],
        'current-context': 'listed',
      }),
    );
    const r = await plugin([pod, '--', 'cat', 'etc/app-variant'], { env: { KUBECONFIG: `${first}:${second}` } });
    expect(r).toMatchObject({ code: 0, stdout: 'nonroot\n' });
  });
});
