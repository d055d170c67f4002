/**
 * Kubernetes' remote command protocol (v4.channel.k8s.io) over SPDY, seen as
 * the ChannelSocket the pump drives: the client opens one SPDY stream per
 * channel, named by its `streamtype` header (error, stdin, stdout, stderr,
 * resize), in kubectl's order. Data on stdout/stderr becomes channel 1/2
 * frames; the error stream's metav1.Status becomes one channel 3 frame;
 * channel 0 frames go to the stdin stream, channel 4 (resize JSON) to the
 * resize stream, and the close frame `[255, 0]` half-closes stdin (FIN),
 * which is what the WebSocket v4 protocol cannot say.
 */
import { EventEmitter } from 'node:events';
import type { Socket } from 'node:net';
import type { Duplex } from 'node:stream';
import { Channel } from '../frames.js';
import type { ChannelSocket, ChannelSocketEvents } from '../socket.js';
import { SpdySession, type SpdyStream } from './session.js';

export type StreamType = 'error' | 'stdin' | 'stdout' | 'stderr' | 'resize';

/** Which streams a request needs, in the order kubectl creates them. */
export function streamTypes(opts: { stdin: boolean; tty: boolean }): StreamType[] {
  const types: StreamType[] = ['error'];
  if (opts.stdin) types.push('stdin');
  types.push('stdout');
  if (!opts.tty) types.push('stderr');
  if (opts.tty) types.push('resize');
  return types;
}

type Queued = { [E in keyof ChannelSocketEvents]: { event: E; args: ChannelSocketEvents[E] } }[keyof ChannelSocketEvents];

export class SpdyChannelSocket extends EventEmitter<ChannelSocketEvents> implements ChannelSocket {
  readonly transport = 'spdy';
  readonly canCloseStdin = true;
  readonly protocol: string;
  private readonly queued: Queued[] = [];
  private paused = true;
  private statusParts: Buffer[] = [];
  private statusSent = false;
  private closeSent = false;

  constructor(
    private readonly session: SpdySession,
    private readonly streams: Map<StreamType, SpdyStream>,
    channelProtocol: string,
  ) {
    super();
    this.protocol = `SPDY/3.1+${channelProtocol}`;
    const out = (type: StreamType, channel: number): void => {
      const s = streams.get(type);
      if (!s) return;
      s.onData = (d) => this.deliver({ event: 'message', args: [Buffer.concat([Buffer.from([channel]), d])] });
    };
    out('stdout', Channel.stdout);
    out('stderr', Channel.stderr);
    const err = streams.get('error');
    if (err) {
      err.onData = (d) => this.statusParts.push(d);
      err.onEnd = () => {
        this.flushStatus();
        this.endIfDone();
      };
    }
    for (const type of ['stdout', 'stderr'] as const) {
      const s = streams.get(type);
      if (s) s.onEnd = () => this.endIfDone();
    }
    session.onPong = () => this.deliver({ event: 'pong', args: [] });
    session.onClose = ({ clean, error }) => {
      // The status may come without its stream's FIN: the connection's end closes it.
      this.flushStatus();
      if (error && this.listenerCount('error') > 0) this.emit('error', error);
      this.sendClose(clean ? 1000 : 1006, error?.message ?? '');
    };
  }

  /**
   * The session is over once the server has finished its error, stdout and
   * stderr streams, as kubectl reads it, even if it keeps the connection open
   * (a v1.29 kubelet does after an attach): then we close it.
   */
  private endIfDone(): void {
    for (const type of ['error', 'stdout', 'stderr'] as const) {
      const s = this.streams.get(type);
      if (s && !s.remoteEnded) return;
    }
    this.sendClose(1000, 'streams ended');
    this.session.close();
    setTimeout(() => this.session.destroy(), 1_000).unref();
  }

  private sendClose(code: number, reason: string): void {
    if (this.closeSent) return;
    this.closeSent = true;
    this.deliver({ event: 'close', args: [code, reason] });
  }

  get isOpen(): boolean {
    return this.session.isOpen;
  }

  get bufferedAmount(): number {
    return this.session.bufferedAmount;
  }

