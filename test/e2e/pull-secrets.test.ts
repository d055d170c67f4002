import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPod, deletePod, kubectl, plugin, uniq } from './helpers.js';

// The pod's pull secrets are the workload's credentials. The plugin reads
// them only to ask the registry for the image's user, says so when one is
// sent, and --no-pull-secrets (or DISTROLESS_DEBUG_NO_PULL_SECRETS=1) keeps
// them unread. (On this cluster containerd reports the target's user, so the
// registry is never asked: the announcement itself is covered by
// test/unit/session/image-identity.test.ts against a registry that demands
// credentials.)
const ns = 'demo';
const pod = uniq('pullsec');
const secret = uniq('regcred');

beforeAll(async () => {
  const auth = Buffer.from('robot:not-a-real-password').toString('base64');
  const config = JSON.stringify({ auths: { '127.0.0.1:5000': { auth } } });
  await kubectl(
    ['apply', '-f', '-'],
    JSON.stringify({
      apiVersion: 'v1',
      kind: 'Secret',
      type: 'kubernetes.io/dockerconfigjson',
      metadata: { name: secret, namespace: ns },
      data: { '.dockerconfigjson': Buffer.from(config).toString('base64') },
    }),
  );
  await createPod({ namespace: ns, name: pod, spec: { imagePullSecrets: [{ name: secret }] } });
});
afterAll(async () => {
  await deletePod(ns, pod);
  await kubectl(['-n', ns, 'delete', 'secret', secret, '--ignore-not-found']);
});

describe('--no-pull-secrets', () => {
  it('is accepted by the executable and the session runs as usual', async () => {
    const r = await plugin(['-n', ns, pod, '--no-pull-secrets', '-q', '--', 'cat', 'etc/app-variant']);
    expect(r).toEqual({ code: 0, stdout: 'nonroot\n', stderr: '' });
  });

  it('DISTROLESS_DEBUG_NO_PULL_SECRETS=1 does the same', async () => {
    const r = await plugin(['-n', ns, pod, '-q', '--', 'cat', 'etc/app-variant'], { env: { DISTROLESS_DEBUG_NO_PULL_SECRETS: '1' } });
    expect(r).toEqual({ code: 0, stdout: 'nonroot\n', stderr: '' });
  });

  it('is in --help', async () => {
    const r = await plugin(['--help']);
    expect(r.stdout).toMatch(/--no-pull-secrets\s+never read the pod's image pull secrets/);
  });

  it('with the identity known from the runtime, no secret is read and none is sent', async () => {
    const r = await plugin(['-n', ns, pod, '-v', '--', 'true']);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toMatch(/\/secrets\//);
    expect(r.stderr).not.toMatch(/sending the pod's pull secret/);
    expect(r.stderr).not.toContain('not-a-real-password');
  });
});
