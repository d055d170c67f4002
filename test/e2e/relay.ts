import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { connect, createServer, type Server, type Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { apiServer, KUBECONFIG } from './helpers.js';

/**
 * A TCP relay between the plugin and the API server that a test controls, to
 * play the faults a real network has:
 *
 * - `cut()`: every open connection is closed (FIN), as when a proxy or NAT
 *   drops its state; new connections still work.
 * - `reset()`: every open connection is reset (RST), as a firewall does.
 * - `blackhole()`: nothing is forwarded either way and nothing is closed, as
 *   when a link or VPN goes dark; new connections are accepted but get no
 *   answer. `restore()` delivers what was held and resumes, as TCP does when
 *   the link comes back within its retransmission time.
 * - `refuse()`: the relay stops listening: new connections are refused
 *   (ECONNREFUSED), as when the API server is down. `restore()` listens again
 *   on the same port.
 *
 * The relay speaks no TLS: the plugin's TLS session runs end to end with the
 * real API server, whose certificate covers 127.0.0.1.
 */
export class Relay {
  /** Every connection the relay accepted, over its lifetime. */
  accepted = 0;
  private server: Server | undefined;
  private readonly pairs = new Set<Pair>();
  private held = false;

  private constructor(
    readonly port: number,
    private readonly upstreamHost: string,
    private readonly upstreamPort: number,
  ) {}

  /** Starts listening on a free loopback port in front of host:port (the local API server by default). */
  static async start(upstreamPort = Number(apiServer().port), upstreamHost = apiServer().hostname): Promise<Relay> {
    const probe = createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', r));
    const port = (probe.address() as { port: number }).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const relay = new Relay(port, upstreamHost, upstreamPort);
    await relay.listen();
    return relay;
  }

  get url(): string {
    return `https://127.0.0.1:${this.port}`;
  }

  /** Open connections right now. */
  get open(): number {
    return this.pairs.size;
  }

  /**
   * A copy of the test cluster's kubeconfig whose server is this relay (the
   * kubectl way to point a client elsewhere), in a fresh directory.
   */
  kubeconfig(source = KUBECONFIG): string {
    const dir = mkdtempSync(`${tmpdir()}/dd-relay-`);
    const file = `${dir}/kubeconfig`;
    const text = readFileSync(source, 'utf8');
    const server = apiServer().origin;
    if (!text.includes(server)) throw new Error(`${source} does not name ${server}`);
    writeFileSync(file, text.replaceAll(server, this.url), { mode: 0o600 });
    return file;
  }

  cut(): void {
    for (const p of [...this.pairs]) p.end((s) => s.destroy());
  }

  reset(): void {
    for (const p of [...this.pairs]) p.end((s) => s.resetAndDestroy());
  }

  blackhole(): void {
    this.held = true;
    for (const p of this.pairs) p.hold();
  }

  refuse(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    this.cut();
    return new Promise((r) => (server ? server.close(() => r()) : r()));
  }

  /** Ends a black-hole (held bytes are delivered) or a refusal (listens again). */
  async restore(): Promise<void> {
    this.held = false;
    for (const p of this.pairs) p.release();
    if (!this.server) await this.listen();
  }

  async close(): Promise<void> {
    await this.refuse();
  }

  private listen(): Promise<void> {
    const server = createServer((client) => {
      this.accepted++;
      const pair = new Pair(client, connect(this.upstreamPort, this.upstreamHost), () => this.pairs.delete(pair));
      this.pairs.add(pair);
      if (this.held) pair.hold();
    });
    this.server = server;
    return new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => {
        server.off('error', reject);
        resolve();
      });
    });
  }
}

/** One client connection and its upstream, forwarding by hand so it can hold bytes. */
class Pair {
  private holding = false;
  private readonly queued: Array<[Socket, Buffer]> = [];
  private closed = false;
  /** A side closed while held: passed on once released. */
  private closeWhenReleased = false;

  constructor(
    private readonly client: Socket,
    private readonly upstream: Socket,
    private readonly onClose: () => void,
  ) {
    this.forward(client, upstream);
    this.forward(upstream, client);
  }

  hold(): void {
    this.holding = true;
  }

  release(): void {
    this.holding = false;
    for (const [to, data] of this.queued.splice(0)) if (!to.destroyed) to.write(data);
    if (this.closeWhenReleased) this.end((s) => s.end());
  }

  end(how: (s: Socket) => void): void {
    if (this.closed) return;
    this.closed = true;
    this.queued.length = 0;
    how(this.client);
    how(this.upstream);
    this.onClose();
  }

  private forward(from: Socket, to: Socket): void {
    from.on('data', (data: Buffer) => {
      if (this.holding) this.queued.push([to, data]);
      else if (!to.destroyed) to.write(data);
    });
    // A real link going dark passes nothing on, closes included.
    const closed = (): void => {
      if (this.holding) this.closeWhenReleased = true;
      else this.end((s) => s.destroy());
    };
    from.on('end', closed);
    from.on('error', closed);
    from.on('close', closed);
  }
}
