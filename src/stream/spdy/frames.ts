/**
 * SPDY/3.1 framing (the frames a Kubernetes exec/attach client needs). Pure:
 * no I/O. Header blocks are passed compressed; headers.ts (de)compresses them.
 *
 * Control frame: 1 bit C=1, 15-bit version (3), 16-bit type, 8-bit flags,
 * 24-bit length, payload. Data frame: 1 bit C=0, 31-bit stream ID, 8-bit
 * flags, 24-bit length, payload.
 */

export const SPDY_VERSION = 3;

export const FrameType = {
  synStream: 1,
  synReply: 2,
  rstStream: 3,
  settings: 4,
  ping: 6,
  goAway: 7,
  headers: 8,
  windowUpdate: 9,
} as const;

export const Flag = { fin: 0x01, unidirectional: 0x02 } as const;

/** RST_STREAM status codes. */
export const RstStatus = {
  protocolError: 1,
  invalidStream: 2,
  refusedStream: 3,
  cancel: 5,
  internalError: 6,
  flowControlError: 7,
  streamInUse: 8,
  streamAlreadyClosed: 9,
  frameTooLarge: 11,
} as const;

export const Setting = { initialWindowSize: 7 } as const;

/** The largest payload a 24-bit length can say. */
export const MAX_FRAME_PAYLOAD = 0xffffff;

export type Frame =
  | { type: 'data'; streamId: number; flags: number; data: Buffer }
  | { type: 'synStream'; streamId: number; associatedId: number; priority: number; flags: number; headerBlock: Buffer }
  | { type: 'synReply'; streamId: number; flags: number; headerBlock: Buffer }
  | { type: 'rstStream'; streamId: number; status: number }
  | { type: 'settings'; flags: number; entries: Array<{ flags: number; id: number; value: number }> }
  | { type: 'ping'; id: number }
  | { type: 'goAway'; lastGoodStreamId: number; status: number }
  | { type: 'headers'; streamId: number; flags: number; headerBlock: Buffer }
  | { type: 'windowUpdate'; streamId: number; delta: number }
  | { type: 'unknown'; controlType: number; flags: number; payload: Buffer };

function control(type: number, flags: number, payload: Buffer): Buffer {
  if (payload.length > MAX_FRAME_PAYLOAD) throw new RangeError(`SPDY frame payload too large: ${payload.length}`);
  const out = Buffer.alloc(8 + payload.length);
  out.writeUInt16BE(0x8000 | SPDY_VERSION, 0);
  out.writeUInt16BE(type, 2);
  out.writeUInt32BE(((flags & 0xff) << 24) | payload.length, 4);
  payload.copy(out, 8);
  return out;
}

const id31 = (n: number): number => n & 0x7fffffff;

export function encodeData(streamId: number, data: Buffer, flags = 0): Buffer {
  if (data.length > MAX_FRAME_PAYLOAD) throw new RangeError(`SPDY frame payload too large: ${data.length}`);
  const out = Buffer.alloc(8 + data.length);
  out.writeUInt32BE(id31(streamId), 0);
  out.writeUInt32BE((((flags & 0xff) << 24) | data.length) >>> 0, 4);
  data.copy(out, 8);
  return out;
}

export function encodeSynStream(streamId: number, headerBlock: Buffer, opts: { flags?: number; priority?: number; associatedId?: number } = {}): Buffer {
  const p = Buffer.alloc(10);
  p.writeUInt32BE(id31(streamId), 0);
  p.writeUInt32BE(id31(opts.associatedId ?? 0), 4);
  p[8] = ((opts.priority ?? 0) & 0x7) << 5;
  p[9] = 0; // slot
  return control(FrameType.synStream, opts.flags ?? 0, Buffer.concat([p, headerBlock]));
}

export function encodeSynReply(streamId: number, headerBlock: Buffer, flags = 0): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(id31(streamId), 0);
  return control(FrameType.synReply, flags, Buffer.concat([p, headerBlock]));
}

export function encodeRstStream(streamId: number, status: number): Buffer {
  const p = Buffer.alloc(8);
  p.writeUInt32BE(id31(streamId), 0);
  p.writeUInt32BE(status, 4);
  return control(FrameType.rstStream, 0, p);
}

export function encodeSettings(entries: Array<{ id: number; value: number; flags?: number }>, flags = 0): Buffer {
  const p = Buffer.alloc(4 + 8 * entries.length);
  p.writeUInt32BE(entries.length, 0);
  entries.forEach((e, i) => {
    p.writeUInt32BE(((((e.flags ?? 0) & 0xff) << 24) | (e.id & 0xffffff)) >>> 0, 4 + 8 * i);
    p.writeUInt32BE(e.value >>> 0, 8 + 8 * i);
  });
  return control(FrameType.settings, flags, p);
}

export function encodePing(id: number): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(id >>> 0, 0);
  return control(FrameType.ping, 0, p);
}

