/**
 * A scriptable HTTPS server standing in for the API server in unit tests of
 * the REST client and the debugger wait: each request goes to the test's
 * handler, which can answer, stream watch lines, hang, or break the socket.
 * The certificate is made with openssl once per process.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync } from 'node:fs';
import * as https from 'node:https';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ClusterConnection } from '../../../src/kubeconfig/load.js';

let material: { key: string; cert: string } | undefined;

function tlsMaterial(): { key: string; cert: string } {
  if (material) return material;
  const dir = mkdtempSync(join(tmpdir(), 'fake-apiserver-'));
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'rsa:2048', '-nodes', '-keyout', join(dir, 'key.pem'), '-out', join(dir, 'cert.pem'), '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'],
    { stdio: 'ignore' },
  );
  material = { key: readFileSync(join(dir, 'key.pem'), 'utf8'), cert: readFileSync(join(dir, 'cert.pem'), 'utf8') };
  return material;
}

export interface Seen {
  method: string;
  path: string;
  query: URLSearchParams;
}

export type Handler = (req: IncomingMessage, res: ServerResponse, seen: Seen) => void;

export class FakeApiServer {
  readonly seen: Seen[] = [];
  private readonly sockets = new Set<Socket>();
  /** The TCP sockets under the TLS ones: only these can send a RST. */
  private readonly raw = new Set<Socket>();
  private server!: https.Server;
  port = 0;

  constructor(public handler: Handler) {}

  /** Listens on `port` (0: any free port; the same port again to come back after stop()). */
  async start(port = 0): Promise<this> {
    this.server = https.createServer(tlsMaterial(), (req, res) => {
      const url = new URL(req.url ?? '/', 'https://x');
      const seen = { method: req.method ?? '', path: url.pathname, query: url.searchParams };
      this.seen.push(seen);
      this.handler(req, res, seen);
    });
    this.server.on('connection', (s: Socket) => {
      this.raw.add(s);
      s.on('close', () => this.raw.delete(s));
    });
    this.server.on('secureConnection', (s: Socket) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r) => this.server.listen(port, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
    return this;
  }

  /** Destroys every open connection (what a cut link does). */
  cut(): void {
    for (const s of this.sockets) s.destroy();
  }

  /** Resets every open connection (RST), as a firewall does. */
  reset(): void {
    for (const s of this.raw) s.resetAndDestroy();
  }

  async stop(): Promise<void> {
    this.cut();
    await new Promise<void>((r) => this.server.close(() => r()));
  }

  connection(requestTimeoutMs?: number): ClusterConnection {
    const { cert } = tlsMaterial();
    const agent = new https.Agent({ keepAlive: true, ca: cert });
    return {
      server: `https://127.0.0.1:${this.port}`,
      namespace: 'ns',
      contextName: 'test',
      clusterName: 'test',
      userName: 'test',
      requestTimeoutMs,
      requestOptions: () => Promise.resolve({ ca: cert, agent }),
    };
  }
}

/** Writes one watch event line. */
export function event(res: ServerResponse, type: string, object: unknown): void {
  res.write(`${JSON.stringify({ type, object })}\n`);
}
