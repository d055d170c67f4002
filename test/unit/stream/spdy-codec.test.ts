import { constants, createDeflate, inflateSync } from 'node:zlib';
import { describe, expect, it } from 'vitest';
import { SPDY3_DICTIONARY, adler32 } from '../../../src/stream/spdy/dictionary.js';
import {
  FrameParser,
  SpdyFrameError,
  encodeData,
  encodeGoAway,
  encodeHeaders,
  encodePing,
  encodeRstStream,
  encodeSettings,
  encodeSynReply,
  encodeSynStream,
  encodeWindowUpdate,
} from '../../../src/stream/spdy/frames.js';
import { HeaderCompressor, HeaderDecompressor, decodeHeaderBlock, encodeHeaderBlock } from '../../../src/stream/spdy/headers.js';

const hex = (b: Buffer) => b.toString('hex');

describe('SPDY/3 dictionary', () => {
  it('is the 1,423 bytes every SPDY/3 peer uses (its Adler-32 names it in the zlib header)', () => {
    expect(SPDY3_DICTIONARY.length).toBe(1423);
    // Checked against moby/spdystream's spdy/dictionary.go byte for byte when written.
    expect(adler32(SPDY3_DICTIONARY)).toBe(0xe3c6a7c2);
    expect(SPDY3_DICTIONARY.subarray(0, 11).toString('latin1')).toBe('\0\0\0\x07options');
    expect(SPDY3_DICTIONARY.subarray(-6).toString('latin1')).toBe('enq=0.');
  });

  it('adler32 matches RFC 1950 for a known string', () => {
    expect(adler32(Buffer.from('Wikipedia'))).toBe(0x11e60398);
  });
});

describe('SPDY/3 frames (golden bytes)', () => {
  it('DATA: stream ID, flags, 24-bit length, payload', () => {
    expect(hex(encodeData(1, Buffer.from('hi'), 1))).toBe('00000001' + '01000002' + '6869');
    expect(hex(encodeData(7, Buffer.alloc(0), 1))).toBe('00000007' + '01000000');
  });

  it('control frames: version 3, type, flags, length', () => {
    expect(hex(encodePing(1))).toBe('80030006' + '00000004' + '00000001');
    expect(hex(encodeRstStream(3, 5))).toBe('80030003' + '00000008' + '00000003' + '00000005');
    expect(hex(encodeWindowUpdate(5, 0x8000))).toBe('80030009' + '00000008' + '00000005' + '00008000');
    expect(hex(encodeGoAway(0, 0))).toBe('80030007' + '00000008' + '00000000' + '00000000');
    expect(hex(encodeSettings([{ id: 7, value: 1024 }]))).toBe('80030004' + '0000000c' + '00000001' + '00000007' + '00000400');
  });

  it('SYN_STREAM: IDs, priority in the top 3 bits, slot, then the header block', () => {
    const f = encodeSynStream(3, Buffer.from('HB'), { priority: 2, flags: 1 });
    expect(hex(f)).toBe('80030001' + '0100000c' + '00000003' + '00000000' + '40' + '00' + '4842');
  });

  it('parses what it encodes, across arbitrary chunk boundaries', () => {
    const wire = Buffer.concat([
      encodeSynStream(1, Buffer.from('abc'), { priority: 7 }),
      encodeSynReply(1, Buffer.from('def'), 1),
      encodeData(1, Buffer.from('payload'), 1),
      encodeRstStream(3, 9),
      encodeSettings([{ id: 7, value: 10, flags: 1 }], 1),
      encodePing(4),
      encodeGoAway(5, 2),
      encodeHeaders(1, Buffer.from('g')),
      encodeWindowUpdate(0, 100),
    ]);
    for (const step of [1, 3, 7, wire.length]) {
      const p = new FrameParser();
      const frames = [];
      for (let at = 0; at < wire.length; at += step) frames.push(...p.push(wire.subarray(at, at + step)));
      expect(frames).toEqual([
        { type: 'synStream', streamId: 1, associatedId: 0, priority: 7, flags: 0, headerBlock: Buffer.from('abc') },
        { type: 'synReply', streamId: 1, flags: 1, headerBlock: Buffer.from('def') },
        { type: 'data', streamId: 1, flags: 1, data: Buffer.from('payload') },
        { type: 'rstStream', streamId: 3, status: 9 },
        { type: 'settings', flags: 1, entries: [{ flags: 1, id: 7, value: 10 }] },
        { type: 'ping', id: 4 },
        { type: 'goAway', lastGoodStreamId: 5, status: 2 },
        { type: 'headers', streamId: 1, flags: 0, headerBlock: Buffer.from('g') },
        { type: 'windowUpdate', streamId: 0, delta: 100 },
      ]);
    }
  });

  it('passes unknown control types through and rejects other versions and oversized frames', () => {
    expect(new FrameParser().push(Buffer.from('800300ff0000000178', 'hex'))).toEqual([
      { type: 'unknown', controlType: 0xff, flags: 0, payload: Buffer.from([0x78]) },
    ]);
    expect(() => new FrameParser().push(Buffer.from('8002000600000004' + '00000001', 'hex'))).toThrow(SpdyFrameError);
    expect(() => new FrameParser(16).push(Buffer.from('0000000100000011', 'hex'))).toThrow(/exceeds/);
    expect(() => new FrameParser().push(Buffer.from('8003000300000004' + '00000001', 'hex'))).toThrow(/RST_STREAM frame too short/);
  });
});

