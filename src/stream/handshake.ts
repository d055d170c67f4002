/**
 * Opens the exec/attach WebSocket (v5 then v4 subprotocol) and turns every
 * way the opening can fail into a typed error with a next step: an HTTP
 * refusal (its Status body quoted), a timeout, a missing subprotocol, a
 * network or TLS error.
 */
import { Agent, type IncomingMessage, type OutgoingHttpHeaders } from 'node:http';
import type { RequestOptions } from 'node:https';
import WebSocket, { type ClientOptions } from 'ws';
import { ApiError, ConfigError, ConnectionLostError, type DebugError, DebugError as DebugErrorClass, ForbiddenError, NotFoundError, StreamRefusedError, TimeoutError } from '../errors.js';
import { connectionError } from '../kubeconfig/transport-errors.js';
import { PROTOCOL_V4, PROTOCOL_V5, buildStreamUrl, describeStreamUrl, type StreamRequest } from './request.js';

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

/**
 * Resolves with the open socket, paused so that nothing is read before the
 * caller has its listeners in place; or with undefined when `signal` aborted
 * the opening. Rejects with a typed error.
 */
export function openStreamSocket(req: StreamRequest, signal?: AbortSignal): Promise<WebSocket | undefined> {
  const log = req.log ?? ((): void => {});
  if (signal?.aborted) return Promise.resolve(undefined);
  return new Promise((resolve, reject) => {
    const url = buildStreamUrl(req);
    const opts = clientOptions(req);
    log(`${req.kind} stream: GET ${describeStreamUrl(req)}`);
    log(`${req.kind} stream: headers ${Object.keys(opts.headers ?? {}).join(', ') || '(none)'} (values not shown)`);
    const details = [`url: ${describeStreamUrl(req)}`];

    const ws = new WebSocket(url, [PROTOCOL_V5, PROTOCOL_V4], opts);
    ws.binaryType = 'nodebuffer';
    let settled = false;
    const finish = (outcome: { ws: WebSocket | undefined } | { err: DebugError }): void => {
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
      finish({ err: connectError(req, err, details) });
    });
    const onRefused = (_creq: unknown, res: IncomingMessage): void => {
      const status = res.statusCode ?? 0;
      void readBody(res, 64 * 1024, 5_000).then((body) => {
        log(`${req.kind} stream: handshake refused with HTTP ${status}: ${bodyMessage(body)}`);
        // terminate() (not creq.destroy()) so ws also finishes its own state machine.
        ws.terminate();
        finish({ err: handshakeError(req, status, body, [...details, `HTTP ${status}`, `body: ${bodyMessage(body)}`]) });
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
