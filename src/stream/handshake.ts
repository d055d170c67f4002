/**
 * Opens the exec/attach WebSocket (v5 then v4 subprotocol) and turns every
 * way the opening can fail into a typed error with a next step: an HTTP
 * refusal (its Status body quoted), a timeout, a missing subprotocol, a
 * network or TLS error.
 */
import { Agent, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import { readRefusalBody } from './refusal-body.js';
import type { RequestOptions } from 'node:https';
import type { ClientOptions } from 'ws';
import WebSocket from './ws.js';
import { ApiError, ConfigError, ConnectionLostError, type DebugError, DebugError as DebugErrorClass, ForbiddenError, NotFoundError, StreamRefusedError, TimeoutError } from '../errors.js';
import { connectionError } from '../kubeconfig/transport-errors.js';
import { PROTOCOL_V4, PROTOCOL_V5, buildStreamUrl, describeStreamUrl, type StreamRequest } from './request.js';
import { type ChannelSocket, webSocketChannel } from './socket.js';
import { tlsMaterial } from './tls-material.js';

/**
 * Headers for the upgrade request. An array value stays an array: Node sends
 * it as one header line per element, which is what client-go does for
 * Impersonate-Group and Impersonate-Extra-* (joined into one line, a comma
 * would become part of a group name). ws hands the object to http.request
 * untouched, arrays included, although its type says strings.
 */
function upgradeHeaders(h: OutgoingHttpHeaders | readonly string[] | undefined): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  if (h === undefined) return out;
  if (Array.isArray(h)) {
    const raw = h as readonly string[];
    for (let i = 0; i + 1 < raw.length; i += 2) out[raw[i] as string] = raw[i + 1] as string;
    return out;
  }
  for (const [k, v] of Object.entries(h as OutgoingHttpHeaders)) {
    if (v === undefined) continue;
    out[k] = Array.isArray(v) ? v.map(String) : String(v);
  }
  return out;
}

function clientOptions(req: StreamRequest): ClientOptions {
  const o = req.requestOptions;
  const opts: ClientOptions & Pick<RequestOptions, 'servername' | 'auth'> = {
    headers: upgradeHeaders(o.headers) as Record<string, string>,
    handshakeTimeout: req.handshakeTimeoutMs ?? 30_000,
    // Terminal traffic is small and bulk output is often already compressed;
    // deflate would cost CPU and memory per session.
    perMessageDeflate: false,
    followRedirects: false,
    // Client frames must carry a mask key; RFC 6455 wants it unpredictable so a
    // script in a browser cannot steer the bytes a caching proxy sees. This
    // client sends only its own user's bytes, so the key is zero and ws skips
    // the XOR, which in pure JS was the largest CPU cost of an upload (cp: 1.3 s
    // of CPU per 200 MiB, more than the rest of the plugin together).
    generateMask: (mask: Buffer) => void mask.fill(0),
    ...tlsMaterial(o),
  };
  if (o.auth != null) opts.auth = o.auth; // basic auth; ws turns it into a header
  const early = req.socket;
  if (early) {
    // Opened ahead with these very TLS options (stream/preconnect.ts): used instead of the agent's pool.
    opts.createConnection = () => early;
  } else if (o.agent instanceof Agent) {
    // The shared keep-alive agent, or a proxy's (tunnel, socks).
    opts.agent = o.agent;
  }
  return opts;
}