describe('SPDY/3 header blocks', () => {
  it('encodes count, then length-prefixed lowercase names and values', () => {
    expect(hex(encodeHeaderBlock([['StreamType', 'error']]))).toBe(
      '00000001' + '0000000a' + Buffer.from('streamtype').toString('hex') + '00000005' + Buffer.from('error').toString('hex'),
    );
  });

  it('decodes NUL-joined values as several headers and rejects truncation', () => {
    const block = Buffer.concat([Buffer.from('00000001000000016b00000003', 'hex'), Buffer.from('a\0b')]);
    expect(decodeHeaderBlock(block)).toEqual([
      ['k', 'a'],
      ['k', 'b'],
    ]);
    expect(() => decodeHeaderBlock(block.subarray(0, block.length - 1))).toThrow(/truncated/);
  });

  it('compresses into one zlib stream that names the dictionary and ends each block with a sync flush', () => {
    const c = new HeaderCompressor();
    const a = encodeHeaderBlock([['streamtype', 'error']]);
    const b = encodeHeaderBlock([['streamtype', 'stdin']]);
    const za = c.compress(a);
    const zb = c.compress(b);
    expect(hex(za.subarray(0, 6))).toBe('7820e3c6a7c2');
    expect(hex(za.subarray(-5))).toBe('000000ffff');
    expect(hex(zb.subarray(-5))).toBe('000000ffff');
    expect(zb[0]).toBe(0); // no second zlib header: one stream per direction
    // Any zlib inflater with the dictionary reads the blocks in order.
    const out = inflateSync(Buffer.concat([za, zb]), { dictionary: SPDY3_DICTIONARY, finishFlush: constants.Z_SYNC_FLUSH });
    expect(out.equals(Buffer.concat([a, b]))).toBe(true);
  });

  it('splits blocks larger than a stored block can hold', () => {
    const big = encodeHeaderBlock([['x', 'y'.repeat(70_000)]]);
    const z = new HeaderCompressor().compress(big);
    expect(inflateSync(z, { dictionary: SPDY3_DICTIONARY, finishFlush: constants.Z_SYNC_FLUSH }).equals(big)).toBe(true);
  });

  it('inflates a peer stream compressed by zlib with the dictionary, block by block', async () => {
    const deflate = createDeflate({ dictionary: SPDY3_DICTIONARY });
    const step = (input: Buffer) =>
      new Promise<Buffer>((resolve) => {
        const chunks: Buffer[] = [];
        const onData = (c: Buffer) => chunks.push(c);
        deflate.on('data', onData);
        deflate.write(input);
        deflate.flush(constants.Z_SYNC_FLUSH, () => {
          deflate.removeListener('data', onData);
          resolve(Buffer.concat(chunks));
        });
      });
    const d = new HeaderDecompressor();
    const blocks = [
      encodeHeaderBlock([]),
      encodeHeaderBlock([['content-type', 'text/plain']]),
      encodeHeaderBlock([['x-stream-protocol-version', 'v4.channel.k8s.io']]),
    ];
    for (const plain of blocks) expect(d.decompress(await step(plain)).equals(plain)).toBe(true);
    expect(() => new HeaderDecompressor().decompress(Buffer.from('78bbdeadbeef', 'hex'))).toThrow(/cannot inflate/);
  });
});
