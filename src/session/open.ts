import type { Options } from '../options.js';
import type { loadConnection } from '../kubeconfig/load.js';
import type { KubeClient } from '../kube/rest.js';
import type { SessionPlan } from '../plan/plan.js';
import { leaseSeconds, promptFor, sessionScript } from '../plan/scripts.js';
import { ConnectionLostError, StreamRefusedError, TimeoutError } from '../errors.js';
import type { Emit } from '../progress/events.js';
import type { RunIO } from './run.js';
import { attachSession } from './attach.js';
import { startGuard } from './guard.js';
import { ReplayableInput } from './replay-input.js';
import { streamSession } from './terminal-stream.js';

export interface SessionInput {
  plan: SessionPlan;
  container: string;
  /** Pending while the kubelet has not reported the debugger running; undefined once known. */
  running: Promise<void> | undefined;
  kube: KubeClient;
  conn: Awaited<ReturnType<typeof loadConnection>>;
  options: Options;
  emit: Emit;
  io: RunIO;
  /** Lines that must come before the ready line, once the session is known to work. */
  announce?: (() => void) | undefined;
  /** Piped stdin, shared by every attempt and round of a run (a refused attempt ran nothing). */
  replay?: ReplayableInput | undefined;
}

export async function openSession(input: SessionInput): Promise<number> {
  const { plan, container, emit } = input;
  const where = `pod/${plan.pod} (${plan.target.container}) through ${container}`;
  let announced = false;
  const t0 = performance.now();
  const ready = () => {
    if (announced) return;
    announced = true;
    input.announce?.();
    emit({ kind: 'timing', phase: 'first output', ms: Math.round(performance.now() - t0) });
    emit({
      kind: 'ready',
      text: plan.session.command.length === 0 ? `shell in ${where}; cwd is the app's root, exit to leave` : `running in ${where}`,
    });
  };
  if (plan.mode === 'exec') return openExec(input, ready);
  // Piped stdin an earlier, refused exec (the remembered debugger's warm
  // path) already read is replayed: the attached shell sees it all, and its
  // end. Attach is never retried, so nothing needs recording after that.
  const { replay, io } = input;
  const stdin = replay?.attempt();
  replay?.settle();
  return attachSession({ ...input, io: stdin ? { ...io, stdin: stdin as unknown as NodeJS.ReadStream } : io, ready });
}

async function openExec(input: SessionInput, ready: () => void): Promise<number> {
  const { plan, container, kube, io, emit } = input;
  const sid = sessionId(io.random);
  const command = [
    '/bin/sh',
    '-c',
    sessionScript(promptFor(plan.pod, plan.target.container)),
    'distroless-debug-session',
    sid,
    ...plan.session.command,
  ];
  // Piped input (shared by every attempt of the run, see ReplayableInput) is
  // kept for a retry until an attempt has surely started: it showed output,
  // or it stayed open a moment on a debugger known to run (a refusal comes
  // at once after the stream opens).
  const replay = input.replay;
  const timers: NodeJS.Timeout[] = [];
  const settleSoon = (ms: number) => {
    const t = setTimeout(() => replay?.settle(), ms);
    t.unref();
    timers.push(t);
  };
  let known = input.running === undefined;
  input.running?.then(
    () => {
      known = true;
      settleSoon(1500);
      if (open) guardOnce();
    },
    () => undefined,
  );
  // The guard (the session's lease) starts once the session surely runs:
  // it showed output, or its stream opened on a debugger known to run.
  let guard: { close(): void } | undefined;
  const guardOnce = () => {
    guard ??= startGuard({
      conn: input.conn,
      namespace: plan.namespace,
      pod: plan.pod,
      container,
      sessionId: sid,
      leaseSeconds: leaseSeconds(input.options.idleTimeoutSeconds),
      emit,
    });
  };
  let open = false;
  let output = false;
  const onOutput = () => {
    output = true;
    replay?.settle();
    guardOnce();
    ready();
  };
  // While the kubelet does not know the container yet, the API server may
  // accept the stream and then drop it without a status. Such an attempt is
  // retried too: the session script starts a session ID only once, so a
  // retry of one that did start refuses (125) instead of running twice.
  let ambiguous = false;
  const retryable = (err: unknown): boolean => {
    if (notStartedYet(err)) return true;
    if (err instanceof ConnectionLostError && !output) return (ambiguous = true);
    return false;
  };
  try {
    const exec = (signal: AbortSignal, started: () => void) =>
      streamSession({
        kube,
        conn: input.conn,
        plan,
        container,
        kind: 'exec',
        command,
        io: replay ? { ...io, stdin: replay.attempt() as unknown as NodeJS.ReadStream } : io,
        emit,
        onOutput: () => {
          started();
          onOutput();
        },
        onOpen: () => {
          open = true;
          if (!known) return;
          settleSoon(1000);
          guardOnce();
        },
        signal,
      });
    const code = await execWhenRunning(exec, input.running, retryable);
    if (ambiguous && code === SESSION_SCRIPT_FAILED && !output) {
      throw new ConnectionLostError(
        'connection to the API server was lost just as the session started; the command may have run, so it was not run again; check the network and run it again',
      );
    }
    if (mayHaveNotRun(code)) await confirmRunning(input.running);
    return code ?? 0;
  } finally {
    for (const t of timers) clearTimeout(t);
    guard?.close();
  }
}

