import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo, Socket } from 'node:net';
import { constants, createDeflate, createInflate, type Deflate, type Inflate } from 'node:zlib';
import { SPDY3_DICTIONARY } from '../../../src/stream/spdy/dictionary.js';
import {
  type Frame,
  FrameParser,
  encodeData,
  encodePing,
  encodeRstStream,
  encodeSettings,
  encodeSynReply,
  encodeWindowUpdate,
} from '../../../src/stream/spdy/frames.js';

/**
 * A tiny SPDY/3 exec server for unit tests, in the role of the kubelet
 * behind the API server. Header blocks go through node's own streaming zlib
 * (deflate with the SPDY dictionary and sync flushes, inflate likewise), not
 * through the client's header code, so the two are checked against each
 * other. WebSocket upgrades are answered as configured (a v4-only 1.29
 * server answers a v5-only offer 403 with no body).
 */
export interface FakeSpdyConn {
  /** streamtype → stream ID, in the order the client opened them. */
  streams: Map<string, number>;
  /** Frames received, decoded (header blocks as inflated name/value pairs). */
  frames: Frame[];
  stdin: Buffer[];
  resizes: string[];
  stdinEnded: boolean;
  send(type: 'stdout' | 'stderr' | 'error', data: string | Buffer, fin?: boolean): void;
  raw(frame: Buffer): void;
  /** Ends the connection (TCP FIN). */
  end(): void;
  destroy(): void;
}

export interface FakeSpdyOptions {
  /** How WebSocket upgrades are answered. */
  websocket?: { status: number; body: string };
  /** Refuse the SPDY upgrade with this status/body. */
  refuseSpdy?: { status: number; body: string };
  /** Send SETTINGS_INITIAL_WINDOW_SIZE right after the upgrade. */
  initialWindow?: number;
  /** Answer the client's pings (default true). */
  answerPings?: boolean;
  /** Do not reply to this stream type (the reply is withheld; RST if 'reset'). */
  withhold?: { type: string; reset?: boolean };
  /** Called once every stream the request needs has been opened. */
  onReady?: (conn: FakeSpdyConn) => void;
  onStdin?: (conn: FakeSpdyConn, data: Buffer) => void;
  onStdinEnd?: (conn: FakeSpdyConn) => void;
  onFrame?: (conn: FakeSpdyConn, f: Frame) => void;
}

export interface FakeSpdyServer {
  server: string;
  upgrades: Array<{ kind: 'websocket' | 'spdy'; method: string; url: string; headers: IncomingMessage['headers'] }>;
  conns: FakeSpdyConn[];
  close(): Promise<void>;
}

function pairs(block: Buffer): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let at = 4;
  const n = block.readUInt32BE(0);
  for (let i = 0; i < n; i++) {
    const nl = block.readUInt32BE(at);
    const name = block.toString('utf8', at + 4, at + 4 + nl);
    at += 4 + nl;
    const vl = block.readUInt32BE(at);
    out.push([name, block.toString('utf8', at + 4, at + 4 + vl)]);
    at += 4 + vl;
  }
  return out;
}

function plainBlock(headers: Array<[string, string]>): Buffer {
  const parts: Buffer[] = [];
  const u32 = (n: number) => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  parts.push(u32(headers.length));
  for (const [k, v] of headers) parts.push(u32(Buffer.byteLength(k)), Buffer.from(k), u32(Buffer.byteLength(v)), Buffer.from(v));
  return Buffer.concat(parts);
}

/** One zlib stream, fed a block at a time, each block's output collected after a sync flush. */
function zstep(z: Deflate | Inflate, input: Buffer): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    const onData = (c: Buffer) => chunks.push(c);
    z.on('data', onData);
    z.once('error', reject);
    z.write(input);
    z.flush(constants.Z_SYNC_FLUSH, () => {
      z.removeListener('data', onData);
      z.removeListener('error', reject);
      resolve(Buffer.concat(chunks));
    });
  });
}

