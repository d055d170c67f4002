import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { PassThrough, Writable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { WebSocketServer, type WebSocket } from 'ws';
import {
  ConnectionLostError,
  ForbiddenError,
  NotFoundError,
  StreamRefusedError,
} from '../../../src/errors.js';
import { Channel, decodeFrame, encodeFrame } from '../../../src/stream/frames.js';
import {
  buildStreamUrl,
  describeStreamUrl,
  isForbidden,
  runStream,
  type StreamIO,
  type StreamRequest,
} from '../../../src/stream/client.js';

type Handler = (ws: WebSocket, req: IncomingMessage, state: ServerState) => void;

interface ServerState {
  url?: URL;
  headers?: IncomingMessage['headers'];
  protocol?: string;
  stdin: Buffer[];
  resizes: unknown[];
  closeFrames: number[][];
}

interface Fake {
  server: string;
  state: ServerState;
}

const servers: Server[] = [];
afterEach(async () => {
  for (const s of servers.splice(0)) {
    s.closeAllConnections();
    await new Promise((r) => s.close(r));
  }
});

/**
 * A local stand-in for the API server: either refuses the upgrade with an
 * HTTP status + body, or speaks the channel protocol via `handler`.
 */
async function fakeApiServer(opts: {
  protocols?: string[];
  refuse?: { status: number; body: string };
  autoPong?: boolean;
  handler?: Handler;
}): Promise<Fake> {
  const state: ServerState = { stdin: [], resizes: [], closeFrames: [] };
  const offered = opts.protocols ?? ['v5.channel.k8s.io', 'v4.channel.k8s.io'];
  const wss = new WebSocketServer({
    noServer: true,
    autoPong: opts.autoPong ?? true,
    handleProtocols: (protocols) => offered.find((p) => protocols.has(p)) ?? false,
  });
  const http = createServer();
  http.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    state.url = new URL(req.url ?? '/', 'http://x');
    state.headers = req.headers;
    if (opts.refuse) {
      const { status, body } = opts.refuse;
      socket.end(
        `HTTP/1.1 ${status} Nope\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
      );
      return;
    }
    wss.handleUpgrade(req, socket, head, (ws) => {
      state.protocol = ws.protocol;
      ws.on('message', (raw: Buffer) => {
        const { channel, data } = decodeFrame(raw);
        if (channel === Channel.stdin) state.stdin.push(Buffer.from(data));
        if (channel === Channel.resize) state.resizes.push(JSON.parse(data.toString()));
        if (channel === Channel.close) state.closeFrames.push([...raw]);
      });
      opts.handler?.(ws, req, state);
    });
  });
  servers.push(http);
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const { port } = http.address() as AddressInfo;
  return { server: `http://127.0.0.1:${port}`, state };
}

const exitStatus = (code: number): Buffer =>
  encodeFrame(
    Channel.status,
    JSON.stringify({
      metadata: {},
      status: 'Failure',
      message: `command terminated with non-zero exit code: exit code ${code}`,
      reason: 'NonZeroExitCode',
      details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
    }),
  );

/** Shell-like fake: echoes stdin to stdout; on EOF (close-stdin or an "EOF" line) writes stderr and exits 7. */
const echoShell: Handler = (ws, _req, state) => {
  const finish = (): void => {
    ws.send(encodeFrame(Channel.stderr, 'bye\n'));
    ws.send(exitStatus(7));
    ws.close(1000);
  };
  ws.on('message', (raw: Buffer) => {
    const { channel, data } = decodeFrame(raw);
    if (channel === Channel.stdin) {
      ws.send(encodeFrame(Channel.stdout, data));
      if (Buffer.concat(state.stdin).toString().includes('EOF\n')) finish();
    }
    if (channel === Channel.close && data[0] === Channel.stdin) finish();
  });
};

function sink(): { stream: PassThrough; text: () => string } {
  const chunks: Buffer[] = [];
  const stream = new PassThrough();
  stream.on('data', (c: Buffer) => chunks.push(c));
  return { stream, text: () => Buffer.concat(chunks).toString() };
}

function request(fake: Fake, over: Partial<StreamRequest> = {}): StreamRequest {
  return {
    server: fake.server,
    requestOptions: {},
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
  const out = sink();
  const err = sink();
  return { stdout: out.stream, stderr: err.stream, out: out.text, err: err.text, ...over };
}

describe('buildStreamUrl', () => {
  it('builds exec URLs with repeated command params and maps schemes', () => {
    const url = new URL(
      buildStreamUrl({
        server: 'https://k8s.example:6443/prefix/',
        requestOptions: {},
        namespace: 'ns 1',
        pod: 'p',
        container: 'c',
        kind: 'exec',
        command: ['sh', '-c', 'echo a&b'],
        stdin: true,
        tty: true,
      }),
    );
    expect(url.protocol).toBe('wss:');
    expect(url.pathname).toBe('/prefix/api/v1/namespaces/ns%201/pods/p/exec');
    expect(url.searchParams.getAll('command')).toEqual(['sh', '-c', 'echo a&b']);
    expect(url.searchParams.get('stderr')).toBe('false');
    expect(url.searchParams.get('tty')).toBe('true');
    expect(url.searchParams.get('stdout')).toBe('true');
  });

  it('builds attach URLs without command', () => {
    const url = new URL(
      buildStreamUrl({
        server: 'http://127.0.0.1:1',
        requestOptions: {},
        namespace: 'n',
        pod: 'p',
        container: 'dbg',
        kind: 'attach',
        command: ['ignored'],
        stdin: false,
        tty: false,
      }),
    );
    expect(url.protocol).toBe('ws:');
    expect(url.pathname).toBe('/api/v1/namespaces/n/pods/p/attach');
    expect(url.searchParams.has('command')).toBe(false);
    expect(url.searchParams.get('stderr')).toBe('true');
    expect(url.searchParams.get('stdin')).toBe('false');
  });
});

describe('describeStreamUrl', () => {
  it('shows the URL readably, with long command arguments replaced by their size', () => {
    const script = 'x'.repeat(500);
    const d = describeStreamUrl({
      server: 'https://k:6443',
      requestOptions: {},
      namespace: 'ns',
      pod: 'p',
      container: 'dbg',
      kind: 'exec',
      command: ['/bin/sh', '-c', script, 'distroless-debug-session', 'cat', 'etc/a b'],
      stdin: false,
      tty: false,
    });
    expect(d).toBe(
      'wss://k:6443/api/v1/namespaces/ns/pods/p/exec?container=dbg&stdin=false&stdout=true&stderr=true&tty=false&command=/bin/sh&command=-c&command=<500-byte argument>&command=distroless-debug-session&command=cat&command=etc/a b',
    );
  });
});

describe('runStream', () => {
  it('negotiates v5, echoes stdin, forwards stderr, half-closes stdin and reports exit code 7', async () => {
    const fake = await fakeApiServer({ handler: echoShell });
    const stdin = new PassThrough();
    const streams = io({ stdin });
    const logs: string[] = [];
    const running = runStream(
      request(fake, {
        requestOptions: { headers: { Authorization: 'Bearer s3cret', 'X-Multi': ['a', 'b'] } },
        log: (l) => logs.push(l),
      }),
      streams,
    );
    stdin.write('hello\n');
    stdin.end('world\n');
    const result = await running;
    expect(result).toEqual({ exitCode: 7, protocol: 'v5.channel.k8s.io' });
    expect(streams.out()).toBe('hello\nworld\n');
    expect(streams.err()).toBe('bye\n');
    expect(fake.state.closeFrames).toEqual([[255, 0]]);
    expect(fake.state.url?.pathname).toBe('/api/v1/namespaces/default/pods/web-0/exec');
    expect(fake.state.url?.searchParams.getAll('command')).toEqual(['sh', '-c', 'cat; exit 7']);
    expect(fake.state.headers?.['authorization']).toBe('Bearer s3cret');
    expect(fake.state.headers?.['x-multi']).toBe('a, b');
    expect(logs.join('\n')).not.toContain('s3cret');
  });

  it('falls back to v4 for a TTY session and does not send close frames there', async () => {
    const fake = await fakeApiServer({ protocols: ['v4.channel.k8s.io'], handler: echoShell });
    const stdin = new PassThrough();
    const streams = io({ stdin });
    // A terminal ends input in-band (Ctrl-D is a byte), so v4 serves it; piped
    // input that must end is never opened on v4 (spdy.test.ts).
    const running = runStream(request(fake, { tty: true }), streams);
    stdin.end('hi\nEOF\n');
    const result = await running;
    expect(result).toEqual({ exitCode: 7, protocol: 'v4.channel.k8s.io' });
    expect(fake.state.protocol).toBe('v4.channel.k8s.io');
    expect(streams.out()).toBe('hi\nEOF\n');
    expect(fake.state.closeFrames).toEqual([]);
  });

  it('reports exit code 0 on Success', async () => {
    const fake = await fakeApiServer({
      handler: (ws) => {
        ws.send(encodeFrame(Channel.stdout, 'bin\netc\n'));
        ws.send(encodeFrame(Channel.status, '{"metadata":{},"status":"Success"}'));
        ws.close(1000);
      },
    });
    const streams = io();
    await expect(runStream(request(fake, { stdin: false }), streams)).resolves.toEqual({
      exitCode: 0,
      protocol: 'v5.channel.k8s.io',
    });
    expect(streams.out()).toBe('bin\netc\n');
  });

  it('calls onOutput once, at the first real byte: not for the empty frames that open each channel', async () => {
    const events: string[] = [];
    const fake = await fakeApiServer({
      handler: (ws) => {
        ws.send(encodeFrame(Channel.stdout, ''));
        ws.send(encodeFrame(Channel.stderr, ''));
        setTimeout(() => {
          ws.send(encodeFrame(Channel.stdout, 'first\n'));
          ws.send(encodeFrame(Channel.stderr, 'second\n'));
          ws.send(encodeFrame(Channel.status, '{"metadata":{},"status":"Success"}'));
          ws.close(1000);
        }, 50);
      },
    });
    const streams = io();
    const req = request(fake, { stdin: false, onOutput: () => events.push(`output after ${JSON.stringify(streams.out())}`) });
    await runStream(req, streams);
    expect(events).toEqual(['output after ""']);
  });

  it('turns a non-exit-code Failure status into StreamRefusedError', async () => {
    const fake = await fakeApiServer({
      handler: (ws) => {
        ws.send(
          encodeFrame(
            Channel.status,
            JSON.stringify({ status: 'Failure', reason: 'InternalError', message: 'exec: "bash": executable file not found in $PATH' }),
          ),
        );
        ws.close(1000);
      },
    });
    const err: unknown = await runStream(request(fake, { stdin: false }), io()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StreamRefusedError);
    expect((err as Error).message).toContain('executable file not found');
  });

  it('sends the initial size and resize frames in tty mode', async () => {
    let emit: ((s: { cols: number; rows: number }) => void) | undefined;
    let unsubscribed = false;
    const fake = await fakeApiServer({
      handler: (ws, _req, state) => {
        ws.on('message', () => {
          if (state.resizes.length === 3) {
            ws.send(encodeFrame(Channel.status, '{"status":"Success"}'));
            ws.close(1000);
          }
        });
      },
    });
    const running = runStream(
      request(fake, { tty: true, stdin: false }),
      io({
        initialSize: { cols: 80, rows: 24 },
        resizes: (f) => {
          emit = f;
          return () => {
            unsubscribed = true;
          };
        },
      }),
    );
    await vi_waitFor(() => emit !== undefined && fake.state.resizes.length === 1);
    emit?.({ cols: 80, rows: 24 }); // unchanged: not re-sent
    emit?.({ cols: 120, rows: 40 });
    emit?.({ cols: 100, rows: 30 });
    await expect(running).resolves.toEqual({ exitCode: 0, protocol: 'v5.channel.k8s.io' });
    expect(fake.state.resizes).toEqual([
      { Width: 80, Height: 24 },
      { Width: 120, Height: 40 },
      { Width: 100, Height: 30 },
    ]);
    expect(fake.state.url?.searchParams.get('stderr')).toBe('false');
    expect(unsubscribed).toBe(true);
  });

  it('maps a 403 handshake with a Status body to ForbiddenError', async () => {
    const body = JSON.stringify({
      kind: 'Status',
      apiVersion: 'v1',
      status: 'Failure',
      message: 'pods "web-0" is forbidden: User "dev" cannot create resource "pods/exec" in API group "" in the namespace "default"',
      reason: 'Forbidden',
      code: 403,
    });
    const fake = await fakeApiServer({ refuse: { status: 403, body } });
    const err: unknown = await runStream(request(fake), io()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ForbiddenError);
    expect(isForbidden(err)).toBe(true);
    const msg = (err as Error).message;
    expect(msg).toContain('create pods/exec');
    expect(msg).toContain('User "dev" cannot create resource "pods/exec"');
    expect(msg).not.toContain('\n');
  });

  it('names pods/attach for a forbidden attach', async () => {
    const fake = await fakeApiServer({ refuse: { status: 403, body: '{"message":"nope"}' } });
    const err: unknown = await runStream(request(fake, { kind: 'attach' }), io()).catch((e: unknown) => e);
    expect(isForbidden(err)).toBe(true);
    expect((err as Error).message).toContain('create pods/attach');
  });

  it('maps 404 to NotFoundError', async () => {
    const fake = await fakeApiServer({ refuse: { status: 404, body: '{"status":"Failure","message":"pods \\"web-0\\" not found"}' } });
    const err: unknown = await runStream(request(fake), io()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotFoundError);
    expect((err as Error).message).toContain('pods "web-0" not found');
  });

  it.each([
    [400, 'container debugger-abc is not valid for pod web-0'],
    [400, 'container not found ("app")'],
    [500, 'unable to upgrade connection: container not running (app)'],
    [502, 'bad gateway'],
  ])('maps HTTP %i "%s" to StreamRefusedError quoting the server', async (status, message) => {
    const fake = await fakeApiServer({ refuse: { status, body: JSON.stringify({ status: 'Failure', message }) } });
    const err: unknown = await runStream(request(fake), io()).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(StreamRefusedError);
    expect((err as Error).message).toContain(message);
    expect(isForbidden(err)).toBe(false);
  });

  it('rejects with ConnectionLostError when the socket dies mid-exec', async () => {
    const fake = await fakeApiServer({
      handler: (ws) => {
        ws.send(encodeFrame(Channel.stdout, 'partial'), () => setTimeout(() => ws.terminate(), 20));
      },
    });
    const streams = io();
    const err: unknown = await runStream(request(fake, { stdin: false }), streams).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionLostError);
    expect((err as Error).message).toContain('connection to the API server was lost mid-session');
    expect(streams.out()).toBe('partial');
  });

  it('resolves attach without an exit code when the server closes cleanly (the attached process ended)', async () => {
    const fake = await fakeApiServer({
      handler: (ws) => {
        ws.send(encodeFrame(Channel.stdout, '/ # '), () => setTimeout(() => ws.close(1000), 20));
      },
    });
    const streams = io();
    await expect(runStream(request(fake, { kind: 'attach', stdin: false }), streams)).resolves.toEqual({
      exitCode: undefined,
      protocol: 'v5.channel.k8s.io',
    });
    expect(streams.out()).toBe('/ # ');
  });

  it('rejects attach with ConnectionLostError when the connection drops (no close frame)', async () => {
    const fake = await fakeApiServer({
      handler: (ws) => {
        ws.send(encodeFrame(Channel.stdout, '/ # '), () => setTimeout(() => ws.terminate(), 20));
      },
    });
    const streams = io();
    const err: unknown = await runStream(request(fake, { kind: 'attach', stdin: false }), streams).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionLostError);
    expect(streams.out()).toBe('/ # ');
  });

  it('rejects exec with ConnectionLostError when the stream closes cleanly without a status frame (defect 16)', async () => {
    const fake = await fakeApiServer({
      handler: (ws) => {
        ws.send(encodeFrame(Channel.stdout, 'partial'), () => setTimeout(() => ws.close(1000), 20));
      },
    });
    const streams = io();
    const err: unknown = await runStream(request(fake, { stdin: false }), streams).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionLostError);
    expect((err as Error).message).toContain('without an exit status');
    expect(streams.out()).toBe('partial');
  });

  it('still resolves an exec that we closed ourselves (local output gone) without a status', async () => {
    const fake = await fakeApiServer({
      handler: (ws) => {
        const pump = (): void => {
          if (ws.readyState !== ws.OPEN) return;
          ws.send(encodeFrame(Channel.stdout, Buffer.alloc(64 * 1024, 0x61)));
          setTimeout(pump, 1);
        };
        pump();
      },
    });
    // A reader that stops reading, then goes away (e.g. `| head`).
    const out = new Writable({
      highWaterMark: 1024,
      write() {
        setTimeout(() => this.destroy(), 20);
      },
    });
    await expect(runStream(request(fake, { stdin: false }), io({ stdout: out }))).resolves.toMatchObject({ exitCode: undefined });
  });

  it('sends the preamble on stdin before any stdin data, and half-closes when there is no stdin', async () => {
    const fake = await fakeApiServer({
      handler: (ws, _req, state) => {
        const t = setInterval(() => {
          if (state.closeFrames.length === 0) return;
          clearInterval(t);
          ws.send(encodeFrame(Channel.status, '{"status":"Success"}'));
          ws.close(1000);
        }, 5);
      },
    });
    await runStream(request(fake, { kind: 'attach' }), io({ preamble: Buffer.from('\n') }));
    expect(Buffer.concat(fake.state.stdin).toString()).toBe('\n');
    expect(fake.state.closeFrames).toEqual([[255, 0]]);
  });

  it('passes every output chunk to observe before writing it', async () => {
    const fake = await fakeApiServer({
      handler: (ws) => {
        ws.send(encodeFrame(Channel.stdout, 'a$ '));
        ws.send(encodeFrame(Channel.stderr, 'oops'));
        ws.send(encodeFrame(Channel.status, '{"status":"Success"}'));
        ws.close(1000);
      },
    });
    const seen: string[] = [];
    await runStream(request(fake, { stdin: false }), io({ observe: (_out, d) => seen.push(d.toString()) }));
    expect(seen).toEqual(['a$ ', 'oops']);
  });

  it('rejects with ConnectionLostError when pongs stop', async () => {
    const fake = await fakeApiServer({ autoPong: false });
    const err: unknown = await runStream(
      request(fake, { stdin: false, pingIntervalMs: 20, pongTimeoutMs: 150 }),
      io(),
    ).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConnectionLostError);
    expect((err as Error).message).toMatch(/stopped answering pings/);
  });

  it('keeps the session alive while pongs arrive', async () => {
    const fake = await fakeApiServer({
      handler: (ws) => {
        setTimeout(() => {
          ws.send(encodeFrame(Channel.status, '{"status":"Success"}'));
          ws.close(1000);
        }, 300);
      },
    });
    await expect(
      runStream(request(fake, { stdin: false, pingIntervalMs: 20, pongTimeoutMs: 100 }), io()),
    ).resolves.toEqual({ exitCode: 0, protocol: 'v5.channel.k8s.io' });
  });

  it('resolves with no exit code when aborted', async () => {
    // One byte of output proves the client side is open too (the server's
    // view alone raced the client's handshake on a loaded machine).
    const fake = await fakeApiServer({ handler: (ws) => ws.send(encodeFrame(Channel.stdout, Buffer.from('x'))) });
    const ac = new AbortController();
    const stdin = new PassThrough();
    const streams = io({ stdin });
    const running = runStream(request(fake), streams, ac.signal);
    await vi_waitFor(() => streams.out() === 'x');
    ac.abort();
    await expect(running).resolves.toEqual({ exitCode: undefined, protocol: 'v5.channel.k8s.io' });
    expect(stdin.isPaused()).toBe(true);
    expect(stdin.listenerCount('data')).toBe(0);
  });

  it('resolves immediately for an already-aborted signal', async () => {
    await expect(
      runStream(request({ server: 'http://127.0.0.1:9', state: { stdin: [], resizes: [], closeFrames: [] } }), io(), AbortSignal.abort()),
    ).resolves.toEqual({ exitCode: undefined, protocol: '' });
  });

  it('maps a refused TCP connection to a typed error', async () => {
    const fake = await fakeApiServer({});
    const http = servers.pop();
    await new Promise((r) => http?.close(r));
    const err: unknown = await runStream(request(fake), io()).catch((e: unknown) => e);
    expect((err as { code?: string }).code).toBe('api');
    expect((err as Error).message).toMatch(/ECONNREFUSED/);
  });

  it('resolves only after the outputs processed everything written to them', async () => {
    const fake = await fakeApiServer({
      handler: (ws) => {
        for (let i = 0; i < 20; i++) ws.send(encodeFrame(Channel.stdout, Buffer.alloc(1000, 0x62)));
        ws.send(encodeFrame(Channel.status, '{"status":"Success"}'));
        ws.close(1000);
      },
    });
    let processed = 0;
    // Large buffer (never blocks) but each write completes later.
    const lazy = new Writable({
      highWaterMark: 1024 * 1024,
      write(c: Buffer, _enc, cb) {
        setTimeout(() => {
          processed += c.length;
          cb();
        }, 2);
      },
    });
    await runStream(request(fake, { stdin: false }), io({ stdout: lazy }));
    expect(processed).toBe(20_000);
  });

  it('honours stdout backpressure while moving 16 MiB', async () => {
    const total = 16 * 1024 * 1024;
    const chunk = Buffer.alloc(32 * 1024, 0x61);
    const fake = await fakeApiServer({
      handler: (ws) => {
        let sent = 0;
        const pump = (): void => {
          // Keep the server's own buffer modest but always non-empty.
          while (sent < total && ws.bufferedAmount < 1024 * 1024) {
            ws.send(encodeFrame(Channel.stdout, chunk));
            sent += chunk.length;
          }
          if (sent < total) setTimeout(pump, 1);
          else {
            ws.send(encodeFrame(Channel.status, '{"status":"Success"}'));
            ws.close(1000);
          }
        };
        pump();
      },
    });
    let received = 0;
    let maxQueued = 0;
    // A slow consumer: 16 KiB high-water mark, completes each write a tick later.
    const slow = new Writable({
      highWaterMark: 16 * 1024,
      write(c: Buffer, _enc, cb) {
        received += c.length;
        setImmediate(cb);
      },
    });
    const origWrite = slow.write.bind(slow);
    slow.write = ((c: Buffer) => {
      const ok = origWrite(c);
      maxQueued = Math.max(maxQueued, slow.writableLength);
      return ok;
    }) as typeof slow.write;
    const result = await runStream(request(fake, { stdin: false }), io({ stdout: slow }));
    expect(result.exitCode).toBe(0);
    expect(received).toBe(total);
    // Without backpressure the whole 16 MiB would pile up in the writable.
    expect(maxQueued).toBeLessThan(2 * 1024 * 1024);
  }, 30_000);
});

async function vi_waitFor(cond: () => boolean, timeoutMs = 2_000): Promise<void> {
  const start = Date.now();
  while (!cond()) {
    if (Date.now() - start > timeoutMs) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 5));
  }
}
