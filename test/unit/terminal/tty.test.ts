import { EventEmitter } from 'node:events';
import { afterEach, describe, expect, it } from 'vitest';
import { enterRawMode, restoreTerminals, type TerminalHandle } from '../../../src/terminal/tty.js';

class FakeStdin extends EventEmitter {
  isTTY: boolean;
  rawCalls: boolean[] = [];
  pauses = 0;
  constructor(isTTY: boolean) {
    super();
    this.isTTY = isTTY;
  }
  setRawMode(mode: boolean): this {
    this.rawCalls.push(mode);
    return this;
  }
  pause(): this {
    this.pauses++;
    return this;
  }
}

class FakeStdout extends EventEmitter {
  destroyed = false;
  write(): boolean {
    return true;
  }
  constructor(
    public isTTY: boolean,
    public columns = 80,
    public rows = 24,
  ) {
    super();
  }
}

const HOOKS = ['exit', 'SIGTERM', 'SIGHUP', 'uncaughtExceptionMonitor'] as const;
type Hook = (typeof HOOKS)[number];
const counts = (): Record<Hook, number> =>
  Object.fromEntries(HOOKS.map((h) => [h, process.listenerCount(h)])) as Record<Hook, number>;

function open(stdinTTY = true, stdoutTTY = true): { stdin: FakeStdin; stdout: FakeStdout; term: TerminalHandle } {
  const stdin = new FakeStdin(stdinTTY);
  const stdout = new FakeStdout(stdoutTTY);
  const term = enterRawMode(stdin as unknown as NodeJS.ReadStream, stdout as unknown as NodeJS.WriteStream);
  opened.push(term);
  return { stdin, stdout, term };
}

const opened: TerminalHandle[] = [];
afterEach(() => {
  for (const t of opened.splice(0)) t.restore();
});

describe('enterRawMode', () => {
  it('enters raw mode and restore() is idempotent', () => {
    const before = counts();
    const { stdin, stdout, term } = open();
    expect(stdin.rawCalls).toEqual([true]);
    expect(counts()).toEqual({
      exit: before.exit + 1,
      SIGTERM: before.SIGTERM,
      SIGHUP: before.SIGHUP,
      uncaughtExceptionMonitor: before.uncaughtExceptionMonitor + 1,
    });
    term.onResize(() => {});
    expect(stdout.listenerCount('resize')).toBe(1);

    term.restore();
    term.restore();
    term.restore();
    expect(stdin.rawCalls).toEqual([true, false]);
    expect(stdin.pauses).toBe(1);
    expect(stdout.listenerCount('resize')).toBe(0);
    expect(counts()).toEqual(before);
  });

  it('reports size and resize events, with unsubscribe', () => {
    const { stdout, term } = open();
    expect(term.size()).toEqual({ cols: 80, rows: 24 });
    const seen: unknown[] = [];
    const off = term.onResize((s) => seen.push(s));
    stdout.columns = 132;
    stdout.rows = 50;
    stdout.emit('resize');
    off();
    stdout.emit('resize');
    expect(seen).toEqual([{ cols: 132, rows: 50 }]);
    expect(stdout.listenerCount('resize')).toBe(0);
  });

  it('leaves a non-tty stdin alone and has no size for a non-tty stdout', () => {
    const before = counts();
    const { stdin, term } = open(false, false);
    expect(stdin.rawCalls).toEqual([]);
    expect(term.size()).toBeUndefined();
    expect(counts()).toEqual(before);
    term.restore();
    expect(stdin.rawCalls).toEqual([]);
    expect(stdin.pauses).toBe(1);
  });

  it('restores on process exit', () => {
    const before = process.listeners('exit');
    const { stdin } = open();
    const ours = process.listeners('exit').filter((l) => !before.includes(l));
    expect(ours).toHaveLength(1);
    ours[0]?.call(process, 0);
    expect(stdin.rawCalls).toEqual([true, false]);
    expect(process.listeners('exit')).toEqual(before);
  });

  it('leaves signals alone (src/cli/shutdown.ts owns them): no second handler to wait for', () => {
    const before = counts();
    open();
    expect(process.listenerCount('SIGTERM')).toBe(before.SIGTERM);
    expect(process.listenerCount('SIGHUP')).toBe(before.SIGHUP);
  });

  it('restoreTerminals() puts back every terminal still in raw mode, once', () => {
    const a = open();
    const b = open();
    b.term.restore();
    restoreTerminals();
    restoreTerminals();
    expect(a.stdin.rawCalls).toEqual([true, false]);
    expect(b.stdin.rawCalls).toEqual([true, false]);
  });

  it('shows the cursor on restore after remote output (a full-screen program may have hidden it), not before', () => {
    const quiet = open();
    const written: string[] = [];
    (quiet.stdout as unknown as { write: (s: string) => boolean }).write = (s: string) => written.push(s) > 0;
    quiet.term.restore();
    expect(written).toEqual([]);

    const { stdout, term } = open();
    (stdout as unknown as { write: (s: string) => boolean }).write = (s: string) => written.push(s) > 0;
    term.sawOutput();
    term.restore();
    expect(written).toEqual(['\x1b[?25h']);
  });

  it('restores on uncaught errors (monitor hook)', () => {
    const before = process.listeners('uncaughtExceptionMonitor');
    const { stdin } = open();
    const ours = process.listeners('uncaughtExceptionMonitor').filter((l) => !before.includes(l));
    ours[0]?.call(process, new Error('boom'), 'uncaughtException');
    expect(stdin.rawCalls).toEqual([true, false]);
  });

  it('does not subscribe after restore', () => {
    const { stdout, term } = open();
    term.restore();
    term.onResize(() => {})();
    expect(stdout.listenerCount('resize')).toBe(0);
  });
});