/** The session script's own failure (and its refusal to start a session twice). */
const SESSION_SCRIPT_FAILED = 125;

const SID_ALPHABET = 'abcdefghijklmnopqrstuvwxyz0123456789';

/** Names this session's files in the debugger (its registration and lease). */
export function sessionId(random: () => number): string {
  let id = '';
  for (let i = 0; i < 10; i++) id += SID_ALPHABET[Math.floor(random() * SID_ALPHABET.length)];
  return id;
}

/**
 * Opens the exec session as soon as the kubelet can serve it, which is often
 * before the pod status says the debugger runs: while that status is pending,
 * a refused exec ("container not found") is retried, soon at first (a
 * settled pod starts an added container within a few hundred ms), then less
 * often (an image pull takes seconds). Only refusals that prove nothing ran
 * are retried, so a command never runs twice.
 * A refusal after the debugger is known to run is a real error; so is a
 * failed start.
 */
export async function execWhenRunning<T>(
  exec: (signal: AbortSignal, started: () => void) => Promise<T>,
  running: Promise<void> | undefined,
  retryable: (err: unknown) => boolean = notStartedYet,
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
  for (let attempt = 0; ; attempt++) {
    const pendingAtStart = known.state === 'pending';
    // --timeout (or lost contact with the API server) ends an attempt still in
    // flight for a debugger that never started: the bound holds even when the
    // stream's own handshake would wait longer. An attempt that already shows
    // output is a session that works: it goes on.
    const aborter = new AbortController();
    let output = false;
    if (pendingAtStart) running?.catch((err: unknown) => (gaveUp(err) && !output ? aborter.abort() : undefined));
    try {
      const result = await exec(aborter.signal, () => (output = true));
      if (aborter.signal.aborted) throw known.failure;
      return result;
    } catch (err) {
      if (failed()) throw known.failure;
      if (!pendingAtStart || !(err instanceof StreamRefusedError || err instanceof ConnectionLostError)) throw err;
      // A session that showed output ran: its lost connection is the answer.
      if (err instanceof ConnectionLostError && output) throw err;
      if (!retryable(err)) {
        // The debugger may have stopped already (e.g. its keeper found the
        // wrong identity): its status explains better than the refusal.
        await running?.catch(() => undefined);
        throw failed() ? known.failure : err;
      }
    }
    await Promise.race([new Promise((r) => setTimeout(r, retryDelay(attempt))), running?.catch(() => undefined)]);
    if (failed()) throw known.failure;
  }
}

/**
 * The pause after exec attempt `n` (from 0) on a debugger the kubelet has not
 * started yet: 50 ms, growing by a fifth each time, at most 200 ms (about
 * eight attempts in the first second, five a second after that).
 */
export function retryDelay(n: number): number {
  return Math.min(200, Math.round(50 * 1.2 ** n));
}

/** The wait for the debugger ended without it: past --timeout, or the API server stopped answering. */
function gaveUp(err: unknown): boolean {
  return err instanceof TimeoutError || err instanceof ConnectionLostError;
}

/** The kubelet refused an exec because the container does not run (yet): nothing ran. */
export function notStartedYet(err: unknown): boolean {
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
