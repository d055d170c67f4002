import { ConnectionLostError } from '../errors.js';
import { debuggerState, getPod } from '../kube/pods.js';
import type { KubeClient } from '../kube/rest.js';
import type { SessionPlan } from '../plan/plan.js';
import type { SessionInput } from './open.js';
import { streamSession } from './terminal-stream.js';

/** The debugger's attach script waits for this line before it starts, so no output is lost. */
const GO = Buffer.from('\n');

/**
 * Attach mode (exec denied, attach allowed): the debugger's main process is
 * the session. It is joined like an exec session (raw terminal, resizes,
 * Ctrl-C to the remote), with the go line sent first. Attach has no exit
 * status: the container's terminated state holds the code, and a debugger
 * still running after the stream closed means the connection was lost.
 */
export async function attachSession(input: SessionInput & { ready: () => void }): Promise<number> {
  const { plan, container, kube, io, emit } = input;
  await input.running;
  input.ready();
  await streamSession({ kube, conn: input.conn, plan, container, kind: 'attach', command: [], io, emit, preamble: GO });
  return attachExitCode(kube, plan, container);
}

/**
 * Attach reports no exit code: the container's terminated state holds it.
 * The kubelet reports it within a status sync or two of the stream closing.
 */
export async function attachExitCode(kube: KubeClient, plan: SessionPlan, container: string, waitMs = 10_000, pollMs = 200): Promise<number> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    const state = debuggerState(await getPod(kube, plan.namespace, plan.pod), container);
    if (state?.terminated) return state.terminated.exitCode;
    if (Date.now() >= deadline) break;
    await new Promise((r) => setTimeout(r, pollMs));
  }
  throw new ConnectionLostError(
    `the attach stream closed but debugger ${container} in pod ${plan.namespace}/${plan.pod} is still running: the connection was lost; check the network and run the command again`,
  );
}
