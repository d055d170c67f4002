import { PassThrough, Writable } from 'node:stream';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ConnectionLostError, ForbiddenError, StreamRefusedError } from '../../../src/errors.js';
import { runStream, type StreamIO, type StreamRequest } from '../../../src/stream/client.js';
import { resetTransportMemory } from '../../../src/stream/handshake.js';
import { streamTypes } from '../../../src/stream/spdy/channel-socket.js';
import { encodeData, encodeGoAway, encodeWindowUpdate } from '../../../src/stream/spdy/frames.js';
import { type FakeSpdyOptions, type FakeSpdyServer, exitStatusJSON, fakeSpdyServer } from './spdy-fake-server.js';

const servers: FakeSpdyServer[] = [];
beforeEach(() => resetTransportMemory());
afterEach(async () => {
  for (const s of servers.splice(0)) await s.close();
});

async function fake(opts: FakeSpdyOptions): Promise<FakeSpdyServer> {
  const s = await fakeSpdyServer(opts);
  servers.push(s);
  return s;
}

function request(server: FakeSpdyServer, over: Partial<StreamRequest> = {}): StreamRequest {
  return {
    server: server.server,
    requestOptions: { headers: { Authorization: 'Bearer s3cret' } },
    namespace: 'default',
    pod: 'web-0',
    container: 'app',
    kind: 'exec',
    command: ['sh', '-c', 'cat; exit 7'],
    stdin: true,
    tty: false,
    handshakeTimeoutMs: 5_000,
    ...over,
  };
}

function io(over: Partial<StreamIO> = {}): StreamIO & { out: () => string; err: () => string } {
  const out: Buffer[] = [];
  const err: Buffer[] = [];
  const sink = (into: Buffer[]) =>
    new Writable({
      write(c: Buffer, _e, cb) {
        into.push(c);
        cb();
      },
    });
  return {
    stdout: sink(out),
    stderr: sink(err),
    ...over,
    out: () => Buffer.concat(out).toString(),
    err: () => Buffer.concat(err).toString(),
  };
}

/** cat; exit 7: echoes stdin, and on its end (FIN) writes stderr and the exit status. */
const cat: Pick<FakeSpdyOptions, 'onStdin' | 'onStdinEnd'> = {
  onStdin: (c, data) => c.send('stdout', data),
  onStdinEnd: (c) => {
    c.send('stderr', 'bye\n');
    c.send('error', exitStatusJSON(7));
    c.end();
  },
};

describe('streamTypes', () => {
  it("names kubectl's streams in kubectl's order", () => {
    expect(streamTypes({ stdin: true, tty: false })).toEqual(['error', 'stdin', 'stdout', 'stderr']);
    expect(streamTypes({ stdin: true, tty: true })).toEqual(['error', 'stdin', 'stdout', 'resize']);
    expect(streamTypes({ stdin: false, tty: false })).toEqual(['error', 'stdout', 'stderr']);
  });
});

