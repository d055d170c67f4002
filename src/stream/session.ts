/**
 * A thin WebSocket client for pod exec/attach speaking v5/v4.channel.k8s.io.
 *
 * Why not client-node's Exec/Attach: they neither ping (idle sessions die
 * behind load balancers), nor resize, nor surface the handshake error body,
 * and they ignore backpressure.
 */
import { Agent, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import type { RequestOptions } from 'node:https';
import WebSocket, { type ClientOptions } from 'ws';
import { outputRecycler } from './memory.js';
import {
  ApiError,
  ConnectionLostError,
  type DebugError,
  ForbiddenError,
  NotFoundError,
  StreamRefusedError,
  TimeoutError,
} from '../errors.js';
import {
  Channel,
  type TerminalSize,
  decodeFrame,
  encodeCloseStdin,
  encodeFrame,
  encodeResize,
  parseStatus,
} from './frames.js';

export type StreamKind = 'exec' | 'attach';

export const PROTOCOL_V5 = 'v5.channel.k8s.io';
export const PROTOCOL_V4 = 'v4.channel.k8s.io';

export interface StreamRequest {
  /** https://host:port[/prefix]; http:// (tests) maps to ws://. */
  server: string;
  /** ca/cert/key/headers/agent/auth/rejectUnauthorized/servername, e.g. from KubeConfig.applyToHTTPSOptions. */
  requestOptions: RequestOptions;
  namespace: string;
  pod: string;
  container: string;
  kind: StreamKind;
  /** exec only: sent as repeated `command=` query params. */
  command?: string[];
  stdin: boolean;
  /** stdout is always requested; stderr only when !tty (a tty merges them). */
  tty: boolean;
  /** Default 30 s. */
  handshakeTimeoutMs?: number;
  /** Default 5 s (kubectl's period). */
  pingIntervalMs?: number;
  /** No pong for this long => connection lost. Default 30 s. */
  pongTimeoutMs?: number;
  /** -v diagnostics. Header values are never logged. */
  log?: (line: string) => void;
  /** Called once, before the first byte of output: the remote side has really started. */
  onOutput?: () => void;
}

/**
 * Resize source: a subscribe function that calls the listener on every new
 * size and returns an unsubscribe function. `TerminalHandle.onResize` from
 * src/terminal/tty.ts has exactly this shape.
 */
export type ResizeSource = (listener: (size: TerminalSize) => void) => () => void;

export interface StreamIO {
  /** Raw bytes for channel 0 (used only when req.stdin). On 'end': close-stdin on v5; v4 just stops sending. */
  stdin?: NodeJS.ReadableStream;
  stdout: NodeJS.WritableStream;
  stderr: NodeJS.WritableStream;
  /** Sent right after open when tty. */
  initialSize?: TerminalSize;
  /** Forwarded as resize frames when tty. */
  resizes?: ResizeSource;
}

export interface StreamResult {
  /** undefined for attach (no status frame), after an abort, or when the server closed without a status. */
  exitCode: number | undefined;
  /** Negotiated subprotocol ('' if the stream never opened). */
  protocol: string;
}

export function isForbidden(err: unknown): boolean {
  return err instanceof ForbiddenError;
}

export function buildStreamUrl(req: StreamRequest): string {
  const url = new URL(req.server);
  if (url.protocol === 'https:') url.protocol = 'wss:';
  else if (url.protocol === 'http:') url.protocol = 'ws:';
  const prefix = url.pathname.replace(/\/+$/, '');
  const e = encodeURIComponent;
  url.pathname = `${prefix}/api/v1/namespaces/${e(req.namespace)}/pods/${e(req.pod)}/${req.kind}`;
  const q = new URLSearchParams();
  q.append('container', req.container);
  q.append('stdin', String(req.stdin));
  q.append('stdout', 'true');
  q.append('stderr', String(!req.tty));
  q.append('tty', String(req.tty));
  if (req.kind === 'exec') for (const arg of req.command ?? []) q.append('command', arg);
  url.search = q.toString();
  return url.toString();
}

/** ws wants flat string headers; RequestOptions allows arrays, numbers and the raw [k, v, ...] form. */
function flattenHeaders(h: OutgoingHttpHeaders | readonly string[] | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (h === undefined) return out;
  if (Array.isArray(h)) {
    const raw = h as readonly string[];
    for (let i = 0; i + 1 < raw.length; i += 2) out[raw[i] as string] = raw[i + 1] as string;
    return out;
  }
  for (const [k, v] of Object.entries(h as OutgoingHttpHeaders)) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? v.join(', ') : String(v);
  }
  return out;
}

