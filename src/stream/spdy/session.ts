/**
 * The client side of a SPDY/3.1 session over an upgraded HTTP connection:
 * streams we open (odd IDs), their replies, data both ways with flow
 * control, resets, settings, pings and GOAWAY. Knows nothing of Kubernetes.
 *
 * Flow control is kept with a peer that shows it keeps it (a SETTINGS
 * initial window or any WINDOW_UPDATE): its send windows are honoured and
 * ours are replenished (WINDOW_UPDATE per stream and, as in 3.1, for the
 * session) as data is taken. The Kubernetes peers (kubelet, API server, both
 * on moby/spdystream) do neither and never enforce a window: honouring a
 * 64 KiB window they never reopen would stall stdin for good, and window
 * updates they no longer read once a command ended make their close a TCP
 * reset, which drops the tail of the output still on its way to us.
 */
import type { Duplex } from 'node:stream';
import {
  Flag,
  type Frame,
  FrameParser,
  RstStatus,
  Setting,
  encodeData,
  encodeGoAway,
  encodePing,
  encodeRstStream,
  encodeSynStream,
  encodeWindowUpdate,
} from './frames.js';
import { HeaderCompressor, HeaderDecompressor, type HeaderList, decodeHeaderBlock, encodeHeaderBlock } from './headers.js';

export const DEFAULT_WINDOW = 64 * 1024;
/** Data frames we send are cut to this size, so one stream cannot hog the connection. */
const MAX_DATA_FRAME = 32 * 1024;

interface Outgoing {
  data: Buffer;
  fin: boolean;
  cb: ((err?: Error) => void) | undefined;
}

export class SpdyStream {
  replied = false;
  remoteEnded = false;
  localEnded = false;
  closed = false;
  sendWindow: number;
  /** Bytes delivered since the last WINDOW_UPDATE we sent. */
  unacked = 0;
  readonly queue: Outgoing[] = [];
  onReply: ((headers: Array<[string, string]>) => void) | undefined;
  onData: ((data: Buffer) => void) | undefined;
  /** The peer finished its side (FIN). */
  onEnd: (() => void) | undefined;
  onReset: ((status: number) => void) | undefined;

  constructor(
    readonly id: number,
    private readonly session: SpdySession,
    window: number,
  ) {
    this.sendWindow = window;
  }

  write(data: Buffer, cb?: (err?: Error) => void): void {
    this.session.queueData(this, data, false, cb);
  }

  /** Half-closes our side: an empty DATA frame with FIN. */
  end(cb?: (err?: Error) => void): void {
    if (this.localEnded) {
      cb?.();
      return;
    }
    this.session.queueData(this, Buffer.alloc(0), true, cb);
  }
}

export interface SessionCloseInfo {
  /** The peer ended the connection in order (TCP FIN) and nothing failed. */
  clean: boolean;
  error: Error | undefined;
}

export class SpdySession {
  private readonly parser = new FrameParser();
  private readonly compressor = new HeaderCompressor();
  private readonly decompressor = new HeaderDecompressor();
  private readonly streams = new Map<number, SpdyStream>();
  private nextStreamId = 1;
  private nextPingId = 1;
  private peerInitialWindow = DEFAULT_WINDOW;
  private sessionSendWindow = DEFAULT_WINDOW;
  private sessionUnacked = 0;
  /** The peer has shown it keeps flow-control windows: honour theirs, replenish ours. */
  private flowControl = false;
  private paused = false;
  private error: Error | undefined;
  private peerEnded = false;
  private closedLocally = false;
  private finished = false;
  goneAway = false;

  onPong: (() => void) | undefined;
  onGoAway: ((status: number) => void) | undefined;
  onClose: ((info: SessionCloseInfo) => void) | undefined;