export async function fakeSpdyServer(opts: FakeSpdyOptions = {}): Promise<FakeSpdyServer> {
  const upgrades: FakeSpdyServer['upgrades'] = [];
  const conns: FakeSpdyConn[] = [];
  const sockets = new Set<Socket>();
  const http: Server = createServer((_req, res) => {
    res.writeHead(404).end();
  });
  http.on('upgrade', (req: IncomingMessage, socket: Socket, head: Buffer) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    const kind = String(req.headers.upgrade).toLowerCase() === 'websocket' ? 'websocket' : 'spdy';
    upgrades.push({ kind, method: req.method ?? '', url: req.url ?? '', headers: req.headers });
    const refuse = (r: { status: number; body: string }) =>
      socket.end(`HTTP/1.1 ${r.status} Nope\r\nContent-Type: text/plain\r\nContent-Length: ${Buffer.byteLength(r.body)}\r\n\r\n${r.body}`);
    if (kind === 'websocket') return refuse(opts.websocket ?? { status: 403, body: '' });
    if (opts.refuseSpdy) return refuse(opts.refuseSpdy);
    socket.write('HTTP/1.1 101 Switching Protocols\r\nConnection: Upgrade\r\nUpgrade: SPDY/3.1\r\nX-Stream-Protocol-Version: v4.channel.k8s.io\r\n\r\n');
    const url = new URL(req.url ?? '/', 'http://x');
    const tty = url.searchParams.get('tty') === 'true';
    const needed = 2 + Number(url.searchParams.get('stdin') === 'true') + Number(url.searchParams.get('stderr') === 'true') + Number(tty);
    const inflate = createInflate({ dictionary: SPDY3_DICTIONARY });
    const deflate = createDeflate({ dictionary: SPDY3_DICTIONARY });
    const parser = new FrameParser();
    let chain = Promise.resolve();
    let ready = false;
    const conn: FakeSpdyConn = {
      streams: new Map(),
      frames: [],
      stdin: [],
      resizes: [],
      stdinEnded: false,
      send(type, data, fin = false) {
        const id = conn.streams.get(type);
        if (id === undefined) throw new Error(`no ${type} stream`);
        chain = chain.then(() => {
          if (!socket.destroyed) socket.write(encodeData(id, Buffer.from(data), fin ? 1 : 0));
        });
      },
      raw(frame) {
        chain = chain.then(() => {
          if (!socket.destroyed) socket.write(frame);
        });
      },
      end() {
        chain = chain.then(() => {
          socket.end();
        });
      },
      destroy() {
        socket.destroy();
      },
    };
    conns.push(conn);
    if (opts.initialWindow !== undefined) socket.write(encodeSettings([{ id: 7, value: opts.initialWindow }]));
    const handle = async (f: Frame): Promise<void> => {
      if (f.type === 'synStream') {
        const headers = pairs(await zstep(inflate, f.headerBlock));
        conn.frames.push({ ...f, headerBlock: plainBlock(headers) });
        const type = headers.find(([k]) => k === 'streamtype')?.[1] ?? '?';
        conn.streams.set(type, f.streamId);
        if (opts.withhold?.type === type) {
          if (opts.withhold.reset) socket.write(encodeRstStream(f.streamId, 3));
          return;
        }
        const block = await zstep(deflate, plainBlock([]));
        socket.write(encodeSynReply(f.streamId, block));
        if (!ready && conn.streams.size === needed) {
          ready = true;
          opts.onReady?.(conn);
        }
        return;
      }
      conn.frames.push(f);
      opts.onFrame?.(conn, f);
      if (f.type === 'ping' && opts.answerPings !== false) socket.write(encodePing(f.id));
      if (f.type === 'data') {
        if (f.streamId === conn.streams.get('stdin')) {
          if (f.data.length > 0) {
            conn.stdin.push(f.data);
            opts.onStdin?.(conn, f.data);
          }
          if (f.flags & 1) {
            conn.stdinEnded = true;
            opts.onStdinEnd?.(conn);
          }
        }
        if (f.streamId === conn.streams.get('resize') && f.data.length > 0) conn.resizes.push(f.data.toString());
      }
    };
    const onData = (chunk: Buffer) => {
      for (const f of parser.push(chunk)) chain = chain.then(() => handle(f));
    };
    socket.on('data', onData);
    socket.on('error', () => socket.destroy());
    if (head.length > 0) onData(head);
  });
  await new Promise<void>((r) => http.listen(0, '127.0.0.1', r));
  const { port } = http.address() as AddressInfo;
  return {
    server: `http://127.0.0.1:${port}`,
    upgrades,
    conns,
    async close() {
      for (const s of sockets) s.destroy();
      http.closeAllConnections();
      await new Promise((r) => http.close(r));
    },
  };
}

export { encodeWindowUpdate };

/** metav1.Status for a non-zero exit, as the kubelet writes it on the error stream (v4). */
export function exitStatusJSON(code: number): string {
  return JSON.stringify({
    metadata: {},
    status: 'Failure',
    message: `command terminated with non-zero exit code: exit code ${code}`,
    reason: 'NonZeroExitCode',
    details: { causes: [{ reason: 'ExitCode', message: String(code) }] },
  });
}