describe('SPDY fallback (a v4-only server: v5 WebSocket offer refused 403, as Kubernetes 1.29 does)', () => {
  it('carries piped input to its end: the command sees EOF and its exit code comes back', async () => {
    const s = await fake(cat);
    const stdin = new PassThrough();
    const streams = io({ stdin });
    const running = runStream(request(s), streams);
    stdin.end('hi\n');
    await expect(running).resolves.toEqual({ exitCode: 7, protocol: 'SPDY/3.1+v4.channel.k8s.io' });
    expect(streams.out()).toBe('hi\n');
    expect(streams.err()).toBe('bye\n');
    // WebSocket first, offering only v5 (input must end); then SPDY, as kubectl's fallback does.
    expect(s.upgrades.map((u) => u.kind)).toEqual(['websocket', 'spdy']);
    expect(s.upgrades[0]?.headers['sec-websocket-protocol']).toBe('v5.channel.k8s.io');
    const spdy = s.upgrades[1];
    expect(spdy?.method).toBe('POST');
    expect(spdy?.headers.upgrade).toBe('SPDY/3.1');
    expect(spdy?.headers['x-stream-protocol-version']).toBe('v4.channel.k8s.io');
    expect(spdy?.headers.authorization).toBe('Bearer s3cret');
    expect(spdy?.url).toContain('/api/v1/namespaces/default/pods/web-0/exec?container=app&stdin=true&stdout=true&stderr=true&tty=false&command=sh');
    const conn = s.conns[0];
    expect([...(conn?.streams.keys() ?? [])]).toEqual(['error', 'stdin', 'stdout', 'stderr']);
    expect([...(conn?.streams.values() ?? [])]).toEqual([1, 3, 5, 7]);
    expect(conn?.stdinEnded).toBe(true);
  });

  it('with no stdin to read, still ends the input at once (</dev/null)', async () => {
    const s = await fake(cat);
    const streams = io();
    await expect(runStream(request(s), streams)).resolves.toMatchObject({ exitCode: 7 });
    expect(s.conns[0]?.stdin).toEqual([]);
  });

  it('remembers the server: later streams of the run go straight to SPDY', async () => {
    const s = await fake(cat);
    await runStream(request(s), io());
    await runStream(request(s), io());
    expect(s.upgrades.map((u) => u.kind)).toEqual(['websocket', 'spdy', 'spdy']);
  });

  it('reports success (exit 0) from a Success status on the error stream', async () => {
    const s = await fake({
      onReady: (c) => {
        c.send('stdout', 'bin\netc\n');
        c.send('error', '{"metadata":{},"status":"Success"}', true);
        c.end();
      },
    });
    const streams = io();
    await expect(runStream(request(s, { stdin: false }), streams)).resolves.toEqual({ exitCode: 0, protocol: 'SPDY/3.1+v4.channel.k8s.io' });
    expect(streams.out()).toBe('bin\netc\n');
  });

  it('an exec that ends without a status is a lost connection', async () => {
    const s = await fake({ onReady: (c) => c.destroy() });
    const err: unknown = await runStream(request(s, { stdin: false }), io()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionLostError);
  });

  it('attach: a clean end is the attached process ending (no status)', async () => {
    const s = await fake({
      onReady: (c) => {
        c.send('stdout', 'done\n');
        c.end();
      },
    });
    const streams = io();
    await expect(runStream(request(s, { kind: 'attach', stdin: false }), streams)).resolves.toEqual({
      exitCode: undefined,
      protocol: 'SPDY/3.1+v4.channel.k8s.io',
    });
    expect(streams.out()).toBe('done\n');
    expect(s.upgrades[1]?.url).toContain('/pods/web-0/attach?');
  });

  it('ends when the server has finished its streams, even if it keeps the connection open (as kubectl reads it)', async () => {
    const s = await fake({
      onReady: (c) => {
        c.send('stdout', 'out\n', true);
        c.send('stderr', '', true);
        c.send('error', exitStatusJSON(3), true);
        // No TCP close: a v1.29 kubelet leaves the attach connection open like this.
      },
    });
    const streams = io();
    await expect(runStream(request(s, { stdin: false }), streams)).resolves.toEqual({ exitCode: 3, protocol: 'SPDY/3.1+v4.channel.k8s.io' });
    expect(streams.out()).toBe('out\n');
    const attach = await fake({
      onReady: (c) => {
        c.send('stdout', '', true);
        c.send('stderr', '', true);
        c.send('error', '', true);
      },
    });
    await expect(runStream(request(attach, { kind: 'attach', stdin: false }), io())).resolves.toMatchObject({ exitCode: undefined });
  });

  it('attach sends its go line first, then ends stdin', async () => {
    const s = await fake({ onStdinEnd: (c) => c.end() });
    await runStream(request(s, { kind: 'attach' }), io({ preamble: Buffer.from('\n') }));
    expect(Buffer.concat(s.conns[0]?.stdin ?? []).toString()).toBe('\n');
    expect(s.conns[0]?.stdinEnded).toBe(true);
  });

  it('an abort while the streams open ends the attempt quietly', async () => {
    const s = await fake({ withhold: { type: 'stdout' } });
    const ac = new AbortController();
    setTimeout(() => ac.abort(), 200);
    await expect(runStream(request(s), io(), ac.signal)).resolves.toEqual({ exitCode: undefined, protocol: '' });
    expect(s.conns).toHaveLength(1);
  });

  it('a stream the server resets while opening fails the opening, typed', async () => {
    const s = await fake({ withhold: { type: 'stdout', reset: true } });
    const err: unknown = await runStream(request(s), io()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionLostError);
    expect((err as Error).message).toMatch(/reset the stdout stream/);
  });
});

