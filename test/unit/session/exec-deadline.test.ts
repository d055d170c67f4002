import { describe, expect, it } from 'vitest';
import { ConnectionLostError, TimeoutError } from '../../../src/errors.js';
import { execWhenRunning } from '../../../src/session/open.js';

/** An exec attempt that hangs (a black-holed handshake) until its signal aborts it. */
function hangingExec(log: string[]) {
  return (signal: AbortSignal) =>
    new Promise<number | undefined>((resolve) => {
      log.push('attempt');
      signal.addEventListener('abort', () => {
        log.push('aborted');
        resolve(undefined);
      });
    });
}

const rejectAfter = (ms: number, err: Error) => {
  const p = new Promise<void>((_, reject) => setTimeout(() => reject(err), ms));
  p.catch(() => undefined);
  return p;
};

describe('execWhenRunning and the start deadline', () => {
  it.each([
    ['--timeout passed', new TimeoutError('the debugger did not start within 1s')],
    ['the API server stopped answering', new ConnectionLostError('lost contact with the API server')],
  ])('%s: the attempt in flight is ended and the start failure reported at once', async (_name, failure) => {
    const log: string[] = [];
    const t0 = performance.now();
    await expect(execWhenRunning(hangingExec(log), rejectAfter(100, failure))).rejects.toBe(failure);
    expect(performance.now() - t0).toBeLessThan(1_000);
    expect(log).toEqual(['attempt', 'aborted']);
  });

  it('other start failures (e.g. the keeper found another identity) let the attempt end by itself', async () => {
    const log: string[] = [];
    const mismatch = new Error('identity mismatch');
    let finish: (code: number) => void = () => undefined;
    const exec = () =>
      new Promise<number>((resolve) => {
        log.push('attempt');
        finish = resolve;
      });
    const p = execWhenRunning(exec, rejectAfter(50, mismatch));
    await new Promise((r) => setTimeout(r, 150));
    expect(log).toEqual(['attempt']);
    finish(125);
    await expect(p).resolves.toBe(125);
  });

  it('an attempt that already shows output is a working session: it goes on past the deadline', async () => {
    const exec = (signal: AbortSignal, started: () => void) =>
      new Promise<number>((resolve) => {
        started();
        setTimeout(() => resolve(signal.aborted ? -1 : 0), 200);
      });
    await expect(execWhenRunning(exec, rejectAfter(50, new TimeoutError('the debugger did not start within 50ms')))).resolves.toBe(0);
  });

  it('a debugger already running: nothing is aborted', async () => {
    const exec = (signal: AbortSignal) => new Promise<number>((resolve) => setTimeout(() => resolve(signal.aborted ? -1 : 0), 50));
    await expect(execWhenRunning(exec, undefined)).resolves.toBe(0);
  });
});
