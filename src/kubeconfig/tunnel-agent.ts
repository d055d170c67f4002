/**
 * A keep-alive agent whose connections go through an HTTP(S) proxy's
 * CONNECT tunnel: one CONNECT per connection, and the connection (TLS to the
 * API server inside the tunnel) is pooled and reused like a direct one. So a
 * run opens as many tunnels as it has parallel connections, not one per
 * request. Used for HTTPS_PROXY/NO_PROXY (proxy-env.ts) and for kubeconfig
 * proxy-url with an http or https scheme, for REST and the WebSocket alike.
 */
import * as https from 'node:https';
import * as net from 'node:net';
import * as tls from 'node:tls';
import type { Duplex } from 'node:stream';
import { ApiError } from '../errors.js';

export interface TunnelAgentOptions extends https.AgentOptions {
  /** The API server speaks TLS (https); false for a plain http server. */
  secure: boolean;
  /** Called once per tunnel opened (for -v). */
  onTunnel?: (line: string) => void;
  /** Cap on waiting for the proxy's answer to CONNECT. */
  connectTimeoutMs?: number;
}

type ConnectCallback = (err: Error | null, socket?: Duplex) => void;

/** What the proxy said, for messages: "HTTP/1.1 403 Forbidden". */
function statusLine(head: string): string {
  return head.split('\r\n')[0] ?? '';
}

export function proxyDisplay(proxy: URL): string {
  return `${proxy.protocol}//${proxy.host}`;
}

export class TunnelAgent extends https.Agent {
  readonly proxy: URL;
  private readonly secure: boolean;
  private readonly onTunnel: ((line: string) => void) | undefined;
  private readonly connectTimeoutMs: number;

  constructor(proxy: URL, opts: TunnelAgentOptions) {
    const { secure, onTunnel, connectTimeoutMs, ...agentOpts } = opts;
    super(agentOpts);
    this.proxy = proxy;
    this.secure = secure;
    this.onTunnel = onTunnel;
    this.connectTimeoutMs = connectTimeoutMs ?? 30_000;
    // Node checks a request's URL scheme against its agent's: a plain http API server needs "http:".
    if (!secure) (this as unknown as { protocol: string }).protocol = 'http:';
  }

  /**
   * Node's Agent calls this for every new pooled connection; returning
   * nothing and calling back later is the documented asynchronous form.
   */
  override createConnection(options: tls.ConnectionOptions & { host?: string; port?: number | string }, callback: ConnectCallback): undefined {
    const host = options.host ?? 'localhost';
    const port = Number(options.port ?? (this.secure ? 443 : 80));
    const authority = `${net.isIPv6(host) ? `[${host}]` : host}:${port}`;
    const proxyPort = Number(this.proxy.port || (this.proxy.protocol === 'https:' ? 443 : 80));
    const proxyHost = this.proxy.hostname.replace(/^\[|\]$/g, '');
    const where = proxyDisplay(this.proxy);
    let done = false;
    const finish = (err: Error | null, s?: Duplex): void => {
      if (done) return;
      done = true;
      clearTimeout(timer);
      callback(err, s);
    };
    const socket: net.Socket =
      this.proxy.protocol === 'https:'
        ? tls.connect({ host: proxyHost, port: proxyPort, ...(net.isIP(proxyHost) ? {} : { servername: proxyHost }) })
        : net.connect(proxyPort, proxyHost);
    const timer = setTimeout(() => {
      socket.destroy();
      finish(new ApiError(`the proxy ${where} did not answer CONNECT ${authority} within ${Math.round(this.connectTimeoutMs / 1000)}s; check the proxy (HTTPS_PROXY or proxy-url)`));
    }, this.connectTimeoutMs);
    socket.once('error', (err: NodeJS.ErrnoException) => {
      finish(
        new ApiError(`cannot reach the proxy ${where} (${err.code ?? err.message}) to connect to ${authority}; check HTTPS_PROXY/NO_PROXY or the cluster's proxy-url`, {
          cause: err,
        }),
      );
    });
    const headers = [`CONNECT ${authority} HTTP/1.1`, `Host: ${authority}`];
    if (this.proxy.username !== '' || this.proxy.password !== '') {
      const user = decodeURIComponent(this.proxy.username);
      const pass = decodeURIComponent(this.proxy.password);
      headers.push(`Proxy-Authorization: Basic ${Buffer.from(`${user}:${pass}`).toString('base64')}`);
    }
    socket.write(`${headers.join('\r\n')}\r\n\r\n`);
    let buf = Buffer.alloc(0);
    const onData = (chunk: Buffer): void => {
      buf = Buffer.concat([buf, chunk]);
      const end = buf.indexOf('\r\n\r\n');
      if (end < 0) {
        if (buf.length > 64 * 1024) {
          socket.destroy();
          finish(new ApiError(`the proxy ${where} sent an oversized answer to CONNECT ${authority}; check the proxy`));
        }
        return;
      }
      socket.removeListener('data', onData);
      const head = buf.subarray(0, end).toString('latin1');
      const rest = buf.subarray(end + 4);
      const status = /^HTTP\/\d(?:\.\d)?\s+(\d{3})/.exec(head)?.[1];
      if (status !== '200') {
        socket.destroy();
        const hint = status === '407' ? 'the proxy wants credentials: put them in the proxy URL (http://user:pass@host:port)' : 'check the proxy and its access rules';
        finish(new ApiError(`the proxy ${where} refused CONNECT ${authority}: ${statusLine(head) || 'no status line'}; ${hint}`));
        return;
      }
      this.onTunnel?.(`proxy: CONNECT ${authority} via ${where}`);
      if (rest.length > 0) socket.unshift(rest);
      if (!this.secure) {
        finish(null, socket);
        return;
      }
      // TLS to the API server inside the tunnel, with the agent's TLS options (CA, client certificate, servername).
      const { host: _h, port: _p, path: _path, ...tlsOpts } = options as tls.ConnectionOptions & { host?: string; port?: unknown; path?: unknown };
      const servername = tlsOpts.servername ?? (net.isIP(host) ? undefined : host);
      const secureSocket = tls.connect({ ...tlsOpts, socket, ...(servername ? { servername } : {}), host });
      // Errors after this point (certificate trust, handshake) surface on the request as usual.
      finish(null, secureSocket);
    };
    socket.on('data', onData);
    // A proxy that hangs up without an answer (no-op once the tunnel is handed over).
    socket.once('close', () => finish(new ApiError(`the proxy ${where} closed the connection without answering CONNECT ${authority}; check the proxy and its access rules`)));
    return undefined;
  }
}