describe('SPDY sessions', () => {
  it('TTY: opens a resize stream and sends each size as a JSON line (WebSockets refused altogether)', async () => {
    const s = await fake({
      websocket: { status: 400, body: 'no websockets here' },
      onStdin: (c, data) => {
        if (data.toString() === 'exit\r') {
          c.send('error', '{"status":"Success"}');
          c.end();
        }
      },
    });
    const stdin = new PassThrough();
    let resize: ((size: { cols: number; rows: number }) => void) | undefined;
    const running = runStream(
      request(s, { tty: true }),
      io({ stdin, initialSize: { cols: 80, rows: 24 }, resizes: (l) => ((resize = l), () => (resize = undefined)) }),
    );
    await new Promise((r) => setTimeout(r, 100));
    resize?.({ cols: 120, rows: 40 });
    stdin.write('exit\r');
    await expect(running).resolves.toMatchObject({ exitCode: 0 });
    expect(s.upgrades[0]?.headers['sec-websocket-protocol']).toBe('v5.channel.k8s.io,v4.channel.k8s.io');
    expect([...(s.conns[0]?.streams.keys() ?? [])]).toEqual(['error', 'stdin', 'stdout', 'resize']);
    expect(s.conns[0]?.resizes.join('')).toBe('{"Width":80,"Height":24}\n{"Width":120,"Height":40}\n');
  });

  it('answers pings: a live server keeps the session; a silent one is a lost connection', async () => {
    const silent = await fake({ answerPings: false });
    const err: unknown = await runStream(request(silent, { stdin: false, pingIntervalMs: 20, pongTimeoutMs: 150 }), io()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionLostError);
    expect((err as Error).message).toContain('stopped answering pings');

    const live = await fake({
      onReady: (c) =>
        setTimeout(() => {
          c.send('error', '{"status":"Success"}');
          c.end();
        }, 300),
    });
    await expect(runStream(request(live, { stdin: false, pingIntervalMs: 20, pongTimeoutMs: 150 }), io())).resolves.toMatchObject({ exitCode: 0 });
    expect(live.conns[0]?.frames.filter((f) => f.type === 'ping').length).toBeGreaterThan(3);
  });

  it('honours a peer that keeps flow control: no more than its window until WINDOW_UPDATE', async () => {
    let stdinId = 0;
    const s = await fake({
      initialWindow: 8,
      onReady: (c) => (stdinId = c.streams.get('stdin') ?? 0),
      onStdinEnd: (c) => {
        c.send('error', '{"status":"Success"}');
        c.end();
      },
    });
    const stdin = new PassThrough();
    const running = runStream(request(s), io({ stdin }));
    stdin.end('0123456789abcdefghij'); // 20 bytes
    await new Promise((r) => setTimeout(r, 200));
    const conn = s.conns[0];
    expect(Buffer.concat(conn?.stdin ?? []).toString()).toBe('01234567');
    conn?.raw(encodeWindowUpdate(stdinId, 8));
    await new Promise((r) => setTimeout(r, 100));
    expect(Buffer.concat(conn?.stdin ?? []).toString()).toBe('0123456789abcdef');
    conn?.raw(encodeWindowUpdate(stdinId, 100));
    await expect(running).resolves.toMatchObject({ exitCode: 0 });
    expect(Buffer.concat(conn?.stdin ?? []).toString()).toBe('0123456789abcdefghij');
  });

  it("replenishes a flow-controlling server's windows as bulk output is taken (stream and session)", async () => {
    const big = Buffer.alloc(300 * 1024, 'x');
    const s = await fake({
      initialWindow: 64 * 1024,
      onReady: (c) => {
        for (let at = 0; at < big.length; at += 16 * 1024) c.send('stdout', big.subarray(at, at + 16 * 1024));
        c.send('error', '{"status":"Success"}');
        c.end();
      },
    });
    const streams = io();
    await expect(runStream(request(s, { stdin: false }), streams)).resolves.toMatchObject({ exitCode: 0 });
    expect(streams.out().length).toBe(big.length);
    const updates = s.conns[0]?.frames.filter((f) => f.type === 'windowUpdate') ?? [];
    const stdoutId = s.conns[0]?.streams.get('stdout');
    const total = (id: number | undefined) => updates.filter((u) => u.type === 'windowUpdate' && u.streamId === id).reduce((n, u) => n + (u.type === 'windowUpdate' ? u.delta : 0), 0);
    expect(total(stdoutId)).toBeGreaterThanOrEqual(big.length - 64 * 1024);
    expect(total(0)).toBeGreaterThanOrEqual(big.length - 64 * 1024);
  });

  it('sends no window updates to a peer that keeps no flow control (spdystream): its close stays clean', async () => {
    const big = Buffer.alloc(300 * 1024, 'x');
    const s = await fake({
      onReady: (c) => {
        for (let at = 0; at < big.length; at += 16 * 1024) c.send('stdout', big.subarray(at, at + 16 * 1024));
        c.send('error', '{"status":"Success"}');
        c.end();
      },
    });
    const streams = io();
    await expect(runStream(request(s, { stdin: false }), streams)).resolves.toMatchObject({ exitCode: 0 });
    expect(streams.out().length).toBe(big.length);
    expect(s.conns[0]?.frames.filter((f) => f.type === 'windowUpdate')).toEqual([]);
  });

  it('refuses data for a stream it never opened, and survives a GOAWAY', async () => {
    const s = await fake({
      onReady: (c) => {
        c.raw(encodeData(99, Buffer.from('stray')));
        c.raw(encodeGoAway(0, 0));
        c.send('stdout', 'ok\n');
        c.send('error', '{"status":"Success"}');
        c.end();
      },
    });
    const streams = io();
    await expect(runStream(request(s, { stdin: false }), streams)).resolves.toMatchObject({ exitCode: 0 });
    expect(streams.out()).toBe('ok\n');
    expect(s.conns[0]?.frames).toContainEqual({ type: 'rstStream', streamId: 99, status: 2 });
  });
});

