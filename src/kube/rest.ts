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
}

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
  ) {}

  url(path: string, query?: Record<string, string | undefined>): URL {
    const u = new URL(this.conn.server + path);
    for (const [k, v] of Object.entries(query ?? {})) if (v !== undefined) u.searchParams.set(k, v);
    return u;
  }

  async request<T>(method: string, path: string, init: RequestInit = {}): Promise<T> {
    const res = await this.send(method, path, init);
    const text = await readBody(res);
    const code = res.statusCode ?? 0;
    // 401: the credentials, not the request, are wrong (exit 65 with a next step).
    if (code === 401) throw unauthorizedError(this.conn, new KubeStatusError(code, parseStatus(text, code), method, path));
    if (code < 200 || code > 299) {
      const err = new KubeStatusError(code, parseStatus(text, code), method, path);
      throw (code === 403 && impersonationError(err.status.message ?? '', err)) || err;
    }
    return (text ? JSON.parse(text) : {}) as T;
  }

  get<T>(path: string, query?: Record<string, string | undefined>): Promise<T> {
    return this.request<T>('GET', path, query ? { query } : {});
  }

  /**
   * Streams a watch, one parsed event at a time, until `onEvent` returns true,
   * the server ends the watch, or `signal` aborts.
   */
  async watch<E>(path: string, query: Record<string, string | undefined>, onEvent: (e: E) => boolean, signal: AbortSignal): Promise<'done' | 'ended'> {
    const res = await this.send('GET', path, { query: { ...query, watch: '1' } }, signal);
    const code = res.statusCode ?? 0;
    if (code !== 200) {
      throw new KubeStatusError(code, parseStatus(await readBody(res), code), 'WATCH', path);
    }
    return new Promise((resolve, reject) => {
      let buf = '';
      const stop = (how: 'done' | 'ended') => {
        res.destroy();
        resolve(how);
      };
      signal.addEventListener('abort', () => stop('ended'), { once: true });
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        buf += chunk;
        let nl: number;
        while ((nl = buf.indexOf('\n')) >= 0) {
          const line = buf.slice(0, nl).trim();
          buf = buf.slice(nl + 1);
          if (line && onEvent(JSON.parse(line) as E)) return stop('done');
        }
      });
      res.on('end', () => resolve('ended'));
      res.on('error', (err) => (signal.aborted ? resolve('ended') : reject(err)));
    });
  }

  private async send(method: string, path: string, init: RequestInit, signal?: AbortSignal): Promise<IncomingMessage> {
    const opts = await this.conn.requestOptions();
    const url = this.url(path, init.query);
    const body = init.body === undefined ? undefined : JSON.stringify(init.body);
    const headers: Record<string, string> = { ...(opts.headers as Record<string, string>), Accept: 'application/json' };
    if (body !== undefined) {
      headers['Content-Type'] = init.contentType ?? 'application/json';
      headers['Content-Length'] = String(Buffer.byteLength(body));
    }
    const started = performance.now();
    const watching = init.query?.watch === '1';
    return new Promise((resolve, reject) => {
      const req = https.request(url, { ...opts, method, headers, ...(signal ? { signal } : {}) }, (res) => {
        this.log(`${method} ${url.pathname}${url.search} -> ${res.statusCode} (${Math.round(performance.now() - started)} ms)`);
        resolve(res);
      });
      const timeout = this.conn.requestTimeoutMs;
      if (timeout !== undefined && !watching) {
        req.setTimeout(timeout, () => req.destroy(new TimeoutError(`the API server did not answer ${method} ${url.pathname} within --request-timeout`)));
      }
      req.on('error', (err: NodeJS.ErrnoException) => {
        if (err instanceof TimeoutError || err.name === 'AbortError') return reject(err);
        reject(connectionError(this.conn, err));
      });
      req.end(body);
    });
  }
}

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
