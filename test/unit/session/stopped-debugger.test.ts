import type { V1Pod } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { StreamRefusedError } from '../../../src/errors.js';
import type { KubeClient } from '../../../src/kube/rest.js';
import { IdentityMismatch } from '../../../src/session/start.js';
import { keeperReportAfterRefusal, stoppedByPerson } from '../../../src/session/stopped-debugger.js';

// The pod as the API server shows it once the keeper of debugger "dbg" found
// the wrong identity and exited with its report.
const reported: V1Pod = {
  status: {
    containerStatuses: [{ name: 'app', image: 'i', imageID: '', ready: true, restartCount: 0, state: { running: {} } }],
    ephemeralContainerStatuses: [{ name: 'dbg', image: 'i', imageID: '', ready: false, restartCount: 0, state: { terminated: { exitCode: 1, message: 'identity-mismatch pid=1 uid=1001 gid=1001' } } }],
  },
};
const kube = { get: async () => reported } as unknown as KubeClient;
const refused = (message: string) => new StreamRefusedError(`the exec session in pod demo/p (container dbg) failed: ${message}; check that the container is running and the command exists`);

describe("keeperReportAfterRefusal: an exec refused by a stopped debugger hides the keeper's report", () => {
  it.each([
    ['container not found ("dbg")'],
    // v1.37 kubelet + containerd 2.2: the stream opened, the exec's creation failed as the container exited.
    ['Internal error occurred: error executing command in container: failed to exec in container: failed to create exec "1f26": ttrpc: closed'],
    // containerd 1.7 (the second node), seen in a CI run: the same race, its own words.
    ['Internal error occurred: Internal error occurred: error executing command in container: failed to exec in container: failed to create exec "9b3f": cannot exec in a deleted state: unknown'],
    ['Internal error occurred: error executing command in container: failed to exec in container: failed to load task: no running task found: task 6c4b not found'],
    ['Internal error occurred: error executing command in container: failed to exec in container: container is in CONTAINER_EXITED state'],
  ])('%s: the report is read from the status', async (message) => {
    const r = await keeperReportAfterRefusal(kube, 'demo', 'p', 'dbg', 'app', refused(message), 0);
    expect(r).toBeInstanceOf(IdentityMismatch);
    expect(r?.mismatch).toEqual({ pid: 1, uid: 1001, gid: 1001 });
  });

  it('another failure is not taken for a stopped debugger', async () => {
    expect(await keeperReportAfterRefusal(kube, 'demo', 'p', 'dbg', 'app', refused('command terminated with non-zero exit code'), 0)).toBeUndefined();
  });
});

describe('stoppedByPerson: a session killed by its debugger\'s end, before the keeper knew of it', () => {
  const podWith = (state: object): V1Pod => ({ status: { ephemeralContainerStatuses: [{ name: 'dbg', image: 'i', imageID: '', ready: false, restartCount: 0, state }] } });
  const seq = (...pods: V1Pod[]) => {
    let i = 0;
    return { get: async () => pods[Math.min(i++, pods.length - 1)] } as unknown as KubeClient;
  };

  it('says who stopped it', async () => {
    const k = seq(podWith({ terminated: { exitCode: 0, message: 'stopped by dd-admin at 2026-11-28T16:17:39Z\n' } }));
    const err = await stoppedByPerson(k, 'demo', 'p', 'dbg');
    expect(err?.message).toBe('debugger dbg was stopped by dd-admin at 2026-11-28T16:17:39Z (kubectl distroless-debug stop) while this session was starting; run the command again for a new debugger');
  });

  it('another end (idle timeout) or a debugger still running is not a stop', async () => {
    expect(await stoppedByPerson(seq(podWith({ terminated: { exitCode: 0, message: 'idle-timeout 20\n' } })), 'demo', 'p', 'dbg')).toBeUndefined();
    expect(await stoppedByPerson(seq(podWith({ running: {} })), 'demo', 'p', 'dbg')).toBeUndefined();
  });
});
