/**
 * Reads a tar stream synchronously, chunk by chunk, as it arrives: headers
 * (ustar, GNU long names and links, pax `x` records for path, linkpath, size
 * and mtime), then each entry's body handed on in the pieces it came in.
 *
 * tar-stream made a stream object, a promise and several event-loop turns per
 * entry, and piped big bodies through three more stream layers; for 5,000
 * small files that was most of the plugin's CPU time. Here one call per
 * incoming chunk does everything that chunk holds, so the caller's writes
 * stay synchronous and the chunk's own backpressure is the only one needed.
 * Memory: one header block, a meta entry's body (a long name), never a file's
 * content (small files are given whole only when one chunk holds them).
 */
import { BLOCK, padding } from './tar-header.js';

export type EntryType =
  | 'file'
  | 'link'
  | 'symlink'
  | 'character-device'
  | 'block-device'
  | 'directory'
  | 'fifo'
  | 'contiguous-file'
  | 'unknown';

export interface ReadHeader {
  name: string;
  type: EntryType;
  mode: number;
  size: number;
  mtime: Date | undefined;
  linkname: string | undefined;
}

/** What the reader's caller does with one entry's body (called only for entries with content). */
export interface BodySink {
  data(piece: Buffer): void;
  end(): void;
}

const TYPES: Record<string, EntryType> = {
  '0': 'file',
  '\0': 'file',
  '1': 'link',
  '2': 'symlink',
  '3': 'character-device',
  '4': 'block-device',
  '5': 'directory',
  '6': 'fifo',
  '7': 'contiguous-file',
};
/** Entries that describe the next one, not files. */
const META = new Set(['x', 'g', 'L', 'K']);
/** A meta entry (long name, pax records) bigger than this is not a real archive's. */
const META_LIMIT = 1 << 20;

export class TarFormatError extends Error {}

function str(b: Buffer, start: number, len: number): string {
  let end = start;
  const stop = start + len;
  while (end < stop && b[end] !== 0) end++;
  return b.toString('utf8', start, end);
}

function num(b: Buffer, start: number, len: number): number {
  // GNU base-256: high bit of the first byte set.
  if ((b[start] as number) & 0x80) {
    let v = (b[start] as number) & 0x7f;
    for (let i = start + 1; i < start + len; i++) v = v * 256 + (b[i] as number);
    return v;
  }
  let v = 0;
  let i = start;
  const stop = start + len;
  while (i < stop && (b[i] === 0x20 || b[i] === 0)) i++;
  for (; i < stop; i++) {
    const c = b[i] as number;
    if (c < 0x30 || c > 0x37) break;
    v = v * 8 + (c - 0x30);
  }
  return v;
}

/** The header's sum with its checksum field read as spaces; old tars summed signed bytes. */
function checksumOk(b: Buffer): boolean {
  const stored = num(b, 148, 8);
  // One pass for the common (unsigned) sum; the signed one only when that fails.
  let unsigned = 8 * 0x20;
  let high = 0; // bytes above 127, each 256 more unsigned than signed
  for (let i = 0; i < 148; i++) unsigned += b[i] as number;
  for (let i = 156; i < BLOCK; i++) unsigned += b[i] as number;
  if (stored === unsigned) return true;
  for (let i = 0; i < BLOCK; i++) if (i < 148 || i >= 156) high += (b[i] as number) > 127 ? 1 : 0;
  return stored === unsigned - 256 * high;
}

/** pax records "LEN key=value\n": the keys the copy uses. */
export function parsePax(body: Buffer): Record<string, string> {
  const out: Record<string, string> = {};
  let off = 0;
  while (off < body.length) {
    const space = body.indexOf(0x20, off);
    if (space < 0) break;
    const len = Number(body.toString('latin1', off, space));
    if (!Number.isInteger(len) || len <= 0 || off + len > body.length) break;
    const rec = body.toString('utf8', space + 1, off + len - 1);
    const eq = rec.indexOf('=');
    if (eq > 0) out[rec.slice(0, eq)] = rec.slice(eq + 1);
    off += len;
  }
  return out;
}

/**
 * `onEntry` gets each entry's header and returns a sink for its body, or
 * undefined to have it skipped; `onSmall` (optional) gets a file's whole body
 * at once instead, when the chunk holds all of it.
 */
export class TarReader {
  private head = Buffer.allocUnsafe(BLOCK);
  private headFill = 0;
  /** Bytes of the current entry's body still to come, then its padding. */
  private bodyLeft = 0;
  private padLeft = 0;
  private sink: BodySink | undefined;
  private meta: { kind: string; parts: Buffer[]; size: number } | undefined;
  private longName: string | undefined;
  private longLink: string | undefined;
  private pax: Record<string, string> = {};
  private ended = false;

