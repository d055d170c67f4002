import { PassThrough } from 'node:stream';
import type { Options } from '../options.js';
import type { loadConnection } from '../kubeconfig/load.js';
import { debuggerState, getPod } from '../kube/pods.js';
import type { KubeClient } from '../kube/rest.js';
import type { DebugPlan } from '../plan/plan.js';
import { promptFor, sessionScript } from '../plan/scripts.js';
import { ConnectionLostError, StreamRefusedError, TimeoutError } from '../errors.js';
import type { Emit } from '../progress/events.js';
import type { RunIO } from './run.js';
import { streamSession } from './stream.js';

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
    const exec = (signal: AbortSignal, started: () => void) =>
      streamSession({ kube, conn: input.conn, plan, container, kind: 'exec', command, io, emit, onOutput: () => (started(), ready()), signal });
    const code = await execWhenRunning(exec, input.running);
    if (mayHaveNotRun(code)) await confirmRunning(input.running);
    return code ?? 0;
  }
  await input.running;
  ready();
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

/**
 * Opens the exec session as soon as the kubelet can serve it, which is often
 * before the pod status says the debugger runs: while that status is pending,
 * a refused exec ("container not found") is retried every 150 ms. Only
 * refusals that prove nothing ran are retried, so a command never runs twice.
 * A refusal after the debugger is known to run is a real error; so is a
 * failed start.
 */
export async function execWhenRunning<T>(
  exec: (signal: AbortSignal, started: () => void) => Promise<T>,
  running: Promise<void> | undefined,
): Promise<T> {
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
    // --timeout (or lost contact with the API server) ends an attempt still in
    // flight for a debugger that never started: the bound holds even when the
    // stream's own handshake would wait longer. An attempt that already shows
    // output is a session that works: it goes on.
    const attempt = new AbortController();
    let output = false;
    if (pendingAtStart) running?.catch((err: unknown) => (gaveUp(err) && !output ? attempt.abort() : undefined));
    try {
      const result = await exec(attempt.signal, () => (output = true));
      if (attempt.signal.aborted) throw known.failure;
      return result;
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

/** The wait for the debugger ended without it: past --timeout, or the API server stopped answering. */
function gaveUp(err: unknown): boolean {
  return err instanceof TimeoutError || err instanceof ConnectionLostError;
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