  get isPaused(): boolean {
    return this.paused;
  }

  send(frame: Buffer, cb?: (err?: Error) => void): void {
    const channel = frame[0];
    const data = frame.subarray(1);
    if (channel === Channel.stdin) {
      const s = this.streams.get('stdin');
      if (s) s.write(data, cb);
      else cb?.();
      return;
    }
    if (channel === Channel.resize) {
      const s = this.streams.get('resize');
      // kubectl writes one JSON document per size, newline-terminated.
      if (s) s.write(Buffer.concat([data, Buffer.from('\n')]), cb);
      else cb?.();
      return;
    }
    if (channel === Channel.close && data[0] === Channel.stdin) {
      const s = this.streams.get('stdin');
      if (s) s.end(cb);
      else cb?.();
      return;
    }
    cb?.();
  }

  ping(): void {
    if (this.isOpen) this.session.ping();
  }

  pause(): void {
    this.paused = true;
    this.session.pause();
  }

  resume(): void {
    this.paused = false;
    // Events that arrived while paused (or before anyone listened) go first.
    while (!this.paused && this.queued.length > 0) this.emitQueued(this.queued.shift() as Queued);
    if (!this.paused) this.session.resume();
  }

  close(_code: number, _reason: string): void {
    this.session.close();
    // A server that never closes its side must not keep us waiting.
    setTimeout(() => this.session.destroy(), 1_000).unref();
  }

  terminate(): void {
    this.session.destroy();
  }

  private flushStatus(): void {
    if (this.statusSent || this.statusParts.length === 0) return;
    this.statusSent = true;
    this.deliver({ event: 'message', args: [Buffer.concat([Buffer.from([Channel.status]), ...this.statusParts])] });
  }

  private deliver(q: Queued): void {
    if (this.paused || this.queued.length > 0) this.queued.push(q);
    else this.emitQueued(q);
  }

  private emitQueued(q: Queued): void {
    // The union is correlated by construction; TypeScript cannot see it through emit's overloads.
    (this.emit as (event: string, ...args: unknown[]) => boolean)(q.event, ...q.args);
  }
}

export class SpdyStreamsRefused extends Error {
  override name = 'SpdyStreamsRefused';
}

/**
 * Opens the channel streams on an upgraded connection and waits for the
 * server to accept each (SYN_REPLY). Resolves with the socket, paused.
 */
export function openChannels(input: {
  socket: Duplex;
  channelProtocol: string;
  stdin: boolean;
  tty: boolean;
  timeoutMs: number;
  log?: (line: string) => void;
}): Promise<SpdyChannelSocket> {
  const log = input.log ?? ((): void => {});
  (input.socket as Partial<Socket>).setNoDelay?.(true);
  const session = new SpdySession(input.socket, log);
  session.pause();
  const streams = new Map<StreamType, SpdyStream>();
  return new Promise<SpdyChannelSocket>((resolve, reject) => {
    let waiting = 0;
    let settled = false;
    const fail = (why: string): void => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      session.destroy();
      reject(new SpdyStreamsRefused(why));
    };
    const timer = setTimeout(() => fail(`no reply to the stream requests within ${Math.round(input.timeoutMs / 1000)}s`), input.timeoutMs);
    session.onClose = ({ error }) => fail(`the connection closed while opening streams${error ? ` (${error.message})` : ''}`);
    for (const type of streamTypes(input)) {
      const s = session.createStream([['streamtype', type]]);
      streams.set(type, s);
      waiting++;
      s.onReply = () => {
        waiting--;
        if (waiting > 0 || settled) return;
        settled = true;
        clearTimeout(timer);
        session.onClose = undefined;
        for (const st of streams.values()) st.onReset = undefined;
        resolve(new SpdyChannelSocket(session, streams, input.channelProtocol));
      };
      s.onReset = (status) => fail(`the server reset the ${type} stream (status ${status})`);
    }
    log(`spdy: opened streams ${[...streams.keys()].join(', ')}`);
    // Replies are read with the session running; the socket pauses again once open.
    session.resume();
  }).then((sock) => {
    sock.pause();
    return sock;
  });
}