  constructor(private readonly onEntry: (h: ReadHeader) => BodySink | undefined) {}

  /** True once the end-of-archive block was read (whatever follows is ignored, as tar does). */
  get finished(): boolean {
    return this.ended;
  }

  write(chunk: Buffer): void {
    let off = 0;
    while (off < chunk.length && !this.ended) {
      if (this.bodyLeft > 0) {
        const n = Math.min(this.bodyLeft, chunk.length - off);
        const piece = chunk.subarray(off, off + n);
        off += n;
        this.bodyLeft -= n;
        if (this.meta) this.meta.parts.push(Buffer.from(piece));
        else this.sink?.data(piece);
        if (this.bodyLeft === 0) this.endBody();
        continue;
      }
      if (this.padLeft > 0) {
        const n = Math.min(this.padLeft, chunk.length - off);
        off += n;
        this.padLeft -= n;
        continue;
      }
      // A whole header in the chunk is read in place; a split one is gathered.
      let block: Buffer;
      if (this.headFill === 0 && chunk.length - off >= BLOCK) {
        block = chunk.subarray(off, off + BLOCK);
        off += BLOCK;
      } else {
        const n = Math.min(BLOCK - this.headFill, chunk.length - off);
        chunk.copy(this.head, this.headFill, off, off + n);
        this.headFill += n;
        off += n;
        if (this.headFill < BLOCK) continue;
        this.headFill = 0;
        block = this.head;
      }
      this.header(block);
    }
  }

  /** The input ended: an archive cut inside an entry or a header is damaged. */
  end(): void {
    if (this.ended) return;
    if (this.bodyLeft > 0 || this.padLeft > 0 || this.headFill > 0 || this.meta) throw new TarFormatError('Unexpected end of data');
  }

  private header(b: Buffer): void {
    if (b[0] === 0 && b.every((x) => x === 0)) {
      // The first zero block ends the archive (a second one follows; nothing after them matters).
      this.ended = true;
      return;
    }
    if (!checksumOk(b)) throw new TarFormatError('Invalid tar header. Maybe the tar is corrupted or it needs to be gunzipped?');
    const flag = String.fromCharCode(b[156] as number);
    let size = num(b, 124, 12);
    if (META.has(flag)) {
      if (size > META_LIMIT) throw new TarFormatError(`a ${flag} header of ${size} bytes`);
      this.meta = { kind: flag, parts: [], size };
      this.bodyLeft = size;
      this.padLeft = padding(size);
      if (size === 0) this.endBody();
      return;
    }
    let name = str(b, 0, 100);
    // POSIX ustar ("ustar\0"): a prefix holds the start of a long name. GNU ("ustar  ") uses that space otherwise.
    if (b.toString('latin1', 257, 263) === 'ustar\0') {
      const prefix = str(b, 345, 155);
      if (prefix) name = `${prefix}/${name}`;
    }
    let type: EntryType = TYPES[flag] ?? 'unknown';
    if (type === 'file' && name.endsWith('/')) type = 'directory';
    let linkname: string | undefined = str(b, 157, 100) || undefined;
    let mtime: Date | undefined = new Date(num(b, 136, 12) * 1000);
    if (this.longName !== undefined) name = this.longName;
    if (this.longLink !== undefined) linkname = this.longLink;
    if (this.pax.path !== undefined) name = this.pax.path;
    if (this.pax.linkpath !== undefined) linkname = this.pax.linkpath;
    if (this.pax.size !== undefined && /^\d+$/.test(this.pax.size)) size = Number(this.pax.size);
    if (this.pax.mtime !== undefined && Number.isFinite(Number(this.pax.mtime))) mtime = new Date(Number(this.pax.mtime) * 1000);
    this.longName = undefined;
    this.longLink = undefined;
    this.pax = {};
    // Links and directories have no content, whatever their size field says (GNU tar's reading too).
    if (type === 'link' || type === 'symlink' || type === 'directory') size = 0;
    const header: ReadHeader = { name, type, mode: num(b, 100, 8), size, mtime, linkname };
    this.bodyLeft = size;
    this.padLeft = padding(size);
    this.sink = this.onEntry(header);
    if (size === 0) this.endBody();
  }

  private endBody(): void {
    const meta = this.meta;
    if (meta) {
      this.meta = undefined;
      const body = Buffer.concat(meta.parts, meta.size);
      if (meta.kind === 'L') this.longName = str(body, 0, body.length);
      else if (meta.kind === 'K') this.longLink = str(body, 0, body.length);
      else if (meta.kind === 'x') this.pax = { ...this.pax, ...parsePax(body) };
      // 'g' (global pax): nothing the copy uses.
      return;
    }
    const sink = this.sink;
    this.sink = undefined;
    sink?.end();
  }
}