describe('when SPDY is refused too', () => {
  it('input that ends only with the stream (the guard) is still served by v4', async () => {
    const s = await fake({ websocket: { status: 400, body: 'x' }, refuseSpdy: { status: 400, body: 'no spdy' } });
    await runStream(request(s, { inputMustEnd: false }), io()).catch(() => undefined);
    // Offered v4 too (this fake refuses every WebSocket; a v4-only server would have accepted).
    expect(s.upgrades[0]?.headers['sec-websocket-protocol']).toBe('v5.channel.k8s.io,v4.channel.k8s.io');
  });

  it('refuses piped input before anything ran (exit 74), naming both refusals', async () => {
    const s = await fake({ refuseSpdy: { status: 400, body: 'this proxy does not relay SPDY' } });
    const err: unknown = await runStream(request(s), io()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StreamRefusedError);
    const msg = (err as Error).message;
    expect(msg).toContain('v5.channel.k8s.io WebSocket (HTTP 403)');
    expect(msg).toContain('SPDY/3.1 (HTTP 400)');
    expect(msg).toContain('nothing was run');
    expect(msg).not.toMatch(/\n|container not found|not running/);
    expect(s.conns).toEqual([]);
  });

  it("a TTY session reports the WebSocket's refusal", async () => {
    const s = await fake({ websocket: { status: 400, body: 'no websockets here' }, refuseSpdy: { status: 400, body: 'no spdy either' } });
    const err: unknown = await runStream(request(s, { tty: true }), io()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StreamRefusedError);
    expect((err as Error).message).toContain('no websockets here');
  });

  it('the same refusal on both transports is the server speaking: reported as such', async () => {
    const body = JSON.stringify({ kind: 'Status', status: 'Failure', message: 'pods "web-0" is forbidden: User "dev" cannot create resource "pods/exec"', code: 403 });
    const s = await fake({ websocket: { status: 403, body }, refuseSpdy: { status: 403, body } });
    const err: unknown = await runStream(request(s), io()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ForbiddenError);
    // A Kubernetes Status 403 is final: no second try over SPDY.
    expect(s.upgrades.map((u) => u.kind)).toEqual(['websocket']);
  });
});
