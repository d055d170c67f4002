import { writeFileSync } from 'node:fs';
import { createServer as createHttpsServer, request as httpsRequest, type Server } from 'node:https';
import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import WebSocket, { WebSocketServer } from 'ws';
import { credsFor, selfSigned } from './relay-tls.js';

/**
 * A man-in-the-middle in front of the real API server, for faults a TCP
 * relay cannot make: it terminates TLS (the test kubeconfig skips
 * verification), forwards every request with the same user's client
 * certificate, relays exec/attach WebSockets frame by frame, and on demand
 * ends the relayed streams: `clean` sends the plugin a normal close (1000)
 * with no status frame, `cut` drops the TCP connection (1006).
 */
export interface StreamProxy {
  kubeconfig: string;
  /** Streams currently relayed. */
  streams(): number;
  end(how: 'clean' | 'cut'): void;
  close(): Promise<void>;
}

export async function startStreamProxy(context: string): Promise<StreamProxy> {
  const up = credsFor(context);
  const { dir, key, cert } = selfSigned('dd-proxy-');
  const tls = { key, cert };
  const upstreamTls = { ca: up.ca, cert: up.cert, key: up.key };
  const pairs = new Set<{ down: WebSocket; up: WebSocket }>();
  const sockets = new Set<Socket>();

  const server: Server = createHttpsServer(tls, (req, res) => {
    const headers = { ...req.headers, host: up.server.host };
    const fwd = httpsRequest({ host: up.server.hostname, port: up.server.port, method: req.method, path: req.url, headers, ...upstreamTls }, (ures) => {
      res.writeHead(ures.statusCode ?? 502, ures.headers);
      ures.pipe(res);
    });
    fwd.on('error', () => res.destroy());
    req.pipe(fwd);
  });
  server.on('connection', (s: Socket) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });

  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: false });
  server.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    const offered = String(req.headers['sec-websocket-protocol'] ?? '')
      .split(',')
      .map((p) => p.trim())
      .filter(Boolean);
    const upstream = new WebSocket(`wss://${up.server.host}${req.url ?? '/'}`, offered, { ...upstreamTls, perMessageDeflate: false });
    upstream.on('error', () => socket.destroy());
    upstream.on('unexpected-response', (_r, ures) => {
      const chunks: Buffer[] = [];
      ures.on('data', (c: Buffer) => chunks.push(c));
      ures.on('end', () => {
        const body = Buffer.concat(chunks);
        socket.end(`HTTP/1.1 ${ures.statusCode} Refused\r\nContent-Type: application/json\r\nContent-Length: ${body.length}\r\n\r\n${body.toString()}`);
      });
    });
    upstream.once('open', () => {
      const chosen = upstream.protocol;
      const handler = new WebSocketServer({ noServer: true, perMessageDeflate: false, handleProtocols: () => chosen || false });
      handler.handleUpgrade(req, socket, head, (down) => {
        const pair = { down, up: upstream };
        pairs.add(pair);
        down.on('message', (d, binary) => upstream.readyState === WebSocket.OPEN && upstream.send(d, { binary }));
        upstream.on('message', (d, binary) => down.readyState === WebSocket.OPEN && down.send(d, { binary }));
        const closeCode = (c: number) => (c === 1005 || c === 1006 ? 1000 : c);
        upstream.on('close', (c) => {
          pairs.delete(pair);
          if (down.readyState === WebSocket.OPEN) down.close(closeCode(c));
        });
        down.on('close', () => {
          pairs.delete(pair);
          upstream.terminate();
        });
        down.on('error', () => upstream.terminate());
      });
    });
  });
  void wss;
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;

  const kubeconfig = `${dir}/kubeconfig`;
  const b64 = (x: Buffer) => x.toString('base64');
  writeFileSync(
    kubeconfig,
    `apiVersion: v1
kind: Config
clusters:
- name: proxy
  cluster:
    server: https://127.0.0.1:${port}
    insecure-skip-tls-verify: true
users:
- name: u
  user:
    client-certificate-data: ${b64(up.cert)}
    client-key-data: ${b64(up.key)}
contexts:
- name: proxy
  context: {cluster: proxy, user: u}
current-context: proxy
`,
  );

  return {
    kubeconfig,
    streams: () => pairs.size,
    end(how) {
      for (const pair of [...pairs]) {
        pairs.delete(pair);
        pair.up.removeAllListeners('message');
        pair.up.terminate();
        if (how === 'clean') pair.down.close(1000);
        else pair.down.terminate();
      }
    },
    async close() {
      for (const pair of pairs) {
        pair.down.terminate();
        pair.up.terminate();
      }
      for (const s of sockets) s.destroy();
      await new Promise((r) => server.close(r));
    },
  };
}