/** One line, bounded, from a Status JSON body or plain text. */
export function bodyMessage(body: string): string {
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

/** An HTTP answer instead of the upgrade → the error the user can act on. */
export function handshakeError(req: StreamRequest, status: number, body: string, details: string[]): DebugError {
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
  // Already a message with a next step (e.g. the proxy refused the tunnel).
  if (err instanceof DebugErrorClass) return err;
  const code = (err as NodeJS.ErrnoException).code ?? '';
  if (/CERT|SIGNATURE|ISSUER|SELF_SIGNED|ERR_TLS_CERT_ALTNAME_INVALID|ERR_SSL_WRONG_VERSION_NUMBER/.test(code)) {
    // The same words as for a REST call, naming the cluster entry.
    if (req.connection) return connectionError(req.connection, err as NodeJS.ErrnoException);
    return new ConfigError(
      `the API server's certificate at ${host} is not accepted (${code}) while opening the ${req.kind} stream; fix certificate-authority (or tls-server-name) of the cluster entry in kubeconfig`,
      { cause: err, details },
    );
  }
  // Nothing ran: the stream never opened. A connection that broke on the way
  // is a lost connection (retried while a debugger starts); one that could
  // not be made says the server is unreachable.
  if (/^(ECONNRESET|EPIPE)$/.test(code) || /socket hang up/i.test(err.message)) {
    return new ConnectionLostError(`the connection to the API server at ${host} broke while opening the ${req.kind} stream (${code || err.message}); check the network and run the command again`, {
      cause: err,
      details,
    });
  }
  if (/^(ECONNREFUSED|EHOSTUNREACH|ENETUNREACH|ENOTFOUND|EAI_AGAIN)$/.test(code)) {
    return new ApiError(`cannot reach the API server at ${host} (${code}) while opening the ${req.kind} stream; check that the cluster is up and the network lets you reach it`, {
      cause: err,
      details,
    });
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

/**
 * Opens the WebSocket offering `protocols`. Resolves with the open socket,
 * paused so that nothing is read before the caller has its listeners in
 * place; or with undefined when `signal` aborted the opening. Rejects with a
 * typed error, or with WebSocketUnavailable when another transport may work.
 */
export function openWebSocket(req: StreamRequest, protocols: string[], signal?: AbortSignal): Promise<WebSocket | undefined> {
  const log = req.log ?? ((): void => {});
  if (signal?.aborted) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const url = buildStreamUrl(req);
    const opts = clientOptions(req);
    log(`${req.kind} stream: GET ${describeStreamUrl(req)}`);
    log(`${req.kind} stream: headers ${Object.keys(opts.headers ?? {}).join(', ') || '(none)'} (values not shown)`);
    const details = [`url: ${describeStreamUrl(req)}`];

    const ws = new WebSocket(url, protocols, opts);
    ws.binaryType = 'nodebuffer';
    let settled = false;
    const finish = (outcome: { ws: WebSocket | undefined } | { err: DebugError | WebSocketUnavailable }): void => {
      if (settled) return;
      settled = true;
      signal?.removeEventListener('abort', onAbort);
      ws.removeListener('open', onOpen);
      ws.removeListener('unexpected-response', onRefused);
      if ('err' in outcome) reject(outcome.err);
      else resolve(outcome.ws);
    };

    // ws emits 'error' on late failures too (after a terminate() below): a
    // listener must stay for the socket's lifetime so they never crash the process.
    ws.on('error', (err: Error) => {
      log(`${req.kind} stream: socket error: ${err.message}`);
      const typed = connectError(req, err, details);
      // The server upgraded without a protocol we offered: another transport may work.
      finish({ err: /subprotocol/i.test(err.message) ? new WebSocketUnavailable(typed, err.message) : typed });
    });
    const onRefused = (_creq: unknown, res: IncomingMessage): void => {
      const status = res.statusCode ?? 0;
      void readRefusalBody(res, { limit: 64 * 1024, timeoutMs: 5_000, destroy: false }).then((body) => {
        log(`${req.kind} stream: handshake refused with HTTP ${status}: ${bodyMessage(body)}`);
        // terminate() (not creq.destroy()) so ws also finishes its own state machine.
        ws.terminate();
        const typed = handshakeError(req, status, body, [...details, `HTTP ${status}`, `body: ${bodyMessage(body)}`]);
        finish({ err: upgradeRefusalIsFinal(status, body) ? typed : new WebSocketUnavailable(typed, `HTTP ${status}`, { status, body }) });
      });
    };
    const onOpen = (): void => {
      log(`${req.kind} stream: open, protocol ${ws.protocol}`);
      ws.pause();
      finish({ ws });
    };
    const onAbort = (): void => {
      log(`${req.kind} stream: aborted while opening`);
      ws.terminate();
      finish({ ws: undefined });
    };
    ws.on('unexpected-response', onRefused);
    ws.once('open', onOpen);
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/**
 * The WebSocket could not carry this session, but another transport may: the
 * upgrade was refused in a way that is not a final answer about the pod or
 * the user, or the server upgraded without a protocol we offered.
 */
export class WebSocketUnavailable extends Error {
  override name = 'WebSocketUnavailable';
  constructor(
    /** What the WebSocket attempt alone would report. */
    readonly typed: DebugError,
    /** Short, for -v and the final message: `HTTP 403`, `Server sent no subprotocol`. */
    readonly reason: string,
    /** The HTTP status and body of a refused upgrade. */
    readonly refusal?: { status: number; body: string },
  ) {
    super(typed.message);
  }
}

/**
 * A refusal that another transport would only repeat: bad credentials, a
 * Kubernetes Status saying who may not do what or what does not exist, and
 * the container-state refusals a starting debugger gets (retried by the
 * session). Anything else (a 1.29 API server's bare 403 to a v5-only offer,
 * a proxy's 400/405/426/501/502) may be about the WebSocket itself.
 */
export function upgradeRefusalIsFinal(status: number, body: string): boolean {
  if (status === 401) return true;
  if ((status === 403 || status === 404) && /"kind"\s*:\s*"Status"/.test(body)) return true;
  if ((status === 400 || status === 500) && /not found|not valid|not running|not available|terminated|completed|waiting to start|containercreating/i.test(bodyMessage(body))) {
    return true;
  }
  return false;
}

/** Servers where this run found the WebSocket unusable and SPDY working: later streams go straight to SPDY. */
const spdyServers = new Set<string>();

/** Forgets what earlier streams learned (tests). */
export function resetTransportMemory(): void {
  spdyServers.clear();
}

/**
 * Opens the stream over the transport this server can carry, paused (see
 * openWebSocket); undefined when `signal` aborted the opening.
 *
 * Order, as kubectl 1.30+ does it: a WebSocket first, then SPDY/3.1 when the
 * WebSocket upgrade is refused (not finally, see upgradeRefusalIsFinal) or
 * comes back without a protocol we offered. Input that must end (stdin
 * without a TTY: a pipe, a file, /dev/null) is offered only
 * `v5.channel.k8s.io`: on v4 its end could never reach the command, which
 * would wait forever, and a v4 stream, once open, has already started the
 * command. A TTY session (or one without stdin) also accepts v4. When SPDY is
 * refused too, input that must end is refused before anything ran.
 */
export async function openStreamSocket(req: StreamRequest, signal?: AbortSignal): Promise<ChannelSocket | undefined> {
  const log = req.log ?? ((): void => {});
  const mustEndInput = req.inputMustEnd ?? (req.stdin && !req.tty);
  let wsFailure: WebSocketUnavailable | undefined;
  if (!spdyServers.has(req.server)) {
    try {
      const ws = await openWebSocket(req, mustEndInput ? [PROTOCOL_V5] : [PROTOCOL_V5, PROTOCOL_V4], signal);
      return ws && webSocketChannel(ws);
    } catch (err) {
      if (!(err instanceof WebSocketUnavailable)) throw err;
      wsFailure = err;
      log(`${req.kind} stream: WebSocket unusable (${err.reason}); trying SPDY/3.1`);
    }
  }
  const details = [`url: ${describeStreamUrl(req)}`, 'transport: SPDY/3.1'];
  const timeoutMs = req.handshakeTimeoutMs ?? 30_000;
  // Loaded only for servers that need it: SPDY brings zlib, which a WebSocket session never uses.
  const [{ upgradeToSpdy }, { openChannels }] = await Promise.all([import('./spdy/upgrade.js'), import('./spdy/channel-socket.js')]);
  const up = await upgradeToSpdy({ url: buildStreamUrl(req).replace(/^ws/, 'http'), requestOptions: req.requestOptions, protocols: [PROTOCOL_V4], timeoutMs, signal });
  if ('aborted' in up) return undefined;
  if ('failure' in up) {
    const f = up.failure;
    if (f.kind === 'refused') {
      log(`${req.kind} stream: SPDY upgrade refused with HTTP ${f.status}: ${bodyMessage(f.body)}`);
      const typed = handshakeError(req, f.status, f.body, [...details, `HTTP ${f.status}`, `body: ${bodyMessage(f.body)}`]);
      // Final, or the same answer to both transports: that is the server's word on this stream.
      const sameAnswer = wsFailure?.refusal?.status === f.status && wsFailure.refusal.body === f.body && f.body.trim() !== '';
      if (upgradeRefusalIsFinal(f.status, f.body) || wsFailure === undefined || sameAnswer) throw typed;
      if (mustEndInput) throw noTransportForInput(req, wsFailure.reason, `HTTP ${f.status}`, typed.details);
      throw wsFailure.typed;
    }
    if (f.kind === 'protocol') {
      log(`${req.kind} stream: SPDY upgrade chose protocol "${f.chosen}", not ${PROTOCOL_V4}`);
      if (mustEndInput && wsFailure) throw noTransportForInput(req, wsFailure.reason, `protocol "${f.chosen}"`, details);
      throw wsFailure?.typed ?? new StreamRefusedError(`the API server at ${safeHost(req.server)} answered the SPDY upgrade without the ${PROTOCOL_V4} stream protocol; rerun with -v for details`, { details });
    }
    if (f.kind === 'timeout') {
      const s = Math.round(timeoutMs / 1000);
      throw new TimeoutError(`no answer from the API server at ${safeHost(req.server)} within ${s}s while opening the ${req.kind} stream (SPDY); check the network or raise --request-timeout`, { details });
    }
    throw connectError(req, f.error, details);
  }
  let sock: ChannelSocket;
  // An abort while the streams open ends the connection (the opening then fails, and is dropped).
  const onAbort = (): void => void up.socket.destroy();
  signal?.addEventListener('abort', onAbort, { once: true });
  try {
    sock = await openChannels({ socket: up.socket, channelProtocol: up.protocol, stdin: req.stdin, tty: req.tty, timeoutMs, log });
  } catch (err) {
    if (signal?.aborted) return undefined;
    throw new ConnectionLostError(`the ${req.kind} stream to ${safeHost(req.server)} failed while opening (SPDY: ${(err as Error).message}); check the network and run the command again`, { cause: err, details });
  } finally {
    signal?.removeEventListener('abort', onAbort);
  }
  log(`${req.kind} stream: open, protocol ${sock.protocol}`);
  if (wsFailure) spdyServers.add(req.server);
  return sock;
}

/** Piped input on a server (or proxy) that offers neither v5 nor SPDY: refused before anything ran. */
function noTransportForInput(req: StreamRequest, wsReason: string, spdyReason: string, details: string[]): StreamRefusedError {
  return new StreamRefusedError(
    `the API server at ${safeHost(req.server)} (or a proxy on the way) offers neither the ${PROTOCOL_V5} WebSocket (${wsReason}) nor SPDY/3.1 (${spdyReason}), and on ${PROTOCOL_V4} piped input can never end, so nothing was run; run it from a terminal without piped input, or reach the API server without that proxy`,
    { details },
  );
}
