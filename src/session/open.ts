import type { Options } from '../options.js';
import type { loadConnection } from '../kubeconfig/load.js';
import type { KubeClient } from '../kube/rest.js';
import type { DebugPlan } from '../plan/plan.js';
import { promptFor, sessionScript } from '../plan/scripts.js';
import { StreamRefusedError, TimeoutError } from '../errors.js';
import type { Emit } from '../progress/events.js';
import type { RunIO } from './run.js';
import { attachSession } from './attach.js';
import { streamSession } from './terminal-stream.js';

export interface SessionInput {
  plan: DebugPlan;
  container: string;
  /** Pending while the kubelet has not reported the debugger running; undefined once known. */
  running: Promise<void> | undefined;
  kube: KubeClient;
  conn: Awaited<ReturnType<typeof loadConnection>>;
  options: Options;
  emit: Emit;
  io: RunIO;
}

export async function openSession(input: SessionInput): Promise<number> {
  const { plan, container, kube, io, emit } = input;
  const where = `pod/${plan.pod} (${plan.target.container}) through ${container}`;
  let announced = false;
  const t0 = performance.now();
  const ready = () => {
    if (announced) return;
    announced = true;
    emit({ kind: 'timing', phase: 'first output', ms: Math.round(performance.now() - t0) });
    emit({
      kind: 'ready',
      text: plan.session.command.length === 0 ? `shell in ${where}; cwd is the app's root, exit to leave` : `running in ${where}`,
    });
  };
  if (plan.mode === 'exec') {
    const command = ['/bin/sh', '-c', sessionScript(promptFor(plan.pod, plan.target.container)), 'distroless-debug-session', ...plan.session.command];
    const exec = () => streamSession({ kube, conn: input.conn, plan, container, kind: 'exec', command, io, emit, onOutput: ready });
    const code = await execWhenRunning(exec, input.running);
    if (mayHaveNotRun(code)) await confirmRunning(input.running);
    return code ?? 0;
  }
  return attachSession({ ...input, ready });
}

/**
 * Opens the exec session as soon as the kubelet can serve it, which is often
 * before the pod status says the debugger runs: while that status is pending,
 * a refused exec ("container not found") is retried every 150 ms. Only
 * refusals that prove nothing ran are retried, so a command never runs twice.
 * A refusal after the debugger is known to run is a real error; so is a
 * failed start.
 */
export async function execWhenRunning<T>(exec: () => Promise<T>, running: Promise<void> | undefined): Promise<T> {
  // An object, not a local: the compiler cannot see the callbacks change it.
  const known: { state: 'pending' | 'running' | 'failed'; failure?: unknown } = { state: running ? 'pending' : 'running' };
  running?.then(
    () => (known.state = 'running'),
    (err: unknown) => {
      known.state = 'failed';
      known.failure = err;
    },
  );
  // A function, so the compiler does not narrow the state across awaits.
  const failed = (): boolean => known.state === 'failed';
  for (;;) {
    const pendingAtStart = known.state === 'pending';
    try {
      return await exec();
    } catch (err) {
      if (failed()) throw known.failure;
      if (!(err instanceof StreamRefusedError) || !pendingAtStart) throw err;
      if (!notStartedYet(err)) {
        // The debugger may have stopped already (e.g. its keeper found the
        // wrong identity): its status explains better than the refusal.
        await running?.catch(() => undefined);
        throw failed() ? known.failure : err;
      }
    }
    await Promise.race([new Promise((r) => setTimeout(r, 150)), running?.catch(() => undefined)]);
    if (failed()) throw known.failure;
  }
}

function notStartedYet(err: unknown): boolean {
  return err instanceof StreamRefusedError && /container not found|not running|stopped state/i.test(err.message);
}

/**
 * The session script runs the user's command only after the keeper proved it
 * can open the target's root, so an ordinary exit code is the command's own.
 * No code, the script's own failure (125), exec failures (126, 127) and deaths
 * by signal (128+) may instead mean the debugger stopped before anything ran.
 */
export function mayHaveNotRun(code: number | undefined): boolean {
  return code === undefined || code >= 125;
}

/**
 * A session that ended before the kubelet's status arrived may have ended
 * because the keeper quit (wrong identity): the status decides. A status that
 * never came while the session itself worked is not worth failing for.
 */
async function confirmRunning(running: Promise<void> | undefined): Promise<void> {
  try {
    await running;
  } catch (err) {
    if (!(err instanceof TimeoutError)) throw err;
  }
}
