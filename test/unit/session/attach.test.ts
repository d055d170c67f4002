import { describe, expect, it } from 'vitest';
import { ConnectionLostError } from '../../../src/errors.js';
import type { KubeClient } from '../../../src/kube/rest.js';
import type { DebugPlan } from '../../../src/plan/plan.js';
import { attachExitCode } from '../../../src/session/attach.js';

const plan = { namespace: 'ns', pod: 'p' } as DebugPlan;

/** A client whose pod reads return the given debugger states in turn (the last one repeats). */
function kubeWith(states: Array<Record<string, unknown>>): KubeClient {
  let i = 0;
  const get = async () => {
    const state = states[Math.min(i++, states.length - 1)];
    return { status: { ephemeralContainerStatuses: [{ name: 'dbg', state }] } };
  };
  return { get } as unknown as KubeClient;
}

describe('attachExitCode', () => {
  it("returns the container's exit code once the kubelet reports it terminated", async () => {
    const kube = kubeWith([{ running: {} }, { running: {} }, { terminated: { exitCode: 3 } }]);
    await expect(attachExitCode(kube, plan, 'dbg', 1_000, 5)).resolves.toBe(3);
  });

  it('a debugger still running after the stream closed means the connection was lost (75), not 0', async () => {
    const kube = kubeWith([{ running: {} }]);
    await expect(attachExitCode(kube, plan, 'dbg', 50, 5)).rejects.toBeInstanceOf(ConnectionLostError);
  });
});
