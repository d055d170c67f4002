import { describe, expect, it } from 'vitest';
import { DebuggerFailedError, StreamRefusedError } from '../../../src/errors.js';
import { execWhenRunning, mayHaveNotRun, retryDelay } from '../../../src/session/open.js';

const notFound = () => new StreamRefusedError('the exec session failed: unable to upgrade connection: container not found ("distroless-debug-x")');
const deferred = () => {
  let resolve!: () => void;
  let reject!: (e: unknown) => void;
  const promise = new Promise<void>((res, rej) => {
    resolve = res;
    reject = rej;
  });
  promise.catch(() => undefined);
  return { promise, resolve, reject };
};

describe('execWhenRunning', () => {
  it('retries "container not found" while the status is pending, then succeeds', async () => {
    const running = deferred();
    let calls = 0;
    const result = await execWhenRunning(async () => {
      calls++;
      if (calls < 3) throw notFound();
      return 7;
    }, running.promise);
    expect({ result, calls }).toEqual({ result: 7, calls: 3 });
  });

  it('does not retry a refusal once the debugger is known to run', async () => {
    let calls = 0;
    await expect(
      execWhenRunning(async () => {
        calls++;
        throw notFound();
      }, undefined),
    ).rejects.toBeInstanceOf(StreamRefusedError);
    expect(calls).toBe(1);
  });

  it('does not retry other refusals, which may mean the command ran; it waits for the status first', async () => {
    let calls = 0;
    const running = deferred();
    setTimeout(() => running.resolve(), 50);
    const other = new StreamRefusedError('the exec session failed: error executing command in container');
    await expect(
      execWhenRunning(async () => {
        calls++;
        throw other;
      }, running.promise),
    ).rejects.toBe(other);
    expect(calls).toBe(1);
  });

  it('a refusal from a container that already stopped gives way to the reason it stopped', async () => {
    const running = deferred();
    const mismatch = new Error('the target runs as uid 1001 gid 1001');
    setTimeout(() => running.reject(mismatch), 50);
    await expect(
      execWhenRunning(async () => {
        throw new StreamRefusedError('failed to exec in container: container is in CONTAINER_EXITED state');
      }, running.promise),
    ).rejects.toBe(mismatch);
  });

  it('reports the start failure (e.g. an image pull error) instead of the refusal', async () => {
    const running = deferred();
    const pull = new DebuggerFailedError('cannot start');
    setTimeout(() => running.reject(pull), 50);
    await expect(
      execWhenRunning(async () => {
        throw notFound();
      }, running.promise),
    ).rejects.toBe(pull);
  });
});

describe('retryDelay', () => {
  it('starts at 50 ms, grows, and stays at 200 ms: about eight attempts in the first second', () => {
    expect([0, 1, 2, 3].map(retryDelay)).toEqual([50, 60, 72, 86]);
    expect(retryDelay(8)).toBe(200);
    expect(retryDelay(100)).toBe(200);
    let t = 0;
    let n = 0;
    while (t + retryDelay(n) <= 1000) t += retryDelay(n++);
    expect(n).toBe(8);
  });
});

describe('mayHaveNotRun', () => {
  it.each([
    [undefined, true],
    [0, false],
    [1, false],
    [7, false],
    [124, false],
    [125, true],
    [127, true],
    [137, true],
    [143, true],
  ])('exit code %s: %s', (code, want) => {
    expect(mayHaveNotRun(code)).toBe(want);
  });
});
