/**
 * SPDY/3 name/value header blocks: the plain encoding (a 32-bit count, then
 * length-prefixed names and values, names lowercase, several values of one
 * name joined by NUL) and the zlib stream every header block of a direction
 * is part of (one stream per connection and direction, preset dictionary).
 */
import { constants, inflateSync } from 'node:zlib';
import { SPDY3_DICTIONARY, adler32 } from './dictionary.js';

export type HeaderList = ReadonlyArray<readonly [name: string, value: string]>;

export class SpdyProtocolError extends Error {
  override name = 'SpdyProtocolError';
}

export function encodeHeaderBlock(headers: HeaderList): Buffer {
  const parts: Buffer[] = [];
  const u32 = (n: number): Buffer => {
    const b = Buffer.alloc(4);
    b.writeUInt32BE(n);
    return b;
  };
  parts.push(u32(headers.length));
  for (const [name, value] of headers) {
    const n = Buffer.from(name.toLowerCase(), 'utf8');
    const v = Buffer.from(value, 'utf8');
    parts.push(u32(n.length), n, u32(v.length), v);
  }
  return Buffer.concat(parts);
}

export function decodeHeaderBlock(block: Buffer): Array<[string, string]> {
  const out: Array<[string, string]> = [];
  let at = 0;
  const u32 = (): number => {
    if (at + 4 > block.length) throw new SpdyProtocolError('truncated header block');
    const n = block.readUInt32BE(at);
    at += 4;
    return n;
  };
  const bytes = (n: number): string => {
    if (at + n > block.length) throw new SpdyProtocolError('truncated header block');
    const s = block.toString('utf8', at, at + n);
    at += n;
    return s;
  };
  const count = u32();
  for (let i = 0; i < count; i++) {
    const name = bytes(u32());
    const value = bytes(u32());
    if (name === '') throw new SpdyProtocolError('empty header name');
    for (const v of value.split('\0')) out.push([name, v]);
  }
  return out;
}

/**
 * Our direction's zlib stream. Header blocks are a few hundred bytes a
 * session, so they go out as stored (uncompressed) deflate blocks: valid
 * zlib that any SPDY peer inflates, produced synchronously and
 * deterministically (no zlib state to keep in step with the frame order).
 * The zlib header still names the SPDY dictionary, as the draft asks.
 */
const SYNC_FLUSH = Buffer.from([0x00, 0x00, 0x00, 0xff, 0xff]);

export class HeaderCompressor {
  private started = false;

  compress(plain: Buffer): Buffer {
    const parts: Buffer[] = [];
    if (!this.started) {
      this.started = true;
      // CMF 0x78 (deflate, 32 KiB window); FLG 0x20: FDICT set, and
      // (0x78 * 256 + 0x20) % 31 === 0, so no check bits are needed.
      const head = Buffer.alloc(6);
      head[0] = 0x78;
      head[1] = 0x20;
      head.writeUInt32BE(adler32(SPDY3_DICTIONARY), 2);
      parts.push(head);
    }
    // Each block starts byte-aligned: BFINAL 0, BTYPE 00, then LEN, ~LEN (little-endian).
    let at = 0;
    do {
      const chunk = plain.subarray(at, at + 0xffff);
      const h = Buffer.alloc(5);
      h.writeUInt16LE(chunk.length, 1);
      h.writeUInt16LE(~chunk.length & 0xffff, 3);
      parts.push(h, chunk);
      at += 0xffff;
    } while (at < plain.length);
    // End with an empty stored block, as zlib's sync flush does: inflaters
    // (Go's among them) hand out a stored block's bytes only when the next
    // block starts, and this one starts and ends inside this frame.
    parts.push(SYNC_FLUSH);
    return Buffer.concat(parts);
  }
}

/** Bounds the peer's header traffic: the whole stream is re-inflated per block. */
const MAX_HEADER_STREAM = 1 << 20;

/**
 * The peer's zlib stream. Node has no synchronous streaming inflate, so each
 * block is inflated together with every earlier one (sync flush) and the new
 * output is the part past what earlier blocks gave. A session sees a handful
 * of header blocks (one reply per stream), so this stays small; the total is
 * bounded.
 */
export class HeaderDecompressor {
  private input: Buffer = Buffer.alloc(0);
  private produced = 0;

  decompress(block: Buffer): Buffer {
    if (this.input.length + block.length > MAX_HEADER_STREAM) {
      throw new SpdyProtocolError('the peer sent more than 1 MiB of header blocks');
    }
    this.input = Buffer.concat([this.input, block]);
    let all: Buffer;
    try {
      all = inflateSync(this.input, { dictionary: SPDY3_DICTIONARY, finishFlush: constants.Z_SYNC_FLUSH });
    } catch (err) {
      throw new SpdyProtocolError(`cannot inflate a header block: ${(err as Error).message}`);
    }
    const out = all.subarray(this.produced);
    this.produced = all.length;
    return out;
  }
}