export function encodeGoAway(lastGoodStreamId: number, status = 0): Buffer {
  const p = Buffer.alloc(8);
  p.writeUInt32BE(id31(lastGoodStreamId), 0);
  p.writeUInt32BE(status, 4);
  return control(FrameType.goAway, 0, p);
}

export function encodeHeaders(streamId: number, headerBlock: Buffer, flags = 0): Buffer {
  const p = Buffer.alloc(4);
  p.writeUInt32BE(id31(streamId), 0);
  return control(FrameType.headers, flags, Buffer.concat([p, headerBlock]));
}

export function encodeWindowUpdate(streamId: number, delta: number): Buffer {
  const p = Buffer.alloc(8);
  p.writeUInt32BE(id31(streamId), 0);
  p.writeUInt32BE(id31(delta), 4);
  return control(FrameType.windowUpdate, 0, p);
}

export class SpdyFrameError extends Error {
  override name = 'SpdyFrameError';
}

function need(payload: Buffer, n: number, what: string): void {
  if (payload.length < n) throw new SpdyFrameError(`${what} frame too short (${payload.length} bytes)`);
}

function decodeControl(type: number, flags: number, payload: Buffer): Frame {
  switch (type) {
    case FrameType.synStream:
      need(payload, 10, 'SYN_STREAM');
      return {
        type: 'synStream',
        streamId: id31(payload.readUInt32BE(0)),
        associatedId: id31(payload.readUInt32BE(4)),
        priority: (payload[8] ?? 0) >> 5,
        flags,
        headerBlock: payload.subarray(10),
      };
    case FrameType.synReply:
      need(payload, 4, 'SYN_REPLY');
      return { type: 'synReply', streamId: id31(payload.readUInt32BE(0)), flags, headerBlock: payload.subarray(4) };
    case FrameType.rstStream:
      need(payload, 8, 'RST_STREAM');
      return { type: 'rstStream', streamId: id31(payload.readUInt32BE(0)), status: payload.readUInt32BE(4) };
    case FrameType.settings: {
      need(payload, 4, 'SETTINGS');
      const n = payload.readUInt32BE(0);
      need(payload, 4 + 8 * n, 'SETTINGS');
      const entries: Array<{ flags: number; id: number; value: number }> = [];
      for (let i = 0; i < n; i++) {
        const fi = payload.readUInt32BE(4 + 8 * i);
        entries.push({ flags: fi >>> 24, id: fi & 0xffffff, value: payload.readUInt32BE(8 + 8 * i) });
      }
      return { type: 'settings', flags, entries };
    }
    case FrameType.ping:
      need(payload, 4, 'PING');
      return { type: 'ping', id: payload.readUInt32BE(0) };
    case FrameType.goAway:
      need(payload, 4, 'GOAWAY');
      // SPDY/2 peers send no status: read it only when present.
      return { type: 'goAway', lastGoodStreamId: id31(payload.readUInt32BE(0)), status: payload.length >= 8 ? payload.readUInt32BE(4) : 0 };
    case FrameType.headers:
      need(payload, 4, 'HEADERS');
      return { type: 'headers', streamId: id31(payload.readUInt32BE(0)), flags, headerBlock: payload.subarray(4) };
    case FrameType.windowUpdate:
      need(payload, 8, 'WINDOW_UPDATE');
      return { type: 'windowUpdate', streamId: id31(payload.readUInt32BE(0)), delta: id31(payload.readUInt32BE(4)) };
    default:
      return { type: 'unknown', controlType: type, flags, payload };
  }
}

/**
 * Splits a byte stream into frames. push() returns every frame completed by
 * the new bytes; a partial frame waits for the rest.
 */
export class FrameParser {
  private pending: Buffer = Buffer.alloc(0);

  constructor(private readonly maxPayload = MAX_FRAME_PAYLOAD) {}

  push(chunk: Buffer): Frame[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const frames: Frame[] = [];
    let at = 0;
    while (this.pending.length - at >= 8) {
      const w0 = this.pending.readUInt32BE(at);
      const w1 = this.pending.readUInt32BE(at + 4);
      const flags = w1 >>> 24;
      const length = w1 & 0xffffff;
      if (length > this.maxPayload) throw new SpdyFrameError(`frame of ${length} bytes exceeds the ${this.maxPayload}-byte limit`);
      if (this.pending.length - at < 8 + length) break;
      // Copy: the frame outlives the read buffer (data is handed to writers).
      const payload = Buffer.from(this.pending.subarray(at + 8, at + 8 + length));
      at += 8 + length;
      if (w0 & 0x80000000) {
        const version = (w0 >>> 16) & 0x7fff;
        if (version !== SPDY_VERSION) throw new SpdyFrameError(`unsupported SPDY version ${version}`);
        frames.push(decodeControl(w0 & 0xffff, flags, payload));
      } else {
        frames.push({ type: 'data', streamId: w0 & 0x7fffffff, flags, data: payload });
      }
    }
    this.pending = at === this.pending.length ? Buffer.alloc(0) : this.pending.subarray(at);
    return frames;
  }
}