function clientOptions(req: StreamRequest): ClientOptions {
  const o = req.requestOptions;
  const opts: ClientOptions & Pick<RequestOptions, 'servername' | 'auth'> = {
    headers: flattenHeaders(o.headers),
    handshakeTimeout: req.handshakeTimeoutMs ?? 30_000,
    // Terminal traffic is small and bulk output is often already compressed;
    // deflate would cost CPU and memory per session.
    perMessageDeflate: false,
    followRedirects: false,
  };
  if (o.ca !== undefined) opts.ca = o.ca;
  if (o.cert !== undefined) opts.cert = o.cert;
  if (o.key !== undefined) opts.key = o.key;
  if (o.pfx !== undefined) opts.pfx = o.pfx;
  if (o.passphrase !== undefined) opts.passphrase = o.passphrase;
  if (o.rejectUnauthorized !== undefined) opts.rejectUnauthorized = o.rejectUnauthorized;
  if (o.servername !== undefined) opts.servername = o.servername;
  if (o.auth != null) opts.auth = o.auth; // basic auth; ws turns it into a header
  // Proxy agents (https-proxy-agent, socks) from the kubeconfig's proxy-url.
  if (o.agent instanceof Agent) opts.agent = o.agent;
  return opts;
}

/** One line, bounded, from a Status JSON body or plain text. */
function bodyMessage(body: string): string {
  let msg = body;
  try {
    const parsed: unknown = JSON.parse(body);
    if (typeof parsed === 'object' && parsed !== null && 'message' in parsed && typeof parsed.message === 'string') {
      msg = parsed.message;
    }
  } catch {
    // not JSON: use the text as is
  }
  msg = msg.replace(/\s+/g, ' ').trim();
  if (msg === '') return 'no details from the server';
  return msg.length > 300 ? `${msg.slice(0, 300)}…` : msg;
}

function handshakeError(req: StreamRequest, status: number, body: string, details: string[]): DebugError {
  const msg = bodyMessage(body);
  const where = `pod ${req.namespace}/${req.pod}`;
  if (status === 403) {
    return new ForbiddenError(
      `not allowed to create pods/${req.kind} on ${where}: ${msg}; ask for RBAC verbs "create" and "get" on "pods/${req.kind}" in namespace ${req.namespace}`,
      { details },
    );
  }
  if (status === 401) {
    return new ForbiddenError(
      `the API server rejected the credentials (401 Unauthorized) while opening the ${req.kind} stream: ${msg}; log in again or check the kubeconfig user`,
      { details },
    );
  }
  if (status === 404) {
    return new NotFoundError(`${where} not found when opening the ${req.kind} stream: ${msg}; check the pod name and namespace`, {
      details,
    });
  }
  if ((status === 400 || status === 500) && /not found|not valid|not running|not available|terminated|completed|waiting to start|containercreating/i.test(msg)) {
    return new StreamRefusedError(
      `cannot ${req.kind} into container ${req.container} of ${where}: ${msg}; wait until the container is running or choose another container`,
      { details },
    );
  }
  return new StreamRefusedError(`the API server refused the ${req.kind} stream to ${where} with HTTP ${status}: ${msg}; rerun with -v for details`, {
    details,
  });
}

