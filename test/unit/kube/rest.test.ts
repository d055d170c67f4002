import { afterEach, describe, expect, it } from 'vitest';
import { ApiError, ConnectionLostError, exitCodeOf, TimeoutError } from '../../../src/errors.js';
import { KubeClient } from '../../../src/kube/rest.js';
import { FakeApiServer, type Handler } from './fake-apiserver.js';

let server: FakeApiServer | undefined;
afterEach(async () => {
  await server?.stop();
  server = undefined;
});
async function start(handler: Handler): Promise<FakeApiServer> {
  server = await new FakeApiServer(handler).start();
  return server;
}

describe('KubeClient.request', () => {
  it('--request-timeout bounds one attempt, once: a silent server gives 73 after that long', async () => {
    const s = await start(() => undefined);
    const kube = new KubeClient(s.connection(500));
    const t0 = performance.now();
    const err = await kube.get('/api/v1/namespaces/ns/pods/web').catch((e: unknown) => e);
    const took = performance.now() - t0;
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toMatch(/^the API server at 127\.0\.0\.1:\d+ did not answer GET \/api\/v1\/namespaces\/ns\/pods\/web within 500ms \(--request-timeout\); check the network or raise --request-timeout$/);
    expect(took).toBeGreaterThan(450);
    expect(took).toBeLessThan(1_200);
    expect(s.seen).toHaveLength(1);
  });

  it('the bound covers a body that never finishes', async () => {
    const s = await start((_req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"kind":');
    });
    const err = await new KubeClient(s.connection(500)).get('/x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
  });

  it('a per-call bound tighter than --request-timeout applies, without blaming the flag', async () => {
    const s = await start(() => undefined);
    const err = await new KubeClient(s.connection(60_000)).get('/x', undefined, 300).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(TimeoutError);
    expect((err as Error).message).toMatch(/within 300ms; check the network and run the command again$/);
  });

  it('a connection cut mid-answer is a lost connection (75), not an internal error', async () => {
    const s = await start((req, res) => {
      res.writeHead(200, { 'Content-Type': 'application/json' });
      res.write('{"kind":');
      setTimeout(() => req.socket.destroy(), 50);
    });
    const err = await new KubeClient(s.connection()).get('/x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionLostError);
    expect(exitCodeOf(err)).toBe(75);
    expect((err as Error).message).toMatch(/^lost the connection to the API server at 127\.0\.0\.1:\d+ during GET \/x \(.+\); check the network \(VPN, proxy\) and run the command again$/);
  });

  it('a connection reset before the answer is a lost connection (75)', async () => {
    const s: FakeApiServer = await start(() => setTimeout(() => s.reset(), 20));
    const err = await new KubeClient(s.connection()).get('/x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionLostError);
    expect((err as Error).message).toMatch(/\(ECONNRESET\)/);
  });

  it('a refused connection says to check that the cluster is up (78)', async () => {
    const s = await start(() => undefined);
    await s.stop();
    server = undefined;
    const err = await new KubeClient(s.connection()).get('/x').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ApiError);
    expect((err as Error).message).toMatch(/^cannot reach the API server at https:\/\/127\.0\.0\.1:\d+ \(ECONNREFUSED\); check that the cluster is up/);
  });
});

describe('KubeClient.watch', () => {
  it('a callback that throws rejects the watch instead of escaping the data handler', async () => {
    const s = await start((_req, res) => {
      res.writeHead(200);
      res.write('{"type":"ADDED","object":{}}\n');
    });
    const boom = new Error('boom');
    const p = new KubeClient(s.connection()).watch(
      '/w',
      {},
      () => {
        throw boom;
      },
      new AbortController().signal,
    );
    await expect(p).rejects.toBe(boom);
  });

  it("resolves 'idle' when nothing arrives for idleMs", async () => {
    const s = await start((_req, res) => {
      res.writeHead(200);
      res.flushHeaders();
    });
    const how = await new KubeClient(s.connection()).watch('/w', {}, () => false, new AbortController().signal, { idleMs: 200 });
    expect(how).toBe('idle');
  });
});
