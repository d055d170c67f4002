import type { V1LabelSelector, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { pickPod, selectorString } from '../../../src/kube/workload.js';

describe('selectorString', () => {
  it.each<{ name: string; sel: V1LabelSelector | undefined; want: string }>([
    { name: 'undefined', sel: undefined, want: '' },
    { name: 'empty', sel: {}, want: '' },
    { name: 'one label', sel: { matchLabels: { app: 'web' } }, want: 'app=web' },
    { name: 'labels in order', sel: { matchLabels: { app: 'web', 'app.kubernetes.io/part-of': 'shop', tier: 'fe' } }, want: 'app=web,app.kubernetes.io/part-of=shop,tier=fe' },
    { name: 'In', sel: { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod', 'staging'] }] }, want: 'env in (prod,staging)' },
    { name: 'In with one value', sel: { matchExpressions: [{ key: 'env', operator: 'In', values: ['prod'] }] }, want: 'env in (prod)' },
    { name: 'NotIn', sel: { matchExpressions: [{ key: 'track', operator: 'NotIn', values: ['canary', 'dev'] }] }, want: 'track notin (canary,dev)' },
    { name: 'Exists', sel: { matchExpressions: [{ key: 'team', operator: 'Exists' }] }, want: 'team' },
    { name: 'DoesNotExist', sel: { matchExpressions: [{ key: 'legacy', operator: 'DoesNotExist' }] }, want: '!legacy' },
    { name: 'an unknown operator is skipped', sel: { matchExpressions: [{ key: 'x', operator: 'Gt', values: ['1'] }] }, want: '' },
    {
      name: 'labels then every expression, in order',
      sel: {
        matchLabels: { app: 'web' },
        matchExpressions: [
          { key: 'env', operator: 'In', values: ['prod'] },
          { key: 'track', operator: 'NotIn', values: ['canary'] },
          { key: 'team', operator: 'Exists' },
          { key: 'legacy', operator: 'DoesNotExist' },
        ],
      },
      want: 'app=web,env in (prod),track notin (canary),team,!legacy',
    },
  ])('$name', ({ sel, want }) => {
    expect(selectorString(sel)).toBe(want);
  });
});

function pod(name: string, opts: { phase?: string; ready?: boolean; created?: string; deleting?: boolean } = {}): V1Pod {
  const p: V1Pod = {
    metadata: { name, ...(opts.created ? { creationTimestamp: new Date(opts.created) } : {}) },
    status: {
      ...(opts.phase ? { phase: opts.phase } : {}),
      conditions: [{ type: 'Ready', status: opts.ready ? 'True' : 'False' }],
    },
  };
  if (opts.deleting) p.metadata!.deletionTimestamp = new Date('2025-01-02T00:00:00Z');
  return p;
}

describe('pickPod', () => {
  const T1 = '2025-01-01T00:00:00Z';
  const T2 = '2025-01-01T01:00:00Z';
  const T3 = '2025-01-01T02:00:00Z';
  it.each<{ name: string; pods: V1Pod[]; want: string | undefined }>([
    { name: 'no pods', pods: [], want: undefined },
    { name: 'one ready pod', pods: [pod('a', { phase: 'Running', ready: true, created: T1 })], want: 'a' },
    { name: 'running but not ready only', pods: [pod('a', { phase: 'Running', ready: false, created: T1 })], want: undefined },
    {
      name: 'ready beats running-not-ready even when newer',
      pods: [pod('old', { phase: 'Running', ready: false, created: T1 }), pod('new', { phase: 'Running', ready: true, created: T3 })],
      want: 'new',
    },
    {
      name: 'the oldest of the ready pods',
      pods: [
        pod('b', { phase: 'Running', ready: true, created: T2 }),
        pod('c', { phase: 'Running', ready: true, created: T3 }),
        pod('a', { phase: 'Running', ready: true, created: T1 }),
      ],
      want: 'a',
    },
    {
      name: 'same age: by name',
      pods: [pod('web-b', { phase: 'Running', ready: true, created: T1 }), pod('web-a', { phase: 'Running', ready: true, created: T1 })],
      want: 'web-a',
    },
    {
      name: 'terminating pods are skipped even if ready and oldest',
      pods: [pod('dying', { phase: 'Running', ready: true, created: T1, deleting: true }), pod('live', { phase: 'Running', ready: true, created: T2 })],
      want: 'live',
    },
    { name: 'only a terminating pod', pods: [pod('dying', { phase: 'Running', ready: true, created: T1, deleting: true })], want: undefined },
    {
      name: 'Pending, Succeeded, Failed and phaseless pods are skipped',
      pods: [
        pod('p', { phase: 'Pending', ready: true, created: T1 }),
        pod('s', { phase: 'Succeeded', ready: true, created: T1 }),
        pod('f', { phase: 'Failed', ready: true, created: T1 }),
        pod('u', { ready: true, created: T1 }),
        pod('r', { phase: 'Running', ready: true, created: T3 }),
      ],
      want: 'r',
    },
    { name: 'no Running pods at all', pods: [pod('p', { phase: 'Pending', created: T1 })], want: undefined },
    {
      name: 'a pod without creationTimestamp counts as oldest',
      pods: [pod('dated', { phase: 'Running', ready: true, created: T1 }), pod('undated', { phase: 'Running', ready: true })],
      want: 'undated',
    },
  ])('$name', ({ pods, want }) => {
    const got = pickPod(pods);
    expect(got?.metadata?.name).toBe(want);
    if (want !== undefined) expect(got).toBe(pods.find((p) => p.metadata?.name === want));
  });

  it('does not reorder the input', () => {
    const pods = [pod('b', { phase: 'Running', ready: true, created: T2 }), pod('a', { phase: 'Running', ready: true, created: T1 })];
    pickPod(pods);
    expect(pods.map((p) => p.metadata?.name)).toEqual(['b', 'a']);
  });

  it('accepts a string creationTimestamp (raw JSON from the API)', () => {
    const a = pod('a', { phase: 'Running', ready: true });
    const b = pod('b', { phase: 'Running', ready: true });
    (a.metadata as Record<string, unknown>).creationTimestamp = '2025-01-01T02:00:00Z';
    (b.metadata as Record<string, unknown>).creationTimestamp = '2025-01-01T01:00:00Z';
    expect(pickPod([a, b])?.metadata?.name).toBe('b');
  });
});
