/**
 * What the channel pump (pump.ts) needs from an open exec/attach stream,
 * whatever carries it: a WebSocket speaking v5/v4.channel.k8s.io, or a
 * SPDY/3.1 connection (spdy/channel-socket.ts) whose streams are mapped onto
 * the same channel-framed messages. Both speak in channel frames
 * (frames.ts): one channel byte, then the payload.
 */
import { EventEmitter } from 'node:events';
import type { RawData } from 'ws';
import WebSocket from './ws.js';
import { PROTOCOL_V5 } from './request.js';

export interface ChannelSocketEvents {
  /** One channel frame from the server (channel byte + payload). */
  message: [frame: Buffer];
  pong: [];
  /** 1000: the server ended the stream cleanly; 1006: the connection broke. */
  close: [code: number, reason: string];
  error: [err: Error];
}

export interface ChannelSocket {
  /** What was negotiated, for -v and the result: `v5.channel.k8s.io`, `v4.channel.k8s.io`, `SPDY/3.1+v4.channel.k8s.io`. */
  readonly protocol: string;
  readonly transport: 'websocket' | 'spdy';
  /** The server can be told that stdin ended (v5's close frame, SPDY's FIN); v4 WebSocket cannot. */
  readonly canCloseStdin: boolean;
  readonly isOpen: boolean;
  /** Bytes queued locally, not yet handed to the network. */
  readonly bufferedAmount: number;
  readonly isPaused: boolean;
  /** Sends one channel frame; `[255, 0]` (frames.ts encodeCloseStdin) ends stdin where canCloseStdin. */
  send(frame: Buffer, cb?: (err?: Error) => void): void;
  ping(): void;
  /** Stops delivering messages (and reading from the network) until resume(). */
  pause(): void;
  resume(): void;
  close(code: number, reason: string): void;
  terminate(): void;
  on<E extends keyof ChannelSocketEvents>(event: E, listener: (...args: ChannelSocketEvents[E]) => void): this;
  off<E extends keyof ChannelSocketEvents>(event: E, listener: (...args: ChannelSocketEvents[E]) => void): this;
}

/** A ws WebSocket seen as a ChannelSocket. */
class WebSocketChannel extends EventEmitter<ChannelSocketEvents> implements ChannelSocket {
  readonly transport = 'websocket';
  readonly protocol: string;
  readonly canCloseStdin: boolean;

  constructor(private readonly ws: WebSocket) {
    super();
    this.protocol = ws.protocol;
    this.canCloseStdin = ws.protocol === PROTOCOL_V5;
    ws.on('message', (raw: RawData) => {
      const buf = Buffer.isBuffer(raw) ? raw : Array.isArray(raw) ? Buffer.concat(raw) : Buffer.from(raw);
      this.emit('message', buf);
    });
    ws.on('pong', () => this.emit('pong'));
    ws.on('close', (code: number, reason: Buffer) => this.emit('close', code, reason.toString('utf8')));
    // openStreamSocket keeps its own 'error' listener on ws for the socket's
    // lifetime; here errors are passed on only to whoever listens.
    ws.on('error', (err: Error) => {
      if (this.listenerCount('error') > 0) this.emit('error', err);
    });
  }

  get isOpen(): boolean {
    return this.ws.readyState === WebSocket.OPEN;
  }

  get bufferedAmount(): number {
    return this.ws.bufferedAmount;
  }

  get isPaused(): boolean {
    return this.ws.isPaused;
  }

  send(frame: Buffer, cb?: (err?: Error) => void): void {
    if (this.isOpen) this.ws.send(frame, { binary: true }, cb);
  }

  ping(): void {
    this.ws.ping();
  }

  pause(): void {
    this.ws.pause();
  }

  resume(): void {
    this.ws.resume();
  }

  close(code: number, reason: string): void {
    this.ws.close(code, reason);
  }

  terminate(): void {
    this.ws.terminate();
  }
}

export function webSocketChannel(ws: WebSocket): ChannelSocket {
  return new WebSocketChannel(ws);
}