function connectError(req: StreamRequest, err: Error, details: string[]): DebugError {
  const host = safeHost(req.server);
  if (err.message === 'Opening handshake has timed out') {
    const s = Math.round((req.handshakeTimeoutMs ?? 30_000) / 1000);
    return new TimeoutError(
      `no answer from the API server at ${host} within ${s}s while opening the ${req.kind} stream; check the network or raise --request-timeout`,
      { cause: err, details },
    );
  }
  if (/subprotocol/i.test(err.message)) {
    return new StreamRefusedError(
      `the API server at ${host} does not speak the ${PROTOCOL_V5} or ${PROTOCOL_V4} stream protocol (${err.message}); Kubernetes 1.19 or newer is needed`,
      { cause: err, details },
    );
  }
  return new ApiError(`cannot open the ${req.kind} stream to ${host}: ${err.message}; check the server address, network and TLS settings in the kubeconfig`, {
    cause: err,
    details,
  });
}

function safeHost(server: string): string {
  try {
    return new URL(server).host;
  } catch {
    return server;
  }
}

function readBody(res: IncomingMessage, limit: number, timeoutMs: number): Promise<string> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const done = (): void => {
      clearTimeout(timer);
      res.removeAllListeners('data');
      resolve(Buffer.concat(chunks).toString('utf8'));
    };
    // A server that sends headers but never finishes the body must not hang us.
    const timer = setTimeout(done, timeoutMs);
    res.on('data', (c: Buffer) => {
      if (size < limit) chunks.push(c.subarray(0, limit - size));
      size += c.length;
    });
    res.once('end', done);
    res.once('error', done);
    res.once('close', done);
  });
}

function isDestroyed(out: NodeJS.WritableStream): boolean {
  return (out as Partial<{ destroyed: boolean }>).destroyed === true;
}

/** Resolves once everything already written to `out` has been processed. */
function flushed(out: NodeJS.WritableStream): Promise<void> {
  const w = out as Partial<{ writableLength: number; writableEnded: boolean }>;
  if (isDestroyed(out) || w.writableEnded === true || !w.writableLength) return Promise.resolve();
  // A zero-length write's callback runs after all earlier writes completed (or failed).
  return new Promise((done) => {
    out.write(Buffer.alloc(0), () => done());
  });
}

// Pause stdin when this much is queued on the socket; resume when below LOW.
const STDIN_HIGH_WATER = 1 << 20;
const STDIN_LOW_WATER = 1 << 18;

