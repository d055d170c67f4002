import type { V1ContainerStatus, V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { targetGoneReason } from '../../../src/plan/target-gone.js';

function pod(status: Partial<V1ContainerStatus>, meta: V1Pod['metadata'] = {}): V1Pod {
  return {
    metadata: { name: 'web-1', uid: 'u1', ...meta },
    status: {
      containerStatuses: [
        { name: 'app', image: 'x', imageID: '', ready: true, restartCount: 0, containerID: 'containerd://a', state: { running: {} }, ...status },
      ],
    },
  };
}

describe('targetGoneReason', () => {
  const before = pod({});
  it('nothing changed: no reason', () => {
    expect(targetGoneReason(before, pod({}), 'app')).toBeUndefined();
  });
  it('the pod is gone, or replaced under the same name', () => {
    expect(targetGoneReason(before, undefined, 'app')).toBe('pod/web-1 was deleted during the session; the debugger went with it');
    expect(targetGoneReason(before, pod({}, { uid: 'u2' }), 'app')).toMatch(/was deleted/);
  });
  it('the pod is being deleted', () => {
    expect(targetGoneReason(before, pod({}, { deletionTimestamp: new Date('2026-01-01T00:00:00Z') }), 'app')).toBe(
      'pod/web-1 is being deleted (since 2026-01-01T00:00:00.000Z); the debugger went with it',
    );
  });
  it('the target restarted: its last termination is quoted', () => {
    const after = pod({
      restartCount: 1,
      containerID: 'containerd://b',
      state: { running: {} },
      lastState: { terminated: { exitCode: 2, reason: 'Error', finishedAt: new Date('2026-01-01T00:00:01Z') } },
    });
    expect(targetGoneReason(before, after, 'app')).toBe(
      'the target container app of pod/web-1 exited during the session (Error, exit code 2, at 2026-01-01T00:00:01.000Z); it has restarted; the debugger shares its process namespace and ended with it',
    );
  });
  it('the target is waiting to restart', () => {
    const after = pod({ restartCount: 1, state: { waiting: { reason: 'CrashLoopBackOff' } }, lastState: { terminated: { exitCode: 1, reason: 'Error' } } });
    expect(targetGoneReason(before, after, 'app')).toMatch(/exited during the session \(Error, exit code 1\); it is now CrashLoopBackOff;/);
  });
});
