import { formatDuration } from '../duration.js';
import { parseWarnings } from './warnings.js';
import { ConnectionLostError } from '../errors.js';
import https from 'node:https';
import type { IncomingMessage } from 'node:http';
import { TimeoutError } from '../errors.js';
import type { ClusterConnection } from '../kubeconfig/load.js';
import { connectionError, impersonationError, unauthorizedError } from '../kubeconfig/transport-errors.js';

/** A Kubernetes `Status` body, as the API server sends with errors. */
export interface ApiStatus {
  kind?: string;
  status?: string;
  message?: string;
  reason?: string;
  code?: number;
  details?: { name?: string; kind?: string; group?: string; causes?: Array<{ reason?: string; message?: string; field?: string }> };
}

/** A non-2xx answer. Callers turn it into a DebugError that fits the call. */
export class KubeStatusError extends Error {
  constructor(
    readonly statusCode: number,
    readonly status: ApiStatus,
    readonly method: string,
    readonly path: string,
  ) {
    super(status.message ?? `${method} ${path}: HTTP ${statusCode}`);
  }
}

export interface RequestInit {
  body?: unknown;
  contentType?: string;
  query?: Record<string, string | undefined>;
  /**
   * A tighter bound for this one call (e.g. what is left of --timeout); the
   * smaller of this and --request-timeout applies.
   */
  timeoutMs?: number;
  /** Accept header, when not plain JSON (e.g. a server-side Table for completion). */
  accept?: string;
}

/**
 * Without --request-timeout a request that gets no byte back for this long
 * is treated as lost, so a black-holed server cannot hang a run forever
 * (client-go's HTTP/2 health check gives up after 30 s + 15 s). Watches are
 * exempt: they are quiet by nature and bounded by their callers.
 */
export const SILENT_CONNECTION_MS = 30_000;

/** Errors that mean the server was never reached: nothing was sent. */
const UNREACHABLE = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL', 'EHOSTDOWN', 'ENETDOWN']);
/** Errors that mean an established connection broke. */
const LOST = new Set(['ECONNRESET', 'EPIPE', 'ECONNABORTED', 'ETIMEDOUT']);

export type Logger = (line: string) => void;

/**
 * The plugin's only door to the API server: JSON over HTTPS with the
 * kubeconfig's TLS, credentials and proxy. Kept thin on purpose: no generated
 * client, so the exact requests are visible with -v and cheap to start.
 */
export class KubeClient {
  constructor(
    readonly conn: ClusterConnection,
    private readonly log: Logger = () => {},
    /** The API server's warnings (Warning headers), each answer's in turn. */
    private readonly warn: (texts: string[]) => void = () => {},
  ) {}

  url(path: string, query?: Record<string, string | undefined>): URL {
    const u = new URL(this.conn.server + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, v);
    return u;
  }

  async request<T>(method: string, path: string, init: RequestInit = {}): Promise<T> {
    const { res, text } = await this.exchange(method, path, init);
    const code = res.statusCode ?? 0;
    // 401: the credentials, not the request, are wrong (exit 65 with a next step).
    if (code === 401) throw unauthorizedError(this.conn, new KubeStatusError(code, parseStatus(text, code), method, path));
    if (code < 200 || code > 299) {
      const err = new KubeStatusError(code, parseStatus(text, code), method, path);
      throw (code === 403 && impersonationError(err.status.message ?? '', err)) || err;
    }
    return (text ? JSON.parse(text) : {}) as T;
  }

  /** A GET whose answer is text, not JSON (a container's log). */
  async getText(path: string, query?: Record<string, string | undefined>, timeoutMs = 5000): Promise<string> {
    const { res, text } = await this.exchange('GET', path, { ...(query ? { query } : {}), timeoutMs });
    const code = res.statusCode ?? 0;
    if (code < 200 || code > 299) throw new KubeStatusError(code, parseStatus(text, code), 'GET', path);
    return text;
  }