  constructor(
    private readonly socket: Duplex,
    private readonly log: (line: string) => void = () => {},
  ) {
    socket.on('data', (chunk: Buffer) => this.receive(chunk));
    socket.on('end', () => {
      this.peerEnded = true;
      // Our side is done too once the peer is: let the socket close.
      socket.end();
    });
    socket.on('error', (err: Error) => {
      this.error ??= err;
    });
    socket.on('close', () => this.finish());
  }

  get isOpen(): boolean {
    return !this.finished && !this.closedLocally && !this.socket.destroyed && this.socket.writable;
  }

  /** Bytes waiting: in the socket's buffer and held back by flow control. */
  get bufferedAmount(): number {
    let queued = 0;
    for (const s of this.streams.values()) for (const o of s.queue) queued += o.data.length;
    return this.socket.writableLength + queued;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  pause(): void {
    this.paused = true;
    this.socket.pause();
  }

  resume(): void {
    this.paused = false;
    this.socket.resume();
  }

  createStream(headers: HeaderList, opts: { fin?: boolean; priority?: number } = {}): SpdyStream {
    const id = this.nextStreamId;
    this.nextStreamId += 2;
    const stream = new SpdyStream(id, this, this.peerInitialWindow);
    if (opts.fin === true) stream.localEnded = true;
    this.streams.set(id, stream);
    const block = this.compressor.compress(encodeHeaderBlock(headers));
    this.write(encodeSynStream(id, block, { flags: opts.fin === true ? Flag.fin : 0, priority: opts.priority ?? 0 }));
    return stream;
  }

  ping(): void {
    const id = this.nextPingId;
    this.nextPingId = this.nextPingId >= 0x7ffffffd ? 1 : this.nextPingId + 2;
    this.write(encodePing(id));
  }

  /** Ends the session in order: GOAWAY, then our half of the connection. */
  close(): void {
    if (this.closedLocally || this.finished) return;
    this.closedLocally = true;
    this.write(encodeGoAway(0, 0));
    this.socket.end();
  }

  destroy(err?: Error): void {
    if (err) this.error ??= err;
    this.socket.destroy();
  }

  /** stream.write/end land here. */
  queueData(stream: SpdyStream, data: Buffer, fin: boolean, cb?: (err?: Error) => void): void {
    if (stream.localEnded || stream.closed || !this.isOpen) {
      cb?.(new Error(`SPDY stream ${stream.id} is closed for writing`));
      return;
    }
    if (fin) stream.localEnded = true;
    stream.queue.push({ data, fin, cb });
    this.flush(stream);
  }

  private write(frame: Buffer, cb?: (err?: Error) => void): void {
    if (this.socket.destroyed || !this.socket.writable) {
      cb?.(new Error('the SPDY connection is closed'));
      return;
    }
    this.socket.write(frame, cb ? (err?: Error | null) => cb(err ?? undefined) : undefined);
  }

  private flush(stream: SpdyStream): void {
    while (stream.queue.length > 0) {
      const head = stream.queue[0] as Outgoing;
      let n = Math.min(head.data.length, MAX_DATA_FRAME);
      if (this.flowControl && n > 0) {
        n = Math.min(n, stream.sendWindow, this.sessionSendWindow);
        if (n <= 0) return; // wait for WINDOW_UPDATE
      }
      const chunk = head.data.subarray(0, n);
      const last = n === head.data.length;
      if (this.flowControl) {
        stream.sendWindow -= n;
        this.sessionSendWindow -= n;
      }
      if (last) stream.queue.shift();
      else head.data = head.data.subarray(n);
      this.write(encodeData(stream.id, chunk, last && head.fin ? Flag.fin : 0), last ? head.cb : undefined);
    }
  }

  private receive(chunk: Buffer): void {
    let frames: Frame[];
    try {
      frames = this.parser.push(chunk);
    } catch (err) {
      this.protocolError(err as Error);
      return;
    }
    for (const f of frames) {
      try {
        this.handle(f);
      } catch (err) {
        this.protocolError(err as Error);
        return;
      }
    }
  }

  private protocolError(err: Error): void {
    this.log(`spdy: protocol error: ${err.message}`);
    this.error ??= err;
    this.write(encodeGoAway(0, 1));
    this.socket.destroy();
  }

  private handle(f: Frame): void {
    switch (f.type) {
      case 'data': {
        const s = this.streams.get(f.streamId);
        this.sessionUnacked += f.data.length;
        if (!s || s.closed || s.remoteEnded) {
          if (!s) this.write(encodeRstStream(f.streamId, RstStatus.invalidStream));
        } else {
          if (f.data.length > 0) {
            s.unacked += f.data.length;
            s.onData?.(f.data);
            if (this.flowControl && s.unacked >= DEFAULT_WINDOW / 2 && (f.flags & Flag.fin) === 0) {
              this.write(encodeWindowUpdate(s.id, s.unacked));
              s.unacked = 0;
            }
          }
          if (f.flags & Flag.fin) this.remoteEnd(s);
        }
        if (this.flowControl && this.sessionUnacked >= DEFAULT_WINDOW / 2) {
          this.write(encodeWindowUpdate(0, this.sessionUnacked));
          this.sessionUnacked = 0;
        }
        return;
      }
      case 'synReply': {
        // Inflate even for a stream we no longer know: the zlib stream is shared.
        const headers = decodeHeaderBlock(this.decompressor.decompress(f.headerBlock));
        const s = this.streams.get(f.streamId);
        if (!s || s.replied) return;
        s.replied = true;
        s.onReply?.(headers);
        if (f.flags & Flag.fin) this.remoteEnd(s);
        return;
      }
      case 'headers': {
        this.decompressor.decompress(f.headerBlock);
        const s = this.streams.get(f.streamId);
        if (s && f.flags & Flag.fin) this.remoteEnd(s);
        return;
      }
      case 'synStream':
        // The server pushing a stream: not part of exec/attach.
        this.decompressor.decompress(f.headerBlock);
        this.write(encodeRstStream(f.streamId, RstStatus.refusedStream));
        return;
      case 'rstStream': {
        const s = this.streams.get(f.streamId);
        if (!s) return;
        s.closed = true;
        this.streams.delete(s.id);
        for (const o of s.queue.splice(0)) o.cb?.(new Error(`SPDY stream ${s.id} was reset`));
        s.onReset?.(f.status);
        return;
      }
      case 'settings':
        for (const e of f.entries) {
          if (e.id !== Setting.initialWindowSize) continue;
          const delta = e.value - this.peerInitialWindow;
          this.peerInitialWindow = e.value;
          this.flowControl = true;
          for (const s of this.streams.values()) s.sendWindow += delta;
        }
        for (const s of this.streams.values()) this.flush(s);
        return;
      case 'windowUpdate': {
        this.flowControl = true;
        if (f.streamId === 0) this.sessionSendWindow += f.delta;
        else {
          const s = this.streams.get(f.streamId);
          if (s) s.sendWindow += f.delta;
        }
        for (const s of this.streams.values()) this.flush(s);
        return;
      }
      case 'ping':
        // Odd IDs are ours (client): the answer. Even ones are the server's: echo.
        if (f.id % 2 === 1) this.onPong?.();
        else this.write(encodePing(f.id));
        return;
      case 'goAway':
        this.goneAway = true;
        this.log(`spdy: GOAWAY from the server (status ${f.status})`);
        this.onGoAway?.(f.status);
        return;
      case 'unknown':
        this.log(`spdy: ignoring control frame type ${f.controlType}`);
        return;
    }
  }

  private remoteEnd(s: SpdyStream): void {
    if (s.remoteEnded) return;
    s.remoteEnded = true;
    s.onEnd?.();
    if (s.localEnded && s.queue.length === 0) this.streams.delete(s.id);
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    for (const s of this.streams.values()) {
      for (const o of s.queue.splice(0)) o.cb?.(new Error('the SPDY connection closed'));
    }
    this.onClose?.({ clean: this.error === undefined && (this.peerEnded || this.closedLocally), error: this.error });
  }
}
