/**
 * How the process ends when something other than the session ends it: a
 * signal, or a crash (an uncaught exception or unhandled rejection).
 *
 * One handler per signal decides everything. ora's cursor code installs
 * signal-exit, which re-raises a signal only when it is the sole listener;
 * a second "polite" handler that also waits for others would make both wait
 * forever (the first SIGTERM did nothing). This one always ends the process:
 * stop the spinner, put the terminal back, end local children (credential
 * plugins), print one line on a line of its own, exit with 128+signal like
 * a shell reports a killed program.
 */
import { constants } from 'node:os';
import { restoreTerminals } from '../terminal/tty.js';
import { freshLine } from '../terminal/cursor.js';
import { killChildren } from '../process/children.js';

export const HANDLED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP'] as const;
export type HandledSignal = (typeof HANDLED_SIGNALS)[number];

/** 130, 143, 129: what shells report for a program killed by the signal. */
export function signalExitCode(sig: HandledSignal): number {
  return 128 + constants.signals[sig];
}

export function signalMessage(sig: HandledSignal): string {
  switch (sig) {
    case 'SIGINT':
      return 'distroless-debug: interrupted (SIGINT)';
    case 'SIGTERM':
      return 'distroless-debug: terminated (SIGTERM)';
    case 'SIGHUP':
      return 'distroless-debug: the terminal was closed (SIGHUP)';
  }
}

const cleanups = new Set<() => void>();

/** Runs `f` (e.g. stop the spinner) before the process ends on a signal or crash. */
export function onShutdown(f: () => void): () => void {
  cleanups.add(f);
  return () => cleanups.delete(f);
}

const asyncCleanups = new Set<() => Promise<unknown>>();
/** How long the process waits for asynchronous cleanups (e.g. deleting a --copy-to copy) before it exits anyway. */
export const ASYNC_CLEANUP_MS = 5000;

/**
 * Runs `f` before the process ends on a signal or crash, and waits for it (at
 * most ASYNC_CLEANUP_MS): for work in the cluster that must not be left
 * behind, like the pod `--copy-to --rm` made.
 */
export function onShutdownAsync(f: () => Promise<unknown>): () => void {
  asyncCleanups.add(f);
  return () => asyncCleanups.delete(f);
}

let ending: number | undefined;

/**
 * True once a signal or crash is ending the process: whatever the session
 * still does (e.g. fail because its credential plugin was just killed) must
 * neither print nor pick the exit code.
 */
export function isEnding(): boolean {
  return ending !== undefined;
}

/**
 * Puts everything local back and exits. The message (one line) is written
 * after the terminal is restored, starting on a fresh line. A second call
 * while the first is still ending the children (another signal, an error the
 * first one caused) exits at once, with the first call's code.
 */
export async function endProcess(code: number, message: string, stderr: NodeJS.WriteStream = process.stderr): Promise<never> {
  if (ending !== undefined) process.exit(ending);
  ending = code;
  // The terminal may be gone (SIGHUP): writing to it (the spinner's last
  // frame, this message) fails with EIO, which must not become an uncaught error.
  stderr.on('error', () => undefined);
  for (const f of [...cleanups]) {
    try {
      f();
    } catch {
      // a cleanup that fails must not keep the others from running
    }
  }
  restoreTerminals();
  stderr.write(`${freshLine()}${message}\n`);
  if (asyncCleanups.size > 0) {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      Promise.allSettled([...asyncCleanups].map((f) => f())),
      new Promise((resolve) => (timer = setTimeout(resolve, ASYNC_CLEANUP_MS))),
    ]);
    clearTimeout(timer);
  }
  await killChildren();
  process.exit(code);
}

/** Installs the signal handlers; returns their removal. */
export function handleSignals(stderr: NodeJS.WriteStream = process.stderr): () => void {
  const handlers = HANDLED_SIGNALS.map((sig) => {
    const handler = (): void => {
      void endProcess(signalExitCode(sig), signalMessage(sig), stderr);
    };
    process.on(sig, handler);
    return () => process.off(sig, handler);
  });
  return () => {
    for (const off of handlers) off();
  };
}
