import { PassThrough } from 'node:stream';
import type { Options } from '../cli/options.js';
import type { loadConnection } from '../kubeconfig/load.js';
import { debuggerState, getPod } from '../kube/pods.js';
import type { KubeClient } from '../kube/rest.js';
import type { DebugPlan } from '../plan/plan.js';
import { promptFor, sessionScript } from '../plan/scripts.js';
import type { Emit } from '../progress/events.js';
import type { RunIO } from './run.js';
import { streamSession } from './stream.js';

export interface SessionInput {
  plan: DebugPlan;
  container: string;
  kube: KubeClient;
  conn: Awaited<ReturnType<typeof loadConnection>>;
  options: Options;
  emit: Emit;
  io: RunIO;
}

export async function openSession(input: SessionInput): Promise<number> {
  const { plan, container, kube, io, emit } = input;
  const where = `pod/${plan.pod} (${plan.target.container}) through ${container}`;
  emit({
    kind: 'ready',
    text: plan.session.command.length === 0 ? `shell in ${where}; cwd is the app's root, exit to leave` : `running in ${where}`,
  });
  if (plan.mode === 'exec') {
    const command = ['/bin/sh', '-c', sessionScript(promptFor(plan.pod, plan.target.container)), 'distroless-debug-session', ...plan.session.command];
    const result = await streamSession({ kube, conn: input.conn, plan, container, kind: 'exec', command, io, emit });
    return result ?? 0;
  }
  // attach: the debugger's main process is the session; it waits for a first line.
  const stdin = new PassThrough();
  stdin.write('\n');
  if (plan.session.stdin) io.stdin.pipe(stdin);
  else stdin.end();
  await streamSession({ kube, conn: input.conn, plan, container, kind: 'attach', command: [], io: { ...io, stdin: stdin as unknown as NodeJS.ReadStream }, emit });
  return attachExitCode(kube, plan, container);
}

/** Attach reports no exit code: the container's terminated state holds it. */
async function attachExitCode(kube: KubeClient, plan: DebugPlan, container: string): Promise<number> {
  for (let i = 0; i < 50; i++) {
    const state = debuggerState(await getPod(kube, plan.namespace, plan.pod), container);
    if (state?.terminated) return state.terminated.exitCode;
    await new Promise((r) => setTimeout(r, 200));
  }
  return 0;
}
