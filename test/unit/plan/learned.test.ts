import type { V1EphemeralContainer, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { learnFromEarlierDebuggers } from '../../../src/plan/learned.js';

const guess = { uid: 65532, gid: 65532, source: 'probe' as const };
const eph = (name: string, uid: number, gid: number, target = 'app'): V1EphemeralContainer => ({
  name,
  targetContainerName: target,
  securityContext: { runAsUser: uid, runAsGroup: gid },
});

function pod(ephs: V1EphemeralContainer[], messages: Record<string, string>, debuggerStart = '2026-01-01T00:01:00Z'): V1Pod {
  return {
    metadata: { name: 'web-1' },
    spec: { containers: [{ name: 'app' }], ephemeralContainers: ephs },
    status: {
      containerStatuses: [{ name: 'app', image: '', imageID: '', ready: true, restartCount: 0, state: { running: { startedAt: new Date('2026-01-01T00:00:00Z') } } }],
      ephemeralContainerStatuses: ephs.map((c) => ({
        name: c.name,
        image: '',
        imageID: '',
        ready: false,
        restartCount: 0,
        state: { terminated: { exitCode: 3, message: messages[c.name], startedAt: new Date(debuggerStart) } },
      })),
    },
  };
}

describe('learnFromEarlierDebuggers', () => {
  it('nothing to learn', () => {
    expect(learnFromEarlierDebuggers(pod([], {}), 'app', guess)).toBeUndefined();
  });
  it('a mismatch reported for the same guess gives the corrected identity', () => {
    const p = pod([eph('distroless-debug-a', 65532, 65532)], { 'distroless-debug-a': 'identity-mismatch pid=1 uid=1001 gid=1001\n' });
    expect(learnFromEarlierDebuggers(p, 'app', guess)).toEqual({ kind: 'correction', identity: { uid: 1001, gid: 1001, source: 'correction' }, from: 'distroless-debug-a' });
  });
  it('the target refused even its own identity: unopenable', () => {
    const p = pod([eph('distroless-debug-a', 1001, 1001)], { 'distroless-debug-a': 'identity-mismatch pid=1 uid=1001 gid=1001\n' });
    expect(learnFromEarlierDebuggers(p, 'app', guess)).toEqual({ kind: 'unopenable', uid: 1001, gid: 1001, from: 'distroless-debug-a' });
  });
  it('ignores reports from before the target started, for other targets, and from other tools', () => {
    const m = { 'distroless-debug-a': 'identity-mismatch pid=1 uid=1001 gid=1001\n', 'x-b': 'identity-mismatch pid=1 uid=1 gid=1\n', 'distroless-debug-c': 'identity-mismatch pid=1 uid=2 gid=2\n' };
    expect(learnFromEarlierDebuggers(pod([eph('distroless-debug-a', 1001, 1001)], m, '2025-12-31T00:00:00Z'), 'app', guess)).toBeUndefined();
    expect(learnFromEarlierDebuggers(pod([eph('x-b', 65532, 65532), eph('distroless-debug-c', 65532, 65532, 'sidecar')], m), 'app', guess)).toBeUndefined();
  });
});
