/**
 * Owns the local terminal for an interactive session: raw mode, resize
 * events, and putting everything back however the process ends.
 *
 * In raw mode Ctrl-C is just byte 0x03 on stdin (no local SIGINT), so it
 * reaches the remote shell like in `ssh`.
 *
 * Signals are not handled here: src/cli/shutdown.ts owns them (one handler
 * that decides, so no two handlers each wait for the other) and calls
 * restoreTerminals() before it prints anything.
 */

export interface TerminalSize {
  cols: number;
  rows: number;
}

export interface TerminalHandle {
  /** Current size, or undefined when stdout is not a terminal. */
  size(): TerminalSize | undefined;
  /** Calls f on every resize (SIGWINCH); returns an unsubscribe function. */
  onResize(f: (size: TerminalSize) => void): () => void;
  /** Remote output reached the terminal: restore() then also shows the cursor. */
  sawOutput(): void;
  /** Leaves raw mode, pauses stdin, drops listeners and process hooks. Idempotent. */
  restore(): void;
}

/** Every terminal in raw mode now, so that a signal or a crash can put them back. */
const active = new Set<TerminalHandle>();

/** Leaves raw mode on every terminal this process put into it. */
export function restoreTerminals(): void {
  for (const t of [...active]) t.restore();
}

function showCursor(stdout: NodeJS.WriteStream): void {
  if (stdout.destroyed) return;
  // The terminal may be gone (EIO): the error must not become an uncaught one.
  stdout.once('error', () => undefined);
  stdout.write('\x1b[?25h');
}

export function enterRawMode(stdin: NodeJS.ReadStream, stdout: NodeJS.WriteStream): TerminalHandle {
  let restored = false;
  let output = false;
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
    active.delete(handle);
    for (const off of processHooks.splice(0)) off();
    for (const l of resizeListeners) stdout.removeListener('resize', l);
    resizeListeners.clear();
    if (raw) {
      try {
        stdin.setRawMode(false);
      } catch {
        // the tty may already be gone (SIGHUP); nothing left to restore
      }
      // A remote full-screen program (less, vi) cut off mid-way may have
      // hidden the cursor. Only after remote output: a session that never
      // started must not show the cursor under a running spinner.
      if (output && stdout.isTTY) showCursor(stdout);
    }
    // A flowing stdin keeps the event loop (and the process) alive.
    stdin.pause();
  };

  if (raw) {
    // Without these, a crash or process.exit() would leave the user's shell in raw
    // mode (no echo, no line editing) until they type `reset`.
    const onExit = (): void => restore();
    process.on('exit', onExit);
    processHooks.push(() => process.removeListener('exit', onExit));

    const onFatal = (): void => restore();
    process.on('uncaughtExceptionMonitor', onFatal);
    processHooks.push(() => process.removeListener('uncaughtExceptionMonitor', onFatal));
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

  const sawOutput = (): void => {
    output = true;
  };
  const handle: TerminalHandle = { size, onResize, sawOutput, restore };
  if (raw) active.add(handle);
  return handle;
}