export function runStream(req: StreamRequest, io: StreamIO, signal?: AbortSignal): Promise<StreamResult> {
  const log = req.log ?? ((): void => {});
  if (signal?.aborted) return Promise.resolve({ exitCode: undefined, protocol: '' });

  return new Promise<StreamResult>((resolve, reject) => {
    const url = buildStreamUrl(req);
    const opts = clientOptions(req);
    log(`${req.kind} stream: GET ${url}`);
    log(`${req.kind} stream: headers ${Object.keys(opts.headers ?? {}).join(', ') || '(none)'} (values not shown)`);

    const ws = new WebSocket(url, [PROTOCOL_V5, PROTOCOL_V4], opts);
    ws.binaryType = 'nodebuffer';

    let settled = false;
    let opened = false;
    let protocol = '';
    let exitCode: number | undefined;
    let statusFailure: DebugError | undefined;
    let lastError: Error | undefined;
    let pingTimedOut = false;
    let localClose = false; // we closed on purpose (abort, output went away)
    let outputStarted = false;
    const cleanups: Array<() => void> = [];
    // Outputs that returned false from write(); the socket stays paused until all drain.
    const blocked = new Map<NodeJS.WritableStream, Promise<void>>();

    const cleanup = (): void => {
      for (const f of cleanups.splice(0)) f();
    };
    const settle = (result: { ok: StreamResult } | { err: DebugError }, waitForOutputs = true): void => {
      if (settled) return;
      settled = true;
      cleanup();
      if ('err' in result) {
        reject(result.err);
        return;
      }
      // Do not report success until the caller's outputs wrote every byte:
      // callers may exit right after, which would drop buffered output.
      if (waitForOutputs) {
        void Promise.all(blocked.values())
          .then(() => Promise.all([flushed(io.stdout), flushed(io.stderr)]))
          .then(() => resolve(result.ok));
      } else resolve(result.ok);
    };

    // ws emits 'error' on late failures too; with a listener they never crash the process.
    ws.on('error', (err: Error) => {
      lastError = err;
      log(`${req.kind} stream: socket error: ${err.message}`);
      if (!opened && !settled) settle({ err: connectError(req, err, [`url: ${url}`]) });
    });

    ws.on('unexpected-response', (_creq, res) => {
      const status = res.statusCode ?? 0;
      void readBody(res, 64 * 1024, 5_000).then((body) => {
        log(`${req.kind} stream: handshake refused with HTTP ${status}: ${bodyMessage(body)}`);
        // terminate() (not creq.destroy()) so ws also finishes its own state machine.
        ws.terminate();
        settle({ err: handshakeError(req, status, body, [`url: ${url}`, `HTTP ${status}`, `body: ${bodyMessage(body)}`]) });
      });
    });

    const onAbort = (): void => {
      log(`${req.kind} stream: aborted`);
      localClose = true;
      if (ws.readyState === WebSocket.CONNECTING) ws.terminate();
      else if (ws.readyState === WebSocket.OPEN) {
        ws.close(1000, 'client aborted');
        // Do not wait forever for the server's close frame.
        setTimeout(() => ws.terminate(), 1_000).unref();
      }
      settle({ ok: { exitCode: undefined, protocol } }, false);
    };
    if (signal) {
      signal.addEventListener('abort', onAbort, { once: true });
      cleanups.push(() => signal.removeEventListener('abort', onAbort));
    }

    const send = (frame: Buffer, cb?: (err?: Error) => void): void => {
      if (ws.readyState === WebSocket.OPEN) ws.send(frame, { binary: true }, cb);
    };

    // Backpressure: when a writable is full, pause the WebSocket (ws pauses
    // the TCP socket, so TCP flow control pushes back to the API server) and
    // resume on 'drain'. Memory stays bounded by one socket read plus the
    // writable's highWaterMark, whatever the volume.
    const recycle = outputRecycler();
    const write = (out: NodeJS.WritableStream, data: Buffer): void => {
      if (localClose || isDestroyed(out)) return;
      recycle(data.length);
      if (out.write(data) || blocked.has(out)) return;
      ws.pause();
      const waiting = new Promise<void>((done) => {
        const finish = (gone: boolean): void => {
          out.removeListener('drain', onDrain);
          out.removeListener('close', onGone);
          out.removeListener('error', onGone);
          blocked.delete(out);
          done();
          if (gone) {
            // The reader went away (e.g. `| head`): nobody wants the rest.
            log(`${req.kind} stream: local output closed; ending the session`);
            localClose = true;
            if (ws.readyState === WebSocket.OPEN) ws.close(1000, 'output closed');
          }
          if (blocked.size === 0) {
            lastPong = Date.now(); // pongs could not be read while paused
            ws.resume();
          }
        };
        const onDrain = (): void => finish(false);
        const onGone = (): void => finish(true);
        out.once('drain', onDrain);
        out.once('close', onGone);
        out.once('error', onGone);
      });
      blocked.set(out, waiting);
    };

    ws.on('message', (raw: WebSocket.RawData) => {
      const buf = Buffer.isBuffer(raw) ? raw : Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw);
      if (buf.length === 0) return;
      const { channel, data } = decodeFrame(buf);
      // The server opens each channel with an empty frame; only real bytes count.
      if (!outputStarted && data.length > 0 && (channel === Channel.stdout || channel === Channel.stderr)) {
        outputStarted = true;
        req.onOutput?.();
      }
      switch (channel) {
        case Channel.stdout:
          write(io.stdout, data);
          break;
        case Channel.stderr:
          write(io.stderr, data);
          break;
        case Channel.status: {
          const status = parseStatus(data.toString('utf8'));
          log(`${req.kind} stream: status ${data.toString('utf8')}`);
          if (status.exitCode >= 0) exitCode = status.exitCode;
          else {
            statusFailure = new StreamRefusedError(
              `the ${req.kind} session in pod ${req.namespace}/${req.pod} (container ${req.container}) failed: ${status.message ?? 'unknown error'}; check that the container is running and the command exists`,
              { details: [`status: ${data.toString('utf8')}`] },
            );
          }
          break;
        }
        default:
          log(`${req.kind} stream: ignoring ${data.length} bytes on channel ${channel}`);
      }
    });

    let lastPong = Date.now();
    ws.on('pong', () => {
      lastPong = Date.now();
    });

    ws.on('open', () => {
      opened = true;
      protocol = ws.protocol;
      log(`${req.kind} stream: open, protocol ${protocol}`);
      if (settled) return; // aborted during the handshake

      if (req.tty) {
        let last = '';
        const sendSize = (size: TerminalSize): void => {
          const key = `${size.cols}x${size.rows}`;
          if (key === last || size.cols <= 0 || size.rows <= 0) return;
          last = key;
          send(encodeResize(size));
        };
        if (io.initialSize) sendSize(io.initialSize);
        if (io.resizes) cleanups.push(io.resizes(sendSize));
      }

      const stdin = io.stdin;
      if (req.stdin && stdin) {
        let paused = false;
        const onSent = (): void => {
          if (paused && ws.bufferedAmount < STDIN_LOW_WATER) {
            paused = false;
            stdin.resume();
          }
        };
        const onData = (chunk: Buffer | string): void => {
          send(encodeFrame(Channel.stdin, chunk), onSent);
          if (ws.bufferedAmount > STDIN_HIGH_WATER && !paused) {
            paused = true;
            stdin.pause();
          }
        };
        const onEnd = (): void => {
          log(`${req.kind} stream: stdin ended`);
          // v4 has no way to signal EOF: the remote keeps waiting for input.
          if (protocol === PROTOCOL_V5) send(encodeCloseStdin());
        };
        const onStdinError = (err: Error): void => log(`${req.kind} stream: stdin error: ${err.message}`);
        stdin.on('data', onData);
        stdin.once('end', onEnd);
        stdin.on('error', onStdinError);
        stdin.resume();
        cleanups.push(() => {
          stdin.removeListener('data', onData);
          stdin.removeListener('end', onEnd);
          stdin.removeListener('error', onStdinError);
          // Leave it paused so it does not hold the event loop open.
          stdin.pause();
        });
      }

      const pingMs = req.pingIntervalMs ?? 5_000;
      const pongMs = req.pongTimeoutMs ?? 30_000;
      lastPong = Date.now();
      const timer = setInterval(() => {
        if (ws.isPaused) {
          // Pongs sit unread in the paused socket; a slow reader is not a dead link.
          lastPong = Date.now();
          return;
        }
        if (Date.now() - lastPong > pongMs) {
          log(`${req.kind} stream: no pong for ${pongMs} ms`);
          pingTimedOut = true;
          ws.terminate();
          return;
        }
        ws.ping();
      }, pingMs);
      timer.unref(); // the socket itself keeps the process alive
      cleanups.push(() => clearInterval(timer));
    });

    ws.on('close', (code: number, reasonBuf: Buffer) => {
      const reason = reasonBuf.toString('utf8');
      log(`${req.kind} stream: closed with code ${code}${reason ? ` (${reason})` : ''}`);
      if (settled) return;
      const done = { exitCode, protocol };
      if (pingTimedOut) {
        const s = Math.round((req.pongTimeoutMs ?? 30_000) / 1000);
        settle({
          err: new ConnectionLostError(
            `the API server stopped answering pings for ${s}s during the ${req.kind} session; check the network and run the command again`,
          ),
        });
      } else if (statusFailure) settle({ err: statusFailure });
      else if (exitCode !== undefined || localClose || req.kind === 'attach') settle({ ok: done });
      else if (code === 1006 || lastError) {
        settle({
          err: new ConnectionLostError(
            'connection to the API server was lost mid-session; the remote command may still be running, check the network and run it again',
            { cause: lastError, details: [`close code ${code}`] },
          ),
        });
      } else settle({ ok: done });
    });
  });
}
