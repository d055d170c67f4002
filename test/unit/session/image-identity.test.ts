import type { V1Pod } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { KubeClient } from '../../../src/kube/rest.js';
import type { ProgressEvent } from '../../../src/progress/events.js';
import { lookupImageUser, needsImageUser } from '../../../src/session/image-identity.js';
import { FakeApiServer } from '../kube/fake-apiserver.js';
import { dockerConfig, FakeRegistry } from '../registry/fake-registry.js';
import type { Target } from '../../../src/plan/target.js';

const target: Target = { container: 'app', reason: 'only', containerId: undefined, sharedPidNamespace: false };
const pod = (over: { user?: boolean; csc?: number; psc?: number } = {}): V1Pod => ({
  spec: {
    containers: [{ name: 'app', ...(over.csc === undefined ? {} : { securityContext: { runAsUser: over.csc } }) }],
    ...(over.psc === undefined ? {} : { securityContext: { runAsUser: over.psc } }),
  },
  status: {
    containerStatuses: [
      { name: 'app', image: 'x', imageID: 'x', ready: true, restartCount: 0, ...(over.user ? { user: { linux: { uid: 1, gid: 1 } } } : {}) },
    ],
  },
});

describe('needsImageUser', () => {
  it.each([
    { name: 'nothing known', pod: pod(), uid: undefined, want: true },
    { name: 'the runtime reported the user', pod: pod({ user: true }), uid: undefined, want: false },
    { name: 'container runAsUser', pod: pod({ csc: 5 }), uid: undefined, want: false },
    { name: 'pod runAsUser', pod: pod({ psc: 5 }), uid: undefined, want: false },
    { name: '--uid given', pod: pod(), uid: 7, want: false },
  ])('$name', ({ pod, uid, want }) => {
    expect(needsImageUser(pod, target, uid)).toBe(want);
  });
});

describe('lookupImageUser and the pod pull secrets', () => {
  const nonroot = { architecture: 'amd64', os: 'linux', config: { User: '65532:65532' }, rootfs: { type: 'layers', diff_ids: [] } };
  const stops: Array<() => Promise<void>> = [];
  afterEach(async () => {
    await Promise.all(stops.splice(0).map((f) => f()));
  });

  async function setup(opts: { auth: boolean; secretFor?: string }) {
    const reg = await new FakeRegistry(opts.auth ? { auth: { kind: 'basic', user: 'robot', pass: 's3cret-pw' } } : {}).start();
    stops.push(() => reg.stop());
    const { manifest } = reg.addImage(nonroot);
    const secret = { data: { '.dockerconfigjson': Buffer.from(dockerConfig(opts.secretFor ?? reg.host, 'robot', 's3cret-pw')).toString('base64') } };
    const api = await new FakeApiServer((_req, res, seen) => {
      res.writeHead(seen.path === '/api/v1/namespaces/demo/secrets/regcred' ? 200 : 404, { 'Content-Type': 'application/json' });
      res.end(JSON.stringify(seen.path === '/api/v1/namespaces/demo/secrets/regcred' ? secret : { kind: 'Status' }));
    }).start();
    stops.push(() => api.stop());
    const pod: V1Pod = {
      metadata: { name: 'web', namespace: 'demo' },
      spec: { containers: [{ name: 'app', image: `${reg.host}/fixtures/app:nonroot` }], imagePullSecrets: [{ name: 'regcred' }, { name: 'missing' }] },
      status: { containerStatuses: [{ name: 'app', image: 'x', imageID: `${reg.host}/fixtures/app@${manifest}`, ready: true, restartCount: 0 }] },
    };
    const events: ProgressEvent[] = [];
    const run = (pullSecrets?: boolean) =>
      lookupImageUser({
        kube: new KubeClient(api.connection()),
        pod,
        target,
        env: { DOCKER_CONFIG: '/nonexistent' },
        emit: (e) => events.push(e),
        ...(pullSecrets === undefined ? {} : { pullSecrets }),
      });
    return { reg, api, events, run };
  }

  it('says so, once, naming the secret and the registry host, when a pull secret is sent', async () => {
    const { reg, events, run } = await setup({ auth: true });
    await expect(run()).resolves.toEqual({ uid: 65532, gid: 65532 });
    const infos = events.filter((e) => e.kind === 'info').map((e) => (e as { text: string }).text);
    expect(infos).toEqual([`sending the pod's pull secret "regcred" to ${reg.host} to read the image's user (--no-pull-secrets to skip)`]);
    expect(JSON.stringify(events)).not.toContain('s3cret-pw');
    expect(JSON.stringify(events)).not.toContain(Buffer.from('robot:s3cret-pw').toString('base64'));
  });

  it('says nothing when the registry never asks for credentials', async () => {
    const { reg, events, run } = await setup({ auth: false });
    await expect(run()).resolves.toEqual({ uid: 65532, gid: 65532 });
    expect(events.filter((e) => e.kind === 'info')).toEqual([]);
    expect(reg.requests.every((r) => r.authorization === undefined)).toBe(true);
  });

  it('--no-pull-secrets: the secret is neither read nor sent', async () => {
    const { reg, api, events, run } = await setup({ auth: true });
    await expect(run(false)).resolves.toBeUndefined();
    expect(api.seen.filter((s) => s.path.includes('/secrets/'))).toEqual([]);
    expect(reg.requests.every((r) => r.authorization === undefined)).toBe(true);
    expect(events.filter((e) => e.kind === 'info')).toEqual([]);
  });
});
