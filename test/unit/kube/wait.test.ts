import type { V1ContainerState, V1Pod } from '@kubernetes/client-node';
import { afterEach, describe, expect, it } from 'vitest';
import { ConnectionLostError, exitCodeOf, NotFoundError, TimeoutError } from '../../../src/errors.js';
import { formatDuration } from '../../../src/duration.js';
import { probeAfterMs, waitForDebugger } from '../../../src/kube/pods.js';
import { KubeClient } from '../../../src/kube/rest.js';
import { event, FakeApiServer, type Handler } from './fake-apiserver.js';

const C = 'distroless-debug-abcde';
const waiting: V1ContainerState = { waiting: { reason: 'ContainerCreating' } };
const running: V1ContainerState = { running: { startedAt: new Date('2026-01-01T00:00:00Z') } };

function pod(rv: number, state?: V1ContainerState): V1Pod {
  return {
    metadata: { name: 'web', namespace: 'ns', resourceVersion: String(rv) },
    status: state ? { ephemeralContainerStatuses: [{ name: C, image: 'bb', imageID: '', ready: false, restartCount: 0, state }] } : {},
  };
}

let server: FakeApiServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});

async function start(handler: Handler): Promise<FakeApiServer> {
  server = await new FakeApiServer(handler).start();
  return server;
}

function wait(s: FakeApiServer, opts: { timeoutMs?: number; requestTimeoutMs?: number } = {}) {
  const kube = new KubeClient(s.connection(opts.requestTimeoutMs));
  const waits: string[] = [];
  const t0 = performance.now();
  const p = waitForDebugger({
    kube,
    ns: 'ns',
    pod: pod(1),
    container: C,
    image: 'busybox',
    timeoutMs: opts.timeoutMs ?? 10_000,
    onWaiting: (e) => waits.push(e.reason),
  });
  const elapsed = () => performance.now() - t0;
  return { p, waits, elapsed };
}

const json = (res: import('node:http').ServerResponse, body: unknown, code = 200) => {
  res.writeHead(code, { 'Content-Type': 'application/json' });
  res.end(JSON.stringify(body));
};

