import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { buildPodCopy, COPY_OF_LABEL, pickCopySource, podFromTemplate } from '../../../src/plan/copy-pod.js';

const pod = (name: string, created: string, extra: Partial<V1Pod['metadata']> = {}): V1Pod => ({
  metadata: { name, creationTimestamp: new Date(created), ...extra },
  spec: { containers: [{ name: 'app', image: 'app:crash' }] },
  status: { phase: 'Running', containerStatuses: [{ name: 'app', image: 'app:crash', imageID: '', ready: false, restartCount: 3, state: { waiting: { reason: 'CrashLoopBackOff' } } }] },
});

describe('pickCopySource (a workload whose pods do not run)', () => {
  it('takes the running and ready pod when there is one', () => {
    const ready = pod('b', '2026-01-01T00:00:00Z');
    expect(pickCopySource([pod('a', '2026-01-02T00:00:00Z'), ready], ready)).toBe(ready);
  });
  it('else the newest pod that is not being deleted (the current template in a rollout)', () => {
    const old = pod('old', '2026-01-01T00:00:00Z');
    const newest = pod('newest', '2026-01-03T00:00:00Z');
    const going = pod('going', '2026-01-04T00:00:00Z', { deletionTimestamp: new Date('2026-01-05T00:00:00Z') });
    expect(pickCopySource([old, going, newest], undefined)?.metadata?.name).toBe('newest');
  });
  it('same age: by name, for a stable choice', () => {
    expect(pickCopySource([pod('y', '2026-01-01T00:00:00Z'), pod('x', '2026-01-01T00:00:00Z')], undefined)?.metadata?.name).toBe('x');
  });
  it('no pod (or only pods being deleted): none', () => {
    expect(pickCopySource([], undefined)).toBeUndefined();
    expect(pickCopySource([pod('going', '2026-01-04T00:00:00Z', { deletionTimestamp: new Date() })], undefined)).toBeUndefined();
  });
});

describe('podFromTemplate (a workload with no pods)', () => {
  const deploy = {
    metadata: { name: 'web', namespace: 'shop' },
    spec: {
      template: {
        metadata: { labels: { app: 'web' }, annotations: { a: 'b' } },
        spec: { serviceAccountName: 'web', containers: [{ name: 'app', image: 'app:crash', command: ['/app'] }] },
      },
    },
  };
  it('is the pod the controller would create, named after the workload', () => {
    const p = podFromTemplate(deploy, 'shop');
    expect(p).toEqual({
      apiVersion: 'v1',
      kind: 'Pod',
      metadata: { name: 'web', namespace: 'shop', labels: { app: 'web' }, annotations: { a: 'b' } },
      spec: deploy.spec.template.spec,
    });
    // A copy of the template, not the workload's own object.
    expect(p?.spec).not.toBe(deploy.spec.template.spec);
  });
  it('its copy carries none of the template labels (nothing adopts it) and names the workload', () => {
    const copy = buildPodCopy({ pod: podFromTemplate(deploy, 'shop') as V1Pod, name: 'web-debug', container: 'app', image: 'busybox', imagePullPolicy: undefined });
    expect(copy.metadata?.labels).toEqual({ [COPY_OF_LABEL]: 'web' });
    expect(copy.metadata?.namespace).toBe('shop');
  });
  it('an object without a pod template: none', () => {
    expect(podFromTemplate({ metadata: { name: 'x' }, spec: {} }, 'ns')).toBeUndefined();
  });
});
