/**
 * Owns the local terminal for an interactive session: raw mode, resize
 * events, and putting everything back however the process ends.
 *
 * In raw mode Ctrl-C is just byte 0x03 on stdin (no local SIGINT), so it
 * reaches the remote shell like in `ssh`.
 */
import { constants as osConstants } from 'node:os';

export interface TerminalSize {
  cols: number;
  rows: number;
}

export interface TerminalHandle {
  /** Current size, or undefined when stdout is not a terminal. */
  size(): TerminalSize | undefined;
  /** Calls f on every resize (SIGWINCH); returns an unsubscribe function. */
  onResize(f: (size: TerminalSize) => void): () => void;
  /** Leaves raw mode, pauses stdin, drops listeners and process hooks. Idempotent. */
  restore(): void;
}

const FATAL_SIGNALS = ['SIGTERM', 'SIGHUP'] as const;

export function enterRawMode(stdin: NodeJS.ReadStream, stdout: NodeJS.WriteStream): TerminalHandle {
  let restored = false;
  const resizeListeners = new Set<() => void>();
  const processHooks: Array<() => void> = [];

  const size = (): TerminalSize | undefined => {
    if (!stdout.isTTY) return undefined;
    const cols = stdout.columns;
    const rows = stdout.rows;
    return cols > 0 && rows > 0 ? { cols, rows } : undefined;
  };

  const raw = stdin.isTTY === true && typeof stdin.setRawMode === 'function';
  if (raw) stdin.setRawMode(true);

  const restore = (): void => {
    if (restored) return;
    restored = true;
    for (const off of processHooks.splice(0)) off();
    for (const l of resizeListeners) stdout.removeListener('resize', l);
    resizeListeners.clear();
    if (raw) {
      try {
        stdin.setRawMode(false);
      } catch {
        // the tty may already be gone (SIGHUP); nothing left to restore
      }
    }
    // A flowing stdin keeps the event loop (and the process) alive.
    stdin.pause();
  };

  if (raw) {
    // Without these, a crash or kill would leave the user's shell in raw
    // mode (no echo, no line editing) until they type `reset`.
    const onExit = (): void => restore();
    process.on('exit', onExit);
    processHooks.push(() => process.removeListener('exit', onExit));

    const onFatal = (): void => restore();
    process.on('uncaughtExceptionMonitor', onFatal);
    processHooks.push(() => process.removeListener('uncaughtExceptionMonitor', onFatal));

    for (const sig of FATAL_SIGNALS) {
      const onSignal = (): void => {
        restore(); // also removes this handler, restoring the default action
        const signo = osConstants.signals[sig];
        // Re-raise so the parent sees "killed by SIGTERM" like any other
        // program; if someone else still handles it, let them decide.
        if (process.listenerCount(sig) === 0) {
          process.exitCode = 128 + signo;
          try {
            process.kill(process.pid, sig);
          } catch {
            process.exit(128 + signo);
          }
          setTimeout(() => process.exit(128 + signo), 100).unref();
        }
      };
      process.on(sig, onSignal);
      processHooks.push(() => process.removeListener(sig, onSignal));
    }
  }

  const onResize = (f: (size: TerminalSize) => void): (() => void) => {
    if (restored) return () => {};
    const listener = (): void => {
      const s = size();
      if (s) f(s);
    };
    stdout.on('resize', listener);
    resizeListeners.add(listener);
    return () => {
      stdout.removeListener('resize', listener);
      resizeListeners.delete(listener);
    };
  };

  return { size, onResize, restore };
}