  get<T>(path: string, query?: Record<string, string | undefined>, timeoutMs?: number): Promise<T> {
    return this.request<T>('GET', path, { ...(query ? { query } : {}), ...(timeoutMs !== undefined ? { timeoutMs } : {}) });
  }

  /** host:port of the API server, for messages. */
  get host(): string {
    try {
      return new URL(this.conn.server).host;
    } catch {
      return this.conn.server;
    }
  }

  /**
   * Streams a watch, one parsed event at a time, until `onEvent` returns true
   * ('done'), the server ends the watch ('ended'), no byte arrives for
   * `idleMs` ('idle': the connection may be dead, or the object just quiet),
   * or `signal` aborts ('ended'). `onOpen`: the server answered. A connection
   * that breaks, or gives no answer within `idleMs`, rejects with
   * ConnectionLostError; a line that is not JSON ends the watch ('ended'), so
   * the caller re-reads the object instead of trusting a broken stream.
   */
  async watch<E>(
    path: string,
    query: Record<string, string | undefined>,
    onEvent: (e: E) => boolean,
    signal: AbortSignal,
    opts: { idleMs?: number; onOpen?: () => void } = {},
  ): Promise<'done' | 'ended' | 'idle'> {
    const { idleMs } = opts;
    const res = await this.send('GET', path, { query: { ...query, watch: '1' } }, signal, idleMs);
    opts.onOpen?.();
    const code = res.statusCode ?? 0;
    if (code !== 200) {
      throw new KubeStatusError(code, parseStatus(await readBody(res), code), 'WATCH', path);
    }
    return new Promise((resolve, reject) => {
      let buf = '';
      let finished = false;
      let idle: NodeJS.Timeout | undefined;
      const arm = () => {
        if (idleMs === undefined) return;
        clearTimeout(idle);
        idle = setTimeout(() => finish('idle'), idleMs);
      };
      const finish = (how: 'done' | 'ended' | 'idle' | Error) => {
        if (finished) return;
        finished = true;
        clearTimeout(idle);
        signal.removeEventListener('abort', onAbort);
        res.destroy();
        if (how instanceof Error) reject(how);
        else resolve(how);
      };
      const onAbort = () => finish('ended');
      if (signal.aborted) return finish('ended');
      signal.addEventListener('abort', onAbort, { once: true });
      arm();
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        if (finished) return;
        arm();
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (!line) continue;
          let event: E;
          try {
            event = JSON.parse(line) as E;
          } catch {
            this.log(`WATCH ${path}: a line that is not JSON (${line.length} bytes); re-reading`);
            return finish('ended');
          }
          // A throwing callback must not escape from an event handler (an uncaught exception).
          try {
            if (onEvent(event)) return finish('done');
          } catch (err) {
            return finish(err instanceof Error ? err : new Error(String(err)));
          }
        }
      });
      res.on('end', () => finish('ended'));
      res.on('error', (err: NodeJS.ErrnoException) => finish(signal.aborted ? 'ended' : this.lost('WATCH', path, err)));
      // 'close' without 'end': the connection went away mid-stream.
      res.on('close', () => finish(signal.aborted || res.complete ? 'ended' : this.lost('WATCH', path, new Error('the connection closed mid-stream'))));
    });
  }

  /** A broken established connection, as the typed error users see. */
  private lost(method: string, path: string, err: NodeJS.ErrnoException): ConnectionLostError {
    return new ConnectionLostError(
      `lost the connection to the API server at ${this.host} during ${method} ${path} (${err.code ?? err.message}); check the network (VPN, proxy) and run the command again`,
      { cause: err },
    );
  }

  /** A request and its whole answer, under one deadline. */
  private async exchange(method: string, path: string, init: RequestInit): Promise<{ res: IncomingMessage; text: string }> {
    const bound = minDefined(this.conn.requestTimeoutMs, init.timeoutMs);
    const abort = new AbortController();
    let timedOut = false;
    const timer =
      bound === undefined
        ? undefined
        : setTimeout(() => {
            timedOut = true;
            abort.abort();
          }, bound);
    const timeoutError = () => {
      const s = formatDuration(bound ?? 0);
      return this.conn.requestTimeoutMs !== undefined && bound === this.conn.requestTimeoutMs
        ? new TimeoutError(`the API server at ${this.host} did not answer ${method} ${path} within ${s} (--request-timeout); check the network or raise --request-timeout`)
        : new TimeoutError(`the API server at ${this.host} did not answer ${method} ${path} within ${s}; check the network and run the command again`);
    };
    try {
      const res = await this.send(method, path, init, abort.signal, bound === undefined ? SILENT_CONNECTION_MS : undefined);
      const text = await readBody(res).catch((err: NodeJS.ErrnoException) => {
        throw timedOut ? timeoutError() : this.lost(method, path, err);
      });
      return { res, text };
    } catch (err) {
      if (timedOut) throw timeoutError();
      throw err;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Sends one request and resolves with the response head. `silentMs`: no
   * byte either way on the socket for that long counts as a lost connection.
   */
  private async send(method: string, path: string, init: RequestInit, signal?: AbortSignal, silentMs?: number): Promise<IncomingMessage> {
    const opts = await this.conn.requestOptions();
    const url = this.url(path, init.query);
    const body = init.body === undefined ? undefined : JSON.stringify(init.body);
    const headers: Record<string, string> = { ...(opts.headers as Record<string, string>), Accept: 'application/json' };
    if (init.accept !== undefined) headers['Accept'] = init.accept;
    if (body !== undefined) {
      headers['Content-Type'] = init.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    const started = performance.now();
    const where = `${method === 'GET' && init.query?.watch === '1' ? 'WATCH' : method} ${path}`;
    return new Promise((resolve, reject) => {
      if (signal?.aborted) return reject(abortError());
      // Our own timer, not req.setTimeout: over TLS Node arms the socket's idle
      // timer only once connected, and it fires after twice the time asked.
      let silence: NodeJS.Timeout | undefined;
      const req = https.request(url, { ...opts, method, headers, ...(signal ? { signal } : {}) }, (res) => {
        clearTimeout(silence);
        this.log(`${method} ${url.pathname}${url.search} -> ${res.statusCode} (${Math.round(performance.now() - started)} ms)`);
        const warnings = parseWarnings(res.headers.warning);
        if (warnings.length > 0) this.warn(warnings);
        resolve(res);
      });
      if (silentMs !== undefined) {
        silence = setTimeout(
          () =>
            req.destroy(
              new ConnectionLostError(
                `no answer from the API server at ${this.host} for ${formatDuration(silentMs)} during ${where}; check that the cluster is up and the network (VPN, proxy) lets you reach it, then run the command again (--request-timeout sets a shorter limit)`,
              ),
            ),
          silentMs,
        );
        req.once('close', () => clearTimeout(silence));
      }
      req.on('error', (err: NodeJS.ErrnoException) => {
        // An established connection that broke (or went silent) is a lost connection (75), not an unreachable server.
        if (err instanceof ConnectionLostError) return reject(err);
        if (err.code !== undefined && LOST.has(err.code) && !UNREACHABLE.has(err.code)) return reject(this.lost(method, path, err));
        if (err instanceof TimeoutError || err.name === 'AbortError') return reject(err);
        reject(connectionError(this.conn, err));
      });
      req.end(body);
    });
  }
}

function abortError(): Error {
  const err = new Error('the request was aborted');
  err.name = 'AbortError';
  return err;
}

function minDefined(a: number | undefined, b: number | undefined): number | undefined {
  if (a === undefined) return b;
  if (b === undefined) return a;
  return Math.min(a, b);
}

/** 1500 -> "1.5s", 10000 -> "10s", 50 -> "0.05s": never rounded to a misleading "0s". */
function readBody(res: IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')));
    res.on('error', reject);
  });
}

function parseStatus(text: string, code: number): ApiStatus {
  try {
    const s = JSON.parse(text) as ApiStatus;
    if (s && typeof s === 'object') return s;
  } catch {
    // not JSON: keep the text below
  }
  return { code, message: text.trim() || `HTTP ${code}` };
}
