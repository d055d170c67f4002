import { writeFileSync } from 'node:fs';
import type { IncomingMessage } from 'node:http';
import { createServer as createHttpsServer, request as httpsRequest, type Server } from 'node:https';
import type { Duplex } from 'node:stream';
import { connect as tlsConnect } from 'node:tls';
import { credsFor, selfSigned } from './relay-tls.js';

/**
 * A man-in-the-middle in front of the real API server that speaks the exec
 * stream protocols the way an old API server (or a proxy) does:
 *
 * - `v4`: the WebSocket subprotocol `v5.channel.k8s.io` is struck from every
 *   offer; an offer with nothing left is answered `403 Forbidden` with an
 *   empty body, which is what Kubernetes 1.29 (no stream-close translation)
 *   answers through golang.org/x/net/websocket's handshake. SPDY passes.
 * - `v4-no-spdy`: the same, and every SPDY upgrade is refused (400), as by a
 *   proxy that relays only WebSockets.
 * - `no-websocket`: every WebSocket upgrade is refused (400); SPDY passes.
 *
 * Ordinary requests are forwarded as they are (with the user's client
 * certificate, as stream-proxy.ts does). Upgrades that pass are relayed byte
 * for byte over a fresh TLS connection to the API server. `seen` records
 * every upgrade and what the relay or the API server answered.
 */
export type RelayMode = 'v4' | 'v4-no-spdy' | 'no-websocket';

export interface UpgradeSeen {
  upgrade: 'websocket' | 'spdy';
  /** exec or attach. */
  subresource: string;
  /** The client's offer: Sec-WebSocket-Protocol or X-Stream-Protocol-Version values. */
  offered: string;
  /** HTTP status the client got. */
  status: number;
  /** What was negotiated (Sec-WebSocket-Protocol / X-Stream-Protocol-Version of the answer). */
  chosen: string;
}

export interface V4Relay {
  kubeconfig: string;
  seen: UpgradeSeen[];
  close(): Promise<void>;
}

const list = (v: string | string[] | undefined): string[] =>
  (Array.isArray(v) ? v.join(',') : (v ?? ''))
    .split(',')
    .map((p) => p.trim())
    .filter(Boolean);

export async function startV4Relay(mode: RelayMode, context = 'admin'): Promise<V4Relay> {
  const up = credsFor(context);
  const { dir, key, cert } = selfSigned('dd-v4relay-');
  const tls = { key, cert };
  const upstreamTls = { ca: up.ca, cert: up.cert, key: up.key };
  const seen: UpgradeSeen[] = [];
  const sockets = new Set<Duplex>();

  const server: Server = createHttpsServer(tls, (req, res) => {
    const headers = { ...req.headers, host: up.server.host };
    const fwd = httpsRequest({ host: up.server.hostname, port: up.server.port, method: req.method, path: req.url, headers, ...upstreamTls }, (ures) => {
      res.writeHead(ures.statusCode ?? 502, ures.headers);
      ures.pipe(res);
    });
    fwd.on('error', () => res.destroy());
    req.pipe(fwd);
  });
  server.on('connection', (s: Duplex) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  const refuse = (socket: Duplex, record: UpgradeSeen, status: number, body: string): void => {
    record.status = status;
    const text = status === 403 ? 'Forbidden' : 'Bad Request';
    socket.end(`HTTP/1.1 ${status} ${text}\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(body)}\r\nConnection: close\r\n\r\n${body}`);
  };

  server.on('upgrade', (req: IncomingMessage, socket: Duplex, head: Buffer) => {
    socket.on('error', () => socket.destroy());
    const kind = String(req.headers.upgrade ?? '').toLowerCase() === 'websocket' ? 'websocket' : 'spdy';
    const offeredList = kind === 'websocket' ? list(req.headers['sec-websocket-protocol']) : list(req.headers['x-stream-protocol-version']);
    const subresource = /\/pods\/[^/]+\/(\w+)\?/.exec(req.url ?? '')?.[1] ?? '';
    const record: UpgradeSeen = { upgrade: kind, subresource, offered: offeredList.join(', '), status: 0, chosen: '' };
    seen.push(record);
    const raw: Array<[string, string]> = [];
    for (let i = 0; i + 1 < req.rawHeaders.length; i += 2) raw.push([req.rawHeaders[i] as string, req.rawHeaders[i + 1] as string]);
    let headers = raw.map(([k, v]): [string, string] => [k, k.toLowerCase() === 'host' ? up.server.host : v]);
    if (kind === 'websocket') {
      if (mode === 'no-websocket') return refuse(socket, record, 400, 'this proxy does not relay WebSockets');
      const kept = offeredList.filter((p) => p !== 'v5.channel.k8s.io');
      if (kept.length === 0) return refuse(socket, record, 403, '');
      headers = headers.filter(([k]) => k.toLowerCase() !== 'sec-websocket-protocol');
      headers.push(['Sec-WebSocket-Protocol', kept.join(', ')]);
    } else if (mode === 'v4-no-spdy') {
      return refuse(socket, record, 400, 'this proxy does not relay SPDY');
    }
    const upstream = tlsConnect({ host: up.server.hostname, port: Number(up.server.port), ...upstreamTls });
    sockets.add(upstream);
    upstream.on('close', () => sockets.delete(upstream));
    upstream.on('error', () => socket.destroy());
    socket.on('close', () => upstream.destroy());
    upstream.once('secureConnect', () => {
      upstream.write(`${req.method} ${req.url} HTTP/1.1\r\n${headers.map(([k, v]) => `${k}: ${v}\r\n`).join('')}\r\n`);
      if (head.length > 0) upstream.write(head);
      let first = true;
      upstream.on('data', (chunk: Buffer) => {
        if (first) {
          first = false;
          const text = chunk.toString('latin1');
          record.status = Number(/^HTTP\/1\.1 (\d{3})/.exec(text)?.[1] ?? 0);
          record.chosen = /\r\n(?:sec-websocket-protocol|x-stream-protocol-version): *([^\r]*)/i.exec(text)?.[1] ?? '';
        }
        socket.write(chunk);
      });
      upstream.on('end', () => socket.end());
      socket.on('data', (c: Buffer) => upstream.write(c));
      socket.on('end', () => upstream.end());
    });
  });

  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  const kubeconfig = `${dir}/kubeconfig`;
  const b64 = (x: Buffer) => x.toString('base64');
  writeFileSync(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters:
- name: relay
  cluster:
    server: https://127.0.0.1:${port}
    insecure-skip-tls-verify: true
users:
- name: u
  user:
    client-certificate-data: ${b64(up.cert)}
    client-key-data: ${b64(up.key)}
contexts:
- name: relay
  context: {cluster: relay, user: u}
current-context: relay
`,
    { mode: 0o600 },
  );

  return {
    kubeconfig,
    seen,
    async close() {
      for (const s of sockets) s.destroy();
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}
