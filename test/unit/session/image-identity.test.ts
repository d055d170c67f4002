import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { needsImageUser } from '../../../src/session/image-identity.js';
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