describe('waitForDebugger', () => {
  it('follows the watch until the debugger runs, and never writes to the pod', async () => {
    const s = await start((_req, res, seen) => {
      if (seen.query.get('watch') !== '1') return json(res, pod(1));
      res.writeHead(200);
      event(res, 'MODIFIED', pod(2, waiting));
      setTimeout(() => event(res, 'MODIFIED', pod(3, running)), 50);
    });
    const { p, waits } = wait(s);
    await expect(p).resolves.toMatchObject({ kind: 'running' });
    expect(waits).toEqual(['ContainerCreating']);
    expect(s.seen.every((r) => r.method === 'GET')).toBe(true);
  });

  it('a watch line that is not JSON re-reads the pod instead of throwing from the data handler', async () => {
    let watches = 0;
    const s = await start((_req, res, seen) => {
      if (seen.query.get('watch') !== '1') return json(res, pod(5, waiting));
      watches++;
      res.writeHead(200);
      if (watches === 1) res.write('{"type":"MODIFIED","object":{not json}\n');
      else event(res, 'MODIFIED', pod(6, running));
    });
    const { p } = wait(s);
    await expect(p).resolves.toMatchObject({ kind: 'running' });
    expect(watches).toBe(2);
    // The second watch starts from the resourceVersion the re-read returned.
    expect(s.seen.filter((r) => r.query.get('watch') === '1').map((r) => r.query.get('resourceVersion'))).toEqual(['1', '5']);
  });

  it('a watch connection cut mid-stream is re-read and re-watched', async () => {
    let watches = 0;
    const s = await start((req, res, seen) => {
      if (seen.query.get('watch') !== '1') return json(res, pod(7, waiting));
      watches++;
      res.writeHead(200);
      if (watches === 1) {
        event(res, 'MODIFIED', pod(2, waiting));
        setTimeout(() => req.socket.destroy(), 50);
      } else event(res, 'MODIFIED', pod(8, running));
    });
    const { p } = wait(s);
    await expect(p).resolves.toMatchObject({ kind: 'running' });
    expect(watches).toBe(2);
  });

  it('a watch reset (RST) is re-watched', async () => {
    let watches = 0;
    const s: FakeApiServer = await start((_req, res, seen) => {
      if (seen.query.get('watch') !== '1') return json(res, pod(7, waiting));
      watches++;
      res.writeHead(200);
      res.flushHeaders();
      if (watches === 1) setTimeout(() => s.reset(), 50);
      else event(res, 'MODIFIED', pod(8, running));
    });
    await expect(wait(s).p).resolves.toMatchObject({ kind: 'running' });
  });

  it('a server that stops answering is re-probed and, when it comes back, the wait succeeds', async () => {
    let silent = true;
    const s = await start((_req, res, seen) => {
      if (silent) return; // black hole: never answer, never close
      if (seen.query.get('watch') !== '1') return json(res, pod(9, running));
      res.writeHead(200);
    });
    setTimeout(() => {
      silent = false;
      s.cut(); // the held requests die with the link
    }, 1500);
    const { p, elapsed } = wait(s, { timeoutMs: 20_000 });
    await expect(p).resolves.toMatchObject({ kind: 'running' });
    expect(elapsed()).toBeLessThan(9_000);
  });

  it('a black-holed server: 75 at --timeout, saying the API server stopped answering', async () => {
    const s = await start(() => undefined);
    const { p, elapsed } = wait(s, { timeoutMs: 2_000 });
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionLostError);
    expect(exitCodeOf(err)).toBe(75);
    expect((err as Error).message).toMatch(/^lost contact with the API server at 127\.0\.0\.1:\d+ for the last 2(\.\d+)?s while debugger distroless-debug-abcde was starting \(no answer\); check the network/);
    expect(elapsed()).toBeGreaterThan(1_900);
    // Generous: other suites load the machine's two cores.
    expect(elapsed()).toBeLessThan(2_000 + 1_500);
  });

  it('a black-holed server with --request-timeout: 73 within about that bound, not at --timeout', async () => {
    const s = await start(() => undefined);
    const { p, elapsed } = wait(s, { timeoutMs: 60_000, requestTimeoutMs: 1_000 });
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toMatch(/stopped answering while debugger .* \(no answer within 1s, --request-timeout\)/);
    expect(elapsed()).toBeLessThan(1_000 + 1_500);
  });

  it('a refused connection is retried until the server is back', async () => {
    const s = await start((_req, res, seen) => {
      if (seen.query.get('watch') !== '1') return json(res, pod(9, running));
      res.writeHead(200);
    });
    await s.stop();
    const { p } = wait(s, { timeoutMs: 20_000 });
    await new Promise((r) => setTimeout(r, 1_200));
    await s.start(s.port);
    await expect(p).resolves.toMatchObject({ kind: 'running' });
  });

  it('a server that refuses until the deadline: 75, naming the reason', async () => {
    const s = await start(() => undefined);
    await s.stop();
    server = undefined;
    const { p, elapsed } = wait(s, { timeoutMs: 1_500 });
    const err = await p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionLostError);
    expect((err as Error).message, String(err)).toMatch(/\(ECONNREFUSED\)/);
    expect(elapsed()).toBeLessThan(1_500 + 1_500);
  });

  it('a refusal that waiting will not fix (e.g. 401 on the watch) is an API error with the message, not an internal error', async () => {
    const s = await start((_req, res, seen) => {
      if (seen.query.get('watch') !== '1') return json(res, pod(1));
      json(res, { kind: 'Status', code: 401, message: 'Unauthorized' }, 401);
    });
    const err = await wait(s).p.catch((e: unknown) => e);
    expect(exitCodeOf(err)).toBe(78);
    expect((err as Error).message).toMatch(/Unauthorized/);
  });

  it('the pod deleted while waiting: not found (66)', async () => {
    const s = await start((_req, res, seen) => {
      if (seen.query.get('watch') !== '1') return json(res, pod(1));
      res.writeHead(200);
      event(res, 'DELETED', pod(2));
    });
    const err = await wait(s).p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toMatch(/was deleted while the debugger was starting/);
  });

  it('a debugger that is just slow: 73 with the duration as given', async () => {
    const s = await start((_req, res, seen) => {
      if (seen.query.get('watch') !== '1') return json(res, pod(1, waiting));
      res.writeHead(200);
      event(res, 'MODIFIED', pod(2, waiting));
    });
    const err = await wait(s, { timeoutMs: 300 }).p.catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toBe('the debugger did not start within 300ms (last state: ContainerCreating); raise --timeout or check the node');
  });
});

describe('durations in messages', () => {
  it.each([
    [50, '50ms'],
    [999, '999ms'],
    [1000, '1s'],
    [1500, '1.5s'],
    [10_000, '10s'],
    [90_000, '1m30s'],
    [120_000, '2m'],
  ])('%d ms -> %s', (ms, want) => {
    expect(formatDuration(ms)).toBe(want);
  });
});

describe('probeAfterMs', () => {
  it('probes often enough for --request-timeout to hold', () => {
    expect(probeAfterMs(undefined)).toBe(5_000);
    expect(probeAfterMs(5_000)).toBe(1_000);
    expect(probeAfterMs(500)).toBe(200);
  });
});
